import AsyncHTTPClient
import SwiftProtobuf
import TorqAnalysis
import TorqLogStore
import TorqOTLP
import TorqOTLPProto

/// Streams a store to an OTLP/HTTP endpoint: its spans to `/v1/traces`, its
/// other records to `/v1/logs`, as protobuf with gzip, at least once, and
/// resumable from a cursor kept in the store (``StoreCursor``).
///
/// - **Reading.** One thread reads the store from the cursor through a
///   `LiveReader` (inotify, no polling), turns records into OTLP items
///   (``OTLPItemStream``: the spans `trace` draws, and log records) and cuts
///   them into requests of at most ``ForwardOptions/maxBatchItems`` items or
///   about ``ForwardOptions/maxBatchBytes`` bytes, always at item boundaries.
///   Every log record carries its event id (`torq.event.id` and the body's
///   `event_id`) and every span its trace and span ids, so that a receiver
///   drops copies.
/// - **In flight.** At most ``ForwardOptions/maxInFlight`` requests per
///   signal are unanswered at once (4 by default); the reader waits for room.
///   Each request is encoded, gzipped and sent on Swift's concurrency pool,
///   retried as ``BatchSender`` says.
/// - **Cursor.** Every record below the cursor has been answered: the cursor
///   is the lowest of the next record to read, the records held in spans not
///   yet sent, and the records of every request not yet answered, however
///   many are in flight. It is saved crash-safely (``StoreCursor/save(in:)``)
///   at most every 100 ms as it moves, and at the end; a `kill -9` at any
///   moment resumes from the last saved cursor and sends again what was
///   unanswered (the receiver drops the copies).
/// - **Open spans.** A span still open at the end of the store, or open
///   longer than ``ForwardOptions/openSpanAgeMilliseconds`` (2 s) of reading,
///   is sent as it is (`torq.span.open`) and sent again once it closes, so
///   that a span that never ends (its process was killed) does not hold the
///   cursor back.
/// - **Stopping.** Without ``ForwardOptions/follow``, it returns once every
///   record present at the start (and any written meanwhile) is answered.
///   When `shouldStop` turns true it stops reading, waits up to 5 s for the
///   requests in flight, and saves the cursor below whatever is unanswered.
/// - **Failures.** 401/403 stop it with ``ForwardError/unauthorized(status:signal:message:)``;
///   a rejected request (400, …) or a partial success is counted and logged,
///   never sent again; a store that cannot be read throws.
public final class Forwarder: Sendable {
    public let store: StoreDirectory
    public let options: ForwardOptions
    /// Told each notable event (a rejection, the first retries, records dropped by retention), one line each.
    private let log: @Sendable (String) -> Void

    public init(store: StoreDirectory, options: ForwardOptions, log: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.options = options
        self.log = log
    }

    /// The state the sending tasks share with the reading thread.
    struct State: ~Copyable {
        var inFlight: [ForwardSignal: Int] = [:]
        /// Requests dispatched and not yet settled, by id: the lowest sequence each answers for.
        var unanswered: [Int: UInt64] = [:]
        var tasks: [Int: Task<Void, Never>] = [:]
        var statistics = ForwardStatistics()
        var fatal: ForwardError?
        var retriesLogged = 0
    }

    /// A request being filled.
    private struct Pending {
        var spans: [OTLPSpanItem] = []
        var logs: [OTLPLogItem] = []
        var spanBytes = 0
        var logBytes = 0
        var since: Int64 = 0
    }

    /// Forwards until done (or, following, until `shouldStop` is true);
    /// `progress` is called about twice a second with the figures so far.
    ///
    /// - Throws: ``ForwardError`` on 401/403, a `StoreError` when the store
    ///   or the cursor cannot be read or the cursor cannot be saved.
    public func run(shouldStop: @escaping @Sendable () -> Bool,
                    progress: @escaping (ForwardStatistics) -> Void = { _ in }) throws -> ForwardStatistics {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 2 * options.maxInFlight)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(options.requestTimeoutSeconds)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer {
            // The client is shut down once every task is settled; a failure to shut down leaks nothing we own.
            do { try client.syncShutdown() } catch { log("torqlog forward: closing the HTTP client: \(error)") }
        }
        let shared = ConditionLock(State())
        let sender = BatchSender(client: client, options: options)
        var run = Run(forwarder: self, shared: shared, sender: sender, shouldStop: shouldStop, progress: progress)
        return try run.go()
    }

    /// One run's reading side (owned by the calling thread).
    private struct Run {
        let forwarder: Forwarder
        let shared: ConditionLock<State>
        let sender: BatchSender
        let shouldStop: @Sendable () -> Bool
        let progress: (ForwardStatistics) -> Void
        var options: ForwardOptions { forwarder.options }
        var pending = Pending()
        var stream: OTLPItemStream
        var nextID = 0
        /// The lowest hold of requests given up (never dispatched, or cancelled): the cursor stays below it.
        var abandonedFloor: UInt64?
        var cursor: StoreCursor
        var lastSave: Int64 = 0
        var lastProgress: Int64 = 0
        var local = ForwardStatistics()

        init(forwarder: Forwarder, shared: ConditionLock<State>, sender: BatchSender, shouldStop: @escaping @Sendable () -> Bool,
             progress: @escaping (ForwardStatistics) -> Void) {
            self.forwarder = forwarder
            self.shared = shared
            self.sender = sender
            self.shouldStop = shouldStop
            self.progress = progress
            let o = forwarder.options
            stream = OTLPItemStream(options: .init(
                includeContent: o.includeContent, traces: o.signals.contains(.traces), logs: o.signals.contains(.logs),
                leafHold: o.follow ? 10_000 : 100_000))
            cursor = StoreCursor(name: o.name, sequence: 0)
        }

        static func now() -> Int64 { Int64(truncatingIfNeeded: Deadline.now.nanoseconds) }

        mutating func go() throws -> ForwardStatistics {
            let store = forwarder.store
            try store.requireExisting()
            cursor = try StoreCursor.load(options.name, in: store) ?? StoreCursor(name: options.name, sequence: 0)
            let reader = try StoreReader(directory: store)
            let (position, firstRetained) = try reader.position(resuming: cursor.sequence)
            if firstRetained > cursor.sequence {
                let dropped = firstRetained - cursor.sequence
                forwarder.log("torqlog forward: WARNING: \(dropped) records (sequences \(cursor.sequence)..<\(firstRetained)) were removed by retention before cursor '\(options.name)' passed them; they were never forwarded")
                cursor.dropped += dropped
                cursor.sequence = firstRetained
                try cursor.save(in: store)
            }
            local.droppedByRetention = cursor.dropped
            let live = try LiveReader(directory: store, from: position)
            let filter = options.filter
            var stopped = false
            reading: while true {
                if shared.withLock({ $0.fatal != nil }) { break }
                if shouldStop() {
                    stopped = true
                    break
                }
                var failure: Error?
                let got = try live.readAvailable(limit: 1024) { r in
                    guard failure == nil, filter.matches(r) else { return }
                    local.records += 1
                    do {
                        try stream.add(json: r.payload, sequence: r.sequence, now: Self.now())
                    } catch {
                        local.unreadable += 1
                        if local.unreadable <= 20 { forwarder.log("torqlog forward: record at sequence \(r.sequence): \(error); not sent") }
                    }
                    try collect(live: live)
                    if let error = shared.withLock({ $0.fatal }) { failure = error }
                }
                if let failure { throw failure }
                // Spans open (and leaves held) for a while are sent as they are, so that they hold the cursor back
                // no longer; they are sent again once they close.
                let now = Self.now()
                stream.release(now: now, minimumAge: Int64(options.openSpanAgeMilliseconds) * 1_000_000)
                try collect(live: live)
                if got == 0 {
                    guard options.follow else { break reading }
                    if now - pending.since >= Int64(options.lingerMilliseconds) * 1_000_000 { try flush(live: live) }
                    try saveIfDue(live: live, force: false)
                    live.waitForChange(timeoutMilliseconds: Int32(clamping: options.lingerMilliseconds))
                } else {
                    try saveIfDue(live: live, force: false)
                }
            }
            if !stopped && shared.withLock({ $0.fatal == nil }) {
                stream.finish()
                try collect(live: live)
            }
            try flush(live: live)
            // Wait for every request (stopping: 5 s at most, then cancel what is left).
            let deadline = Deadline.after(.seconds(5))
            while true {
                let (done, fatal) = shared.withLock { s in (s.unanswered.isEmpty, s.fatal) }
                if done || fatal != nil { break }
                if (stopped || shouldStop()) && deadline.hasPassed { break }
                _ = shared.wait(until: { $0.unanswered.isEmpty || $0.fatal != nil }, deadline: .after(.milliseconds(100)))
                try saveIfDue(live: live, force: false)
            }
            let tasks = shared.withLock { s -> [Task<Void, Never>] in
                let t = Array(s.tasks.values)
                return t
            }
            for task in tasks { task.cancel() }
            _ = shared.wait(until: { $0.tasks.isEmpty }, deadline: .after(.seconds(2)))
            try saveIfDue(live: live, force: true)
            let (statistics, fatal) = shared.withLock { s in (merged(s.statistics), s.fatal) }
            progress(statistics)
            if let fatal { throw fatal }
            return statistics
        }

        func merged(_ answered: ForwardStatistics) -> ForwardStatistics {
            var s = answered
            s.records = local.records
            s.unreadable = local.unreadable
            s.droppedByRetention = local.droppedByRetention
            s.cursor = cursor.sequence
            return s
        }

        /// Moves the stream's ready items into the pending requests, dispatching full ones.
        mutating func collect(live: LiveReader) throws {
            for span in stream.takeSpans() {
                if pending.spans.isEmpty && pending.logs.isEmpty { pending.since = Self.now() }
                pending.spanBytes += 160 + 48 * span.attributes.count + span.name.utf8.count
                pending.spans.append(span)
                if pending.spans.count >= options.maxBatchItems || pending.spanBytes >= options.maxBatchBytes { try dispatchSpans(live: live) }
            }
            for log in stream.takeLogs() {
                if pending.spans.isEmpty && pending.logs.isEmpty { pending.since = Self.now() }
                pending.logBytes += 96 + 2 * log.body.count * 24 + 40 * log.attributes.count
                pending.logs.append(log)
                if pending.logs.count >= options.maxBatchItems || pending.logBytes >= options.maxBatchBytes { try dispatchLogs(live: live) }
            }
        }

        mutating func flush(live: LiveReader) throws {
            if !pending.spans.isEmpty { try dispatchSpans(live: live) }
            if !pending.logs.isEmpty { try dispatchLogs(live: live) }
        }

        mutating func dispatchSpans(live: LiveReader) throws {
            let spans = pending.spans
            pending.spans = []
            pending.spanBytes = 0
            let hold = spans.reduce(UInt64.max) { min($0, $1.hold) }
            try dispatch(.traces, count: spans.count, hold: hold, live: live) {
                try OTLPProtoEncoder.tracesBytes(spans)
            }
        }

        mutating func dispatchLogs(live: LiveReader) throws {
            let logs = pending.logs
            pending.logs = []
            pending.logBytes = 0
            let hold = logs.reduce(UInt64.max) { min($0, $1.hold) }
            try dispatch(.logs, count: logs.count, hold: hold, live: live) {
                try OTLPProtoEncoder.logsBytes(logs)
            }
        }

        /// Waits for room for one more request of `signal`, then sends it on the concurrency pool.
        mutating func dispatch(_ signal: ForwardSignal, count: Int, hold: UInt64, live: LiveReader,
                               encode: @escaping @Sendable () throws -> [UInt8]) throws {
            let limit = options.maxInFlight
            while true {
                let room = shared.wait(until: { $0.inFlight[signal, default: 0] < limit || $0.fatal != nil },
                                       deadline: .after(.milliseconds(100)))
                if room { break }
                // Still no room: keep the cursor moving (answers keep coming) and heed a stop.
                try saveIfDue(live: live, force: false)
                if shouldStop() { break }
            }
            let fatal = shared.withLock { $0.fatal != nil }
            if fatal || shared.withLock({ $0.inFlight[signal, default: 0] >= limit }) {
                abandonedFloor = min(abandonedFloor ?? hold, hold)
                return
            }
            let id = nextID
            nextID += 1
            let sender = self.sender
            let log = forwarder.log
            let shared = self.shared
            // The task is registered before it can run to its end: it removes itself under this lock.
            shared.withLock { s in
                s.inFlight[signal, default: 0] += 1
                s.unanswered[id] = hold
                s.tasks[id] = Task.detached {
                    let body: [UInt8]
                    do {
                        body = try encode()
                    } catch {
                        // Our own items always encode; if one did not, nothing of it can be sent.
                        log("torqlog forward: a \(signal) request could not be encoded (\(error)); \(count) items not sent")
                        shared.withLock(notify: .all) { s in
                            s.inFlight[signal, default: 1] -= 1
                            s.unanswered[id] = nil
                            s.tasks[id] = nil
                            s.statistics.rejected += count
                        }
                        return
                    }
                    let gzipped = GzipDeflater.deflate(body)
                    let outcome = await sender.send(gzipped, signal: signal) { reason in
                        let first = shared.withLock { s -> Bool in
                            s.statistics.retries += 1
                            s.retriesLogged += 1
                            return s.retriesLogged <= 5 || s.retriesLogged % 100 == 0
                        }
                        if first { log("torqlog forward: \(signal) request sent again (\(reason))") }
                    }
                    var message: String?
                    shared.withLock(notify: .all) { s in
                        s.inFlight[signal, default: 1] -= 1
                        s.tasks[id] = nil
                        switch outcome {
                        case .accepted(let rejected, let text):
                            s.unanswered[id] = nil
                            s.statistics.batches += 1
                            if signal == .traces { s.statistics.spansSent += count } else { s.statistics.logsSent += count }
                            s.statistics.bytes += gzipped.count
                            s.statistics.uncompressedBytes += body.count
                            if rejected > 0 {
                                s.statistics.rejected += rejected
                                message = "torqlog forward: the endpoint rejected \(rejected) of \(count) \(signal) items (partial success): \(text)"
                            }
                        case .rejected(let status, let text):
                            s.unanswered[id] = nil
                            s.statistics.rejected += count
                            message = "torqlog forward: the endpoint answered \(status) to a \(signal) request of \(count) items; not sent again: \(text)"
                        case .unauthorized(let status, let text):
                            if s.fatal == nil { s.fatal = .unauthorized(status: status, signal: signal, message: text) }
                        case .cancelled:
                            break  // stays unanswered: the cursor stays below it
                        }
                    }
                    if let message { log(message) }
                }
            }
        }

        /// The lowest sequence not answered.
        func lowWater(live: LiveReader) -> UInt64 {
            var low = live.nextSequence
            if let h = stream.lowestHold { low = min(low, h) }
            for s in pending.spans { low = min(low, s.hold) }
            for l in pending.logs { low = min(low, l.hold) }
            if let f = abandonedFloor { low = min(low, f) }
            let unanswered = shared.withLock { s in s.unanswered.values.min() }
            if let u = unanswered { low = min(low, u) }
            return low
        }

        /// Saves the cursor when it moved and 100 ms passed since the last save (or when `force`).
        mutating func saveIfDue(live: LiveReader, force: Bool) throws {
            let now = Self.now()
            if options.progress, now - lastProgress >= 500_000_000 {
                lastProgress = now
                progress(shared.withLock { s in merged(s.statistics) })
            }
            guard force || now - lastSave >= 100_000_000 else { return }
            let low = lowWater(live: live)
            // Never backwards: a re-read record below the saved cursor was answered before.
            guard low > cursor.sequence else { return }
            cursor.sequence = low
            lastSave = now
            try cursor.save(in: forwarder.store)
        }
    }
}
