import ArgumentParser
import Synchronization
import TorqForward
import TorqTelemetry
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT or SIGTERM: `forward` stops reading, waits for its requests and saves its cursor.
private let stopRequested = Atomic<Bool>(false)

/// `torqlog forward`: the store to any OpenTelemetry endpoint, at least once, resumable.
struct ForwardCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Stream the store to an OpenTelemetry endpoint (OTLP/HTTP protobuf, gzip), at least once, resumable.",
        discussion: """
            Sends the store's spans (the spans `torqlog trace` draws) to URL/v1/traces and its other records, \
            as log records with their event ids, to URL/v1/logs, as the OpenTelemetry SDKs do with \
            OTEL_EXPORTER_OTLP_ENDPOINT. Requests hold at most --batch-items items (about --batch-bytes bytes); \
            at most --in-flight requests per signal are unanswered at once (4).

            Retries 429, 502, 503 and 504 and connection errors with exponential back-off and jitter, \
            honouring Retry-After, until answered; never retries a 400 (or another refusal) or a partial \
            success: their items are counted as rejected and reported. Stops with exit status 77 on 401 or 403.

            Resumable: the cursor NAME (--name, default 'default') is kept in the store directory \
            (cursor-NAME, written crash-safely) and moves only below what every request has answered, \
            so a kill -9 at any moment resumes where it stopped; what was in flight is sent again and the \
            receiver drops the copies (torqlog serve does, by event id and by trace and span id). A span still \
            open when sent is sent again once it ends. With --follow it keeps sending records as they are \
            written (through inotify, not polling) until SIGINT or SIGTERM.

            Prints a progress line on a terminal and a summary at the end (records, spans, log records, \
            batches, retries, rejected, bytes).
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: ArgumentHelp("The OTLP/HTTP endpoint's base URL (/v1/traces and /v1/logs are appended).", valueName: "url"))
    var to: String

    @Flag(help: "Keep streaming new records as they are written, until interrupted.")
    var follow = false

    @Option(help: ArgumentHelp("The cursor's name: where this stream resumes.", valueName: "cursor"))
    var name: String = "default"

    @Option(name: .customLong("header"), help: ArgumentHelp("A request header, K=V (repeatable), e.g. Authorization=Bearer TOKEN.", valueName: "k=v"))
    var headers: [String] = []

    @Option(name: .customLong("run"), help: "Only records of this run.")
    var runID: String?

    @Option(help: ArgumentHelp("Only records at or after this time (RFC 3339, a date, or 2h for two hours ago).", valueName: "time"))
    var since: TimeArgument?

    @Option(help: ArgumentHelp("The signals sent: traces, logs or both (traces,logs).", valueName: "signals"))
    var signals: String = "traces,logs"

    @Option(help: ArgumentHelp("Spans or log records per request at most.", valueName: "n"))
    var batchItems: Int = 2048

    @Option(help: ArgumentHelp("Estimated bytes per request at most, before gzip.", valueName: "bytes"))
    var batchBytes: Int = 2 << 20

    @Option(help: ArgumentHelp("Requests in flight at once, per signal.", valueName: "n"))
    var inFlight: Int = 4

    @Option(help: ArgumentHelp("The longest back-off between two tries of a request, in milliseconds.", valueName: "ms"))
    var maxBackoff: Int = 10_000

    @Flag(help: "Include content (\(EventField.userQuery), the routing query).")
    var includeContent = false

    func forwardOptions() throws -> ForwardOptions {
        var o = ForwardOptions(endpoint: to)
        o.name = name
        o.follow = follow
        o.runID = runID
        o.since = since?.nanoseconds
        o.maxBatchItems = batchItems
        o.maxBatchBytes = batchBytes
        o.maxInFlight = inFlight
        o.maxBackoffMilliseconds = max(maxBackoff, 1)
        o.includeContent = includeContent
        o.headers = try headers.map { header in
            guard let eq = header.firstIndex(of: "="), eq != header.startIndex else {
                throw ValidationError("--header must be K=V (got '\(header)')")
            }
            return (String(header[..<eq]), String(header[header.index(after: eq)...]))
        }
        var chosen: Set<ForwardSignal> = []
        for part in signals.split(separator: ",") {
            guard let signal = ForwardSignal(rawValue: String(part.filter { $0 != " " })) else {
                throw ValidationError("--signals takes traces, logs or traces,logs (got '\(signals)')")
            }
            chosen.insert(signal)
        }
        o.signals = chosen
        if let problem = o.problem { throw ValidationError(problem) }
        return o
    }

    func validate() throws { _ = try forwardOptions() }

    func run() throws {
        var options = try forwardOptions()
        let tty = Console.isTTY(2)
        options.progress = tty
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        let forwarder = Forwarder(store: store, options: options) { line in Console.note(line) }
        let statistics: ForwardStatistics
        do {
            statistics = try forwarder.run(shouldStop: { stopRequested.load(ordering: .relaxed) }) { s in
                if tty { Console.write(2, "\r\u{1B}[K" + s.summary) }
            }
        } catch let error as ForwardError {
            if tty { Console.write(2, "\n") }
            Console.note("torqlog forward: \(error)")
            throw ExitCode(77)
        }
        if tty { Console.write(2, "\r\u{1B}[K") }
        Console.write(2, "torqlog forward: " + statistics.summary + "\n")
    }
}
