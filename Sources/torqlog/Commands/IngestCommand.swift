import ArgumentParser
import Synchronization
import TorqLogStore
import TorqServerLink
import TorqTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog ingest`: JSONL in, records appended to the store.
struct IngestCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append JSONL events (one JSON object per line) to the store.",
        discussion: """
            Reads the files given, or standard input. Each non-empty line must be one JSON object; \
            its \(EventField.runID), \(EventField.eventType) and \(EventField.timestamp) are indexed when present. A bad line is reported \
            as FILE:LINE: reason on stderr and the others are still stored; the exit status is 65 \
            if any line was rejected.

            --redact replaces personal data and secrets (e-mail addresses, phone numbers, payment \
            cards, IPv4/IPv6 addresses, US SSNs, API keys, JWTs, PEM private keys, bearer tokens) \
            with [REDACTED:KIND] before anything reaches disk, in the string values of the fields \
            \(EventField.userQuery), user_feedback, \(EventField.errorMessage) and \(EventField.query) at any depth (--redact-field NAME, \
            repeated, replaces that list; --redact-all-strings scans every string value). The rest \
            of each line is stored byte for byte; the summary counts redactions by kind.
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Argument(help: "JSONL files to read ('-' or none: standard input).")
    var files: [String] = []

    @Option(help: "When records reach stable storage: always, batch (group commit every 100 ms), never.")
    var fsync: String = "batch"

    @Flag(help: "Stop at the first bad line.")
    var strict = false

    @Flag(help: "After each durable commit, print 'acked N' on stdout (N = input events now safely stored).")
    var ack = false

    @Option(help: "Segment size in bytes before rolling over.")
    var segmentSize: Int = 64 << 20

    @Flag(name: .shortAndLong, help: "No summary line.")
    var quiet = false

    @Flag(help: "Leave closed WAL segments unsealed (seal them later with `torqlog seal`).")
    var noSeal = false

    @Flag(help: "Redact personal data and secrets in the string values of the sanitized fields before storing.")
    var redact = false

    @Option(name: .customLong("redact-field"),
            help: ArgumentHelp("A field to sanitize (repeat for several); replaces the default list (\(EventField.userQuery), user_feedback, \(EventField.errorMessage), query).",
                               valueName: "name"))
    var redactFields: [String] = []

    @Flag(help: "With --redact: scan every string value, at any depth, not only the sanitized fields.")
    var redactAllStrings = false

    func validate() throws {
        guard DurabilityPolicy(parsing: fsync) != nil else {
            throw ValidationError("--fsync must be always, batch or never (got '\(fsync)')")
        }
        guard segmentSize >= 1024 else { throw ValidationError("--segment-size must be at least 1024 bytes") }
        if !redact && (!redactFields.isEmpty || redactAllStrings) {
            throw ValidationError("--redact-field and --redact-all-strings need --redact")
        }
        if let empty = redactFields.firstIndex(where: \.isEmpty) {
            throw ValidationError("--redact-field: empty field name (occurrence \(empty + 1))")
        }
    }

    func run() throws {
        let policy = DurabilityPolicy(parsing: fsync) ?? .defaultBatch
        let acked = AckPrinter(enabled: ack)
        var options = LogWriter.Options(segmentSize: segmentSize, durability: policy, sealClosedSegments: !noSeal)
        if ack {
            options.onDurable = { (next: UInt64) in acked.durable(upTo: next) }
        }
        // A failed write or sync (maybe in the background, while the input is
        // idle) stops the ingest at once: nothing more is acknowledged, and the
        // writer has already cut the segment back to what was durable.
        options.onFailure = { (failure: LogWriter.Failure) in
            Console.error(failure.error.description)
            if let cut = failure.cutBackError { Console.error("cutting back to the last durable record also failed: \(cut)") }
            _exit(ExitStatus.of(failure.error))
        }
        let writer: LogWriter
        do {
            writer = try LogWriter(directory: store, options: options)
        } catch let error as StoreError where error.kind == .locked {
            // Held by another writer: when it is a `torqlog serve`, write through it.
            guard let link = try ServerLink.find(store) else { throw error }
            acked.start(at: 0)
            let appender = ServerAppender(link: link, store: store, fsync: policy) { (n: Int) in acked.durable(upTo: UInt64(n)) }
            try ingestAndReport(JSONLIngester(appender: appender, indexing: .telemetry), close: {}, via: " through torqlog serve")
            return
        } catch let error as StoreError where error.errno == .permissionDenied || error.errno == .notPermitted {
            throw Self.notOwner(error, store: store)
        }
        acked.start(at: writer.nextSequence)
        if writer.recovery.bytesDropped > 0 {
            Console.note("torqlog: recovered \(writer.recovery.segment): dropped a torn tail of \(writer.recovery.bytesDropped) bytes at byte \(writer.recovery.truncatedAt ?? 0) (\(writer.recovery.reason ?? ""))")
        }
        // The telemetry schema's run, type and time fields are what the store indexes.
        try ingestAndReport(JSONLIngester(writer: writer, indexing: .telemetry), close: { try writer.close() }, onError: { writer.close(after: $0) }, via: "")
    }

    /// `error` (the store's lock or directory refused) said as what it means when
    /// the store is another user's: only its owner may write to it, directly or
    /// through its server. Keeps the errno (exit 77); unchanged for the owner.
    private static func notOwner(_ error: StoreError, store: StoreDirectory) -> StoreError {
        var info = stat()
        let known = stat(store.path, &info) == 0
        // The owner's own store, or one that does not exist yet (a directory it may not create in): the error as is.
        if known ? info.st_uid == geteuid() : errno != EACCES { return error }
        var clear = error
        clear.path = store.path
        clear.offset = nil
        clear.message = "permission denied: " + (known ? "the store belongs to uid \(info.st_uid)" : "this user cannot reach the store")
            + ", and only its owner may write to it, directly or through its torqlog serve: run as that user (\(error))"
        return clear
    }

    /// Ingests every source with `ingester`, closes, and prints the summary;
    /// exit 65 when a line was rejected.
    private func ingestAndReport(_ made: consuming JSONLIngester, close: () throws -> Void,
                                 onError: (any Error) -> any Error = { $0 }, via: String) throws {
        var ingester = made
        ingester.strict = strict
        ingester.onRejection = { (r: JSONLIngester.Rejection) in Console.note(r.description) }
        let redactions = RedactionTally()
        if redact {
            var config = PIIFilteringConfiguration()
            if !redactFields.isEmpty { config.sanitizeFields = Set(redactFields) }
            config.allStringValues = redactAllStrings
            let filter = PIIFilter(config)
            ingester.transform = { (line: UnsafeRawBufferPointer) throws -> [UInt8]? in
                var counts = RedactionCounts()
                let redacted = try filter.redactJSONObject(line, counts: &counts)
                if redacted != nil { redactions.add(counts) }
                return redacted
            }
        }
        let progress = ProgressLine(enabled: !quiet && Console.isTTY(2))
        let start = TimeArgument.now()
        var total = JSONLIngester.Summary()
        do {
            total = try ingest(into: &ingester, progress: progress, start: start)
            progress.finish()
            try close()
        } catch {
            progress.finish()
            throw onError(error)
        }
        let seconds = Double(TimeArgument.now() - start) / 1e9
        if !quiet {
            let rate = seconds > 0 ? Double(total.events) / seconds : 0
            let mbs = seconds > 0 ? Double(total.bytes) / 1e6 / seconds : 0
            Console.note("torqlog ingest: \(total.events) events (\(Format.bytes(total.bytes))) in \(Format.fixed(seconds, 3)) s, \(Format.fixed(rate / 1e6, 2)) M events/s, \(Format.fixed(mbs, 0)) MB/s\(via); \(total.rejected) rejected\(total.stoppedEarly ? " (stopped at the first bad line: --strict)" : "")")
            if redact {
                let counts = redactions.counts
                Console.note("torqlog ingest: \(counts.total) redaction\(counts.total == 1 ? "" : "s")\(counts.isEmpty ? "" : " (\(counts))")")
            }
        }
        if total.rejected > 0 { throw ExitCode(ExitStatus.dataError) }
    }

    /// Ingests every source in order; returns the totals.
    private func ingest(into ingester: inout JSONLIngester, progress: ProgressLine, start: Int64) throws -> JSONLIngester.Summary {
        var total = JSONLIngester.Summary()
        for source in files.isEmpty ? ["-"] : files {
            let fd: Int32
            if source == "-" { fd = 0 } else {
                fd = open(source, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    Console.error("\(source): cannot open: \(String(cString: strerror(errno)))")
                    total.rejected += 1
                    continue
                }
            }
            defer { if fd != 0 { close(fd) } }
            let before = total
            ingester.onProgress = { (s: JSONLIngester.Summary) in progress.update(events: before.events + s.events, bytes: before.bytes + s.bytes, start: start) }
            let s = try ingester.ingest(fd: fd, source: source == "-" ? "<stdin>" : source)
            total.events += s.events
            total.bytes += s.bytes
            total.rejected += s.rejected
            total.lines += s.lines
            if s.stoppedEarly { total.stoppedEarly = true; break }
        }
        return total
    }
}

/// Redaction counts added from the ingesting thread and the parse worker.
final class RedactionTally: Sendable {
    private let state = Mutex(RedactionCounts())

    /// Adds `counts` (one line's redactions).
    func add(_ counts: RedactionCounts) { state.withLock { $0 += counts } }

    /// Everything added so far.
    var counts: RedactionCounts { state.withLock { $0 } }
}

/// Prints `acked N` lines from whichever thread made records durable.
final class AckPrinter: Sendable {
    private let enabled: Bool
    /// (first sequence of this ingest, last N printed); a mutex because the sync thread calls in.
    private let state = Mutex<(start: UInt64, printed: UInt64)>((0, 0))

    init(enabled: Bool) { self.enabled = enabled }

    func start(at sequence: UInt64) { state.withLock { $0 = (sequence, 0) } }

    func durable(upTo next: UInt64) {
        guard enabled else { return }
        state.withLock { s in
            guard next > s.start else { return }
            let n = next - s.start
            guard n > s.printed else { return }
            s.printed = n
            Console.write(1, "acked \(n)\n")
        }
    }
}

/// A one-line progress display on a terminal, refreshed at most 4 times a second.
final class ProgressLine {
    private let enabled: Bool
    private var last: Int64 = 0
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(events: Int, bytes: Int64, start: Int64) {
        guard enabled else { return }
        let now = TimeArgument.now()
        guard now - start > 1_000_000_000, now - last > 250_000_000 else { return }
        last = now
        shown = true
        let seconds = Double(now - start) / 1e9
        Console.write(2, "\r\u{1B}[K  \(events) events, \(Format.bytes(bytes)), \(Format.fixed(Double(events) / seconds / 1e6, 2)) M events/s")
    }

    func finish() {
        if shown { Console.write(2, "\r\u{1B}[K") }
    }
}
