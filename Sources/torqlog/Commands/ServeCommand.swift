import ArgumentParser
import Logging
import Synchronization
import TorqForward
import TorqLogStore
import TorqServer
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve`: the OTLP/HTTP receiver in front of the store.
struct ServeCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive OTLP/HTTP traces and logs, and JSONL events, into the store.",
        discussion: """
            Holds the store's writer and serves until SIGTERM or SIGINT; then stops accepting, \
            answers the requests in flight, syncs and exits 0. Endpoints: POST /v1/traces and \
            POST /v1/logs (OTLP/HTTP: application/x-protobuf or application/json, optionally \
            Content-Encoding: gzip) and POST /v1/events (JSONL, validated line by line as ingest \
            does). A request is answered 200 only once its records are durable under --fsync; \
            one fdatasync serves every request waiting on it.

            Unless --no-ui, it also serves a viewer for a browser, read-only and with no \
            network access of its own: GET / (the runs), /runs/RUN, /tail (live events) and \
            /overview, their files compiled into the binary, and the JSON API under /api/.

            GenAI spans (gen_ai.operation.name, OpenInference's openinference.span.kind) also \
            become the typed events telemetry and compliance count. Retried items (the same \
            trace and span id, the same log record or event id) are stored once, within a window \
            of the last --recent-items items, filled at start from the store's last records.

            Limits: --max-body for a body as sent and once inflated (413), --max-requests at \
            once and --max-queue bytes waiting for the disk (503 with Retry-After), a request \
            must arrive whole within --read-timeout seconds. Listening beyond loopback needs \
            --token; clients then send Authorization: Bearer TOKEN.

            Edge mode: with --forward URL, what the server stores is also streamed upstream, as \
            `torqlog forward --follow --to URL --name NAME` would (--forward-name, default 'upstream'; \
            --forward-header K=V): the store is the buffer that survives outages and restarts, and \
            retention keeps what the cursor has not passed.
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: ArgumentHelp("The address to listen on, HOST:PORT (port 0: any free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:4318"

    @Option(help: "When answered records reach stable storage: always (one fdatasync per group of requests), batch (group commit, at most every 2 ms; batch:N for N ms), never (answered once written).")
    var fsync: String = "batch"

    @Option(help: ArgumentHelp("The largest request body, as sent and once inflated.", valueName: "bytes"))
    var maxBody: Int = 16 << 20

    @Option(help: ArgumentHelp("The bearer token clients must send (required beyond loopback).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Requests handled at once; more are answered 503.", valueName: "n"))
    var maxRequests: Int = 64

    @Option(help: ArgumentHelp("Bytes of records waiting for the disk; more are answered 503.", valueName: "bytes"))
    var maxQueue: Int = 16 << 20

    @Option(help: ArgumentHelp("Seconds a request has to arrive whole (and an idle connection to live).", valueName: "seconds"))
    var readTimeout: Int = 30

    @Option(help: ArgumentHelp("Items remembered to drop retried copies.", valueName: "n"))
    var recentItems: Int = 1 << 20

    @Option(help: "Segment size in bytes before rolling over.")
    var segmentSize: Int = 64 << 20

    @Flag(help: "Leave closed WAL segments unsealed (seal them later with `torqlog seal`).")
    var noSeal = false

    @Flag(help: "Serve no viewer (the pages /, /runs/..., /tail, /overview and the API GET /api/...): receive only.")
    var noUI = false

    @Option(help: ArgumentHelp("Forward what is stored to this OTLP/HTTP endpoint (edge mode), as `torqlog forward --follow` does.", valueName: "url"))
    var forward: String?

    @Option(help: ArgumentHelp("The forward stream's cursor name.", valueName: "cursor"))
    var forwardName: String = "upstream"

    @Option(name: .customLong("forward-header"), help: ArgumentHelp("A header of the forward's requests, K=V (repeatable).", valueName: "k=v"))
    var forwardHeaders: [String] = []

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        _ = try serveConfiguration()
        _ = try forwardOptions()
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
    }

    /// The configuration the options describe.
    func serveConfiguration() throws -> ServeConfiguration {
        var c = ServeConfiguration()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--listen must be HOST:PORT (got '\(listen)')")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen: empty host (got '\(listen)')") }
        c.host = host
        c.port = port
        switch fsync {
        case "batch": c.durability = .batch(intervalMilliseconds: 2)
        default:
            guard let policy = DurabilityPolicy(parsing: fsync) else {
                throw ValidationError("--fsync must be always, batch, batch:N or never (got '\(fsync)')")
            }
            c.durability = policy
        }
        c.maxBody = maxBody
        c.token = token
        c.maxConcurrentRequests = maxRequests
        c.maxQueuedBytes = maxQueue
        c.readTimeoutSeconds = readTimeout
        c.recentItems = recentItems
        c.segmentSize = segmentSize
        c.sealClosedSegments = !noSeal
        c.viewer = !noUI
        guard maxRequests >= 1 else { throw ValidationError("--max-requests must be at least 1") }
        guard maxQueue >= 1 << 16 else { throw ValidationError("--max-queue must be at least 65536 bytes") }
        guard readTimeout >= 1 else { throw ValidationError("--read-timeout must be at least 1 second") }
        guard recentItems >= 1 else { throw ValidationError("--recent-items must be at least 1") }
        guard segmentSize >= 1024 else { throw ValidationError("--segment-size must be at least 1024 bytes") }
        if let problem = c.problem { throw ValidationError(problem) }
        return c
    }

    /// The edge mode's forward, when --forward is given.
    func forwardOptions() throws -> ForwardOptions? {
        guard let forward else { return nil }
        var o = ForwardOptions(endpoint: forward)
        o.name = forwardName
        o.follow = true
        o.headers = try forwardHeaders.map { header in
            guard let eq = header.firstIndex(of: "="), eq != header.startIndex else {
                throw ValidationError("--forward-header must be K=V (got '\(header)')")
            }
            return (String(header[..<eq]), String(header[header.index(after: eq)...]))
        }
        if let problem = o.problem { throw ValidationError("--forward: \(problem)") }
        return o
    }

    func run() async throws {
        let configuration = try serveConfiguration()
        let forwardOptions = try self.forwardOptions()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: "torqlog.serve") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        logger.logLevel = level
        let store = self.store
        let receiver = try Receiver(store: store, configuration: configuration, logger: logger)
        if receiver.recovery.bytesDropped > 0 {
            let r = receiver.recovery
            Console.note("torqlog: recovered \(r.segment): dropped a torn tail of \(r.bytesDropped) bytes at byte \(r.truncatedAt ?? 0) (\(r.reason ?? ""))")
        }
        let policy = configuration.durability
        // Edge mode: a forward stream on a thread of its own, following the store the receiver writes.
        let stopForward = ForwardStop()
        var forwardWorker: Worker<Void>?
        if let forwardOptions {
            let logger = logger
            let forwarder = Forwarder(store: store, options: forwardOptions) { line in logger.notice("\(line)") }
            forwardWorker = try Worker(name: "torqlog-forward") { _ in
                do {
                    let statistics = try forwarder.run(shouldStop: { stopForward.requested })
                    logger.notice("torqlog forward: \(statistics.summary)")
                } catch {
                    logger.error("torqlog forward stopped: \(error)")
                }
            }
        }
        let worker = forwardWorker
        defer {
            stopForward.request()
            worker?.stop(.finishQueued)
        }
        try await receiver.run { address in
            Console.write(1, "torqlog serve: listening on http://\(address) (store \(store.path), fsync \(policy))\n")
            if let worker { _ = worker.submit(()) }
        }
        if let failure = receiver.writerFailure {
            Console.error(failure.error.description)
            throw ExitCode(ExitStatus.of(failure.error))
        }
    }
}

/// Tells the edge mode's forward stream to stop (the server is stopping).
final class ForwardStop: Sendable {
    private let flag = Atomic<Bool>(false)
    var requested: Bool { flag.load(ordering: .relaxed) }
    func request() { flag.store(true, ordering: .relaxed) }
}
