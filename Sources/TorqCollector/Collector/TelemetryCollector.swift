import Histogram
import Logging
import Synchronization
import TorqEvents
import TorqLogStore
import TorqPrivacy
#if canImport(Glibc)
import Glibc
#endif

/// Collects telemetry events from agent code and writes them, in batches, to
/// a store, a JSONL file or memory.
///
/// `record(_:)` is what agents call: it never blocks (unless the overflow
/// policy is ``TelemetryConfiguration/OverflowPolicy/wait``), never throws,
/// makes no system call in the steady state, and may be called from any
/// thread or task. It stamps a missing timestamp, applies sampling and the
/// rate limit, and enqueues; everything costly happens on the collector's
/// own threads: stamping a missing `event_id`, encoding and PII redaction on
/// one encoding thread per core (`EncodePipeline`), writing on the flusher
/// thread, in the order the events were taken from the queue.
///
/// Nothing accepted is lost silently: every event passed to `record` is, in
/// the end, either written or counted in ``CollectorStatistics/eventsDropped``
/// with its reason. When the sink fails (disk full, I/O error), the flusher
/// keeps the batch and retries with back-off while the queue fills up to its
/// capacity; the failure shows in ``statistics()`` and the logger, and writing
/// resumes when the sink recovers. `shutdown()` writes everything accepted.
///
/// ```swift
/// var config = TelemetryConfiguration(storage: .store(directory: "/var/lib/agent/torqlog"))
/// config.samplingRate = 0.25
/// let collector = try TelemetryCollector(configuration: config)
/// collector.record(ToolExecutionEvent(header: EventHeader(eventID: "", timestamp: 0, sessionID: "s1", runID: "r1"),
///                                     toolName: "web_search", toolType: .search, status: .completed))
/// collector.shutdown()
/// ```
///
/// It is also a swift-service-lifecycle `Service`: run it in a
/// `ServiceGroup` and a SIGTERM to the host flushes it before exit.
public final class TelemetryCollector: Sendable {
    /// What `record` did with an event.
    public enum RecordResult: Sendable, Equatable {
        /// Queued; it will be written (or, if the sink fails until shutdown, counted as dropped).
        case accepted
        /// Not kept, for this reason (and counted).
        case dropped(DropReason)
    }

    /// The configuration the collector was created with.
    public let configuration: TelemetryConfiguration

    private let queue: EventQueue
    private let sampler: RunSampler
    private let waitWhenFull: Bool
    private let sink: any EventSink
    private let filter: (any JSONRedacting)?
    private let sampledOut = Atomic<Int>(0)
    private let disabledCount = Atomic<Int>(0)
    private let unsupportedCount = Atomic<Int>(0)
    /// What the flusher has done; it updates this once per batch.
    private let progress: FlushProgress
    /// The flusher: a worker running one long job (the flush loop), stopped
    /// (joined) by `shutdown()` (taken out exactly once).
    private let flusher: Mutex<Worker<Void>?>

    /// What the flusher has done, shared by the collector and the flusher
    /// thread (which must not hold the collector itself: dropping the last
    /// reference to a collector shuts it down). `flush()` waits on it; the
    /// flusher notifies every waiter when what is written, dropped or finished changes.
    private final class FlushProgress: Sendable {
        let record = ConditionLock(FlushRecord())
    }

    private struct FlushRecord: ~Copyable {
        var collected = 0
        var inFlight = 0
        var sinkDropped = 0
        var batches = 0
        var bytes: Int64 = 0
        var failures = 0
        var lastError: String?
        var lastFlush: Int64 = 0
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .two)
        var redactions = RedactionCounts()
        var finished = false
    }

    /// Starts a collector (and its flusher thread) with `configuration`.
    ///
    /// - Throws: ``TelemetryError`` for an invalid configuration or storage
    ///   that cannot be opened; a `StoreError` when the store is damaged, or
    ///   locked by another writer that is not a `torqlog serve` (a store held
    ///   by one is written through it: every commit acknowledged once durable).
    public convenience init(configuration: TelemetryConfiguration = TelemetryConfiguration()) throws {
        if let problem = configuration.validationError() { throw TelemetryError(.invalidArgument, problem) }
        let sink: any EventSink
        switch configuration.storage {
        case _ where !configuration.enabled: sink = try MemorySink(capacity: 1)  // nothing is written: open nothing
        case .store(let directory): sink = try StoreSink(directory: directory, configuration: configuration)
        case .jsonl(let path, let gzip): sink = try JSONLSink(path: path, gzip: gzip, durability: configuration.fsync)
        case .memory(let capacity): sink = try MemorySink(capacity: capacity)
        }
        try self.init(configuration: configuration, sink: sink)
    }

    /// A collector writing to `sink` instead of the storage the configuration
    /// names (a sink of your own, or a test double).
    ///
    /// - Throws: ``TelemetryError`` for an invalid configuration.
    public init(configuration: TelemetryConfiguration, sink: any EventSink) throws {
        if let problem = configuration.validationError() { throw TelemetryError(.invalidArgument, problem) }
        self.configuration = configuration
        self.sink = sink
        sampler = RunSampler(rate: configuration.samplingRate)
        waitWhenFull = configuration.overflowPolicy == .wait
        queue = EventQueue(capacity: configuration.queueCapacity, batchSize: configuration.batchSize,
                           writeWhenIdle: configuration.writeWhenIdle, maxEventsPerHour: configuration.maxEventsPerHour)
        let pii = configuration.piiFiltering
        filter = pii.enabled ? PIIFilter(pii) : nil
        progress = FlushProgress()
        flusher = Mutex(nil)
        guard configuration.enabled else { return }
        let loop = FlushLoop(configuration: configuration, queue: queue, sink: sink, filter: filter, progress: progress)
        let worker: Worker<Void>
        do {
            worker = try Worker(name: "torqlog-flush", capacity: 1) { _ in loop.run() }
        } catch {
            // Nothing was recorded yet; a failure to close the sink is reported with the cause, not dropped.
            var message = "cannot start the collector's flusher thread: \(error)"
            do { try sink.close() } catch let closing { message += "; closing the sink also failed: \(closing)" }
            throw TelemetryError(.outOfMemory, message)
        }
        worker.submit(())
        flusher.withLock { $0 = worker }
    }

    deinit {
        // A collector dropped without shutdown() still writes what it accepted.
        queue.close()
        flusher.withLock({ $0.take() })?.stop(.finishQueued)
    }

    // MARK: Recording

    /// Records a typed event, as ``record(_:)-(AnyTelemetryEvent)`` does.
    /// An event type defined outside this module is refused
    /// (``DropReason/unsupportedEvent``).
    @discardableResult
    public func record<Event: TelemetryEvent>(_ event: consuming Event) -> RecordResult {
        guard let any = AnyTelemetryEvent(event) else {
            unsupportedCount.add(1, ordering: .relaxed)
            return .dropped(.unsupportedEvent)
        }
        return record(any)
    }

    /// Records an event: stamps its timestamp when it is 0 (now), applies
    /// sampling and the rate limit, and queues it for the flusher, which
    /// stamps an empty `event_id` with a random UUID. Never throws; blocks only
    /// under the `wait` overflow policy while the queue is full.
    @discardableResult
    public func record(_ event: consuming AnyTelemetryEvent) -> RecordResult {
        guard configuration.enabled else {
            disabledCount.add(1, ordering: .relaxed)
            return .dropped(.disabled)
        }
        var event = event  // moved, not copied: the parameter is consumed
        if event.withHeader({ $0.timestamp == 0 }) { event.stampTimestamp(Self.wallClockNanoseconds()) }
        if !sampler.keepsEverything {
            var key = event.withHeader { $0.runID }
            if key == nil {
                if event.withHeader({ $0.eventID.isEmpty }) { event.stampEventID() }
                key = event.withHeader { $0.eventID }
            }
            guard sampler.keeps(key ?? "") else {
                sampledOut.add(1, ordering: .relaxed)
                return .dropped(.sampled)
            }
        }
        let second = configuration.maxEventsPerHour == nil ? 0 : Self.monotonicSeconds()
        switch queue.push(event, second: second, wait: waitWhenFull) {  // moved into the queue
        case .accepted: return .accepted
        case .full: return .dropped(.queueFull)
        case .rateLimited: return .dropped(.rateLimited)
        case .closed: return .dropped(.shutdown)
        }
    }

    // MARK: Reading back

    /// The statistics so far, as a ``CollectorStatistics`` snapshot.
    public func statistics() -> CollectorStatistics {
        var s = CollectorStatistics()
        let q = queue.counters()
        let sampled = sampledOut.load(ordering: .relaxed)
        let disabled = disabledCount.load(ordering: .relaxed)
        let unsupported = unsupportedCount.load(ordering: .relaxed)
        progress.record.withLock { f in
            s.eventsCollected = f.collected
            s.eventsInFlight = f.inFlight
            s.batchesFlushed = f.batches
            s.bytesWritten = f.bytes
            s.sinkFailures = f.failures
            s.lastError = f.lastError
            s.lastFlushNanoseconds = f.lastFlush
            if f.latencies.totalCount > 0 {
                s.flushP50Nanoseconds = Int64(f.latencies.valueAtPercentile(50)) * 1000
                s.flushP99Nanoseconds = Int64(f.latencies.valueAtPercentile(99)) * 1000
            }
            for (kind, count) in f.redactions.nonZero { s.redactions[kind] = count }
            if f.sinkDropped > 0 { s.eventsDropped[.sinkError] = f.sinkDropped }
        }
        s.queueSize = q.waiting
        if q.full > 0 { s.eventsDropped[.queueFull] = q.full }
        if q.rateLimited > 0 { s.eventsDropped[.rateLimited] = q.rateLimited }
        if q.afterClose > 0 { s.eventsDropped[.shutdown] = q.afterClose }
        if sampled > 0 { s.eventsDropped[.sampled] = sampled }
        if disabled > 0 { s.eventsDropped[.disabled] = disabled }
        if unsupported > 0 { s.eventsDropped[.unsupportedEvent] = unsupported }
        s.eventsRecorded = q.accepted + q.full + q.rateLimited + q.afterClose + sampled + disabled + unsupported
        if let memory = sink as? MemorySink { s.eventsEvicted = memory.evicted }
        return s
    }

    /// The events written so far that match `query`, oldest first, read back
    /// from the storage (the store, the JSONL file, or memory) — the same
    /// call whatever the storage. Call ``flush()`` first to include
    /// everything recorded up to now.
    public func events(matching query: EventQuery = EventQuery()) throws -> [StoredEvent] {
        try sink.events(matching: query)
    }

    /// Waits until every event accepted before the call is written (or
    /// counted as dropped), waking the flusher if it is waiting.
    public func flush() {
        let target = queue.counters().accepted
        queue.wakeFlusher()
        progress.record.wait(until: { f in f.finished || f.collected + f.sinkDropped >= target })
    }

    // MARK: Shutdown

    /// Stops accepting events, writes everything accepted (retrying a failing
    /// sink for up to ``TelemetryConfiguration/shutdownTimeout``, then
    /// counting the rest as ``DropReason/sinkError``), makes it durable and
    /// releases the storage. Later `record` calls return `.dropped(.shutdown)`.
    /// Safe to call more than once, from any thread.
    @discardableResult
    public func shutdown() -> CollectorStatistics {
        queue.close()
        flusher.withLock({ $0.take() })?.stop(.finishQueued)  // the loop ends once the queue is written
        return statistics()
    }

    // MARK: Flusher

    /// The flusher's loop, on its own thread: take everything queued, encode
    /// and redact it, write it in batches, retry on failure.
    private struct FlushLoop: Sendable {
        let configuration: TelemetryConfiguration
        let queue: EventQueue
        let sink: any EventSink
        let filter: (any JSONRedacting)?
        let progress: FlushProgress

        func run() {
            var taken: [AnyTelemetryEvent] = []
            taken.reserveCapacity(min(configuration.queueCapacity, 1 << 14))
            var pipeline = EncodePipeline(filter: filter, width: ParallelWidth.available(), logger: configuration.logger)
            let timeoutNanos = Self.nanoseconds(configuration.flushInterval)
            var closing = false
            while true {
                closing = queue.take(into: &taken) || closing
                if taken.isEmpty {
                    if closing { break }
                    queue.waitForWork(until: .after(nanoseconds: max(timeoutNanos, 1000)))
                    continue
                }
                progress.record.withLock { $0.inFlight = taken.count }
                taken.withUnsafeMutableBufferPointer { events in
                    pipeline.encode(events, batchSize: configuration.batchSize) { chunk in
                        let (refused, refusedBytes) = sink.add(encoded: &chunk.batch)
                        let unwritable = chunk.unwritable + refused
                        let redactions = chunk.redactions
                        progress.record.withLock(notify: .all) { f in
                            f.sinkDropped += unwritable
                            f.inFlight -= unwritable
                            f.redactions += redactions
                        }
                        write(bytes: chunk.bytes - refusedBytes, closing: closing)
                    }
                }
                taken.removeAll(keepingCapacity: true)
            }
            pipeline.stop()
            closeSink()
            progress.record.withLock(notify: .all) { $0.finished = true }
        }

        /// Closes the sink, which makes what it committed durable; retries a
        /// failing sink with back-off for up to the shutdown timeout, then
        /// counts what never became durable as dropped (`sink_error`).
        private func closeSink() {
            var delayMs = 10
            let giveUpAt = TelemetryCollector.monotonicNanoseconds() + Self.nanoseconds(configuration.shutdownTimeout)
            while true {
                do {
                    try sink.close()
                    return
                } catch {
                    progress.record.withLock { f in f.failures += 1; f.lastError = "\(error)" }
                    guard TelemetryCollector.monotonicNanoseconds() < giveUpAt else {
                        let lost = sink.unacknowledgedCount
                        progress.record.withLock(notify: .all) { f in
                            f.collected -= lost
                            f.sinkDropped += lost
                        }
                        configuration.logger.critical("telemetry sink still failing at shutdown; events not durable are dropped", metadata: [
                            "dropped": "\(lost)", "error": "\(error)",
                        ])
                        return
                    }
                    configuration.logger.error("telemetry sink failed to close; retrying", metadata: [
                        "error": "\(error)", "not_durable": "\(sink.unacknowledgedCount)", "retry_ms": "\(delayMs)",
                    ])
                    queue.pause(until: .after(nanoseconds: UInt64(delayMs) * 1_000_000))  // shutdown is under way: no cut short
                    delayMs = min(delayMs * 2, 1000)
                }
            }
        }

        /// Commits the sink's pending batch, retrying with back-off until it
        /// succeeds or, once closing, until the shutdown timeout passes.
        private func write(bytes: Int64, closing: Bool) {
            var delayMs = 10
            var giveUpAt: UInt64?
            var failedBefore = false
            while sink.pendingCount > 0 {
                let pending = sink.pendingCount
                let started = TelemetryCollector.monotonicNanoseconds()
                do {
                    let written = try sink.commit()
                    let took = Int64(TelemetryCollector.monotonicNanoseconds() - started)
                    progress.record.withLock(notify: .all) { f in
                        f.collected += written
                        f.inFlight -= written
                        f.batches += 1
                        f.bytes += bytes
                        f.lastFlush = took
                        _ = f.latencies.record(UInt64(max(took / 1000, 1)))
                        f.lastError = nil
                    }
                    if failedBefore { configuration.logger.notice("telemetry sink recovered", metadata: ["events": "\(written)"]) }
                } catch {
                    // The sink keeps the whole batch pending (and, for the
                    // store, every batch not yet durable) for the next try.
                    let cause = error
                    failedBefore = true
                    progress.record.withLock { f in
                        f.failures += 1
                        f.lastError = "\(cause)"
                    }
                    configuration.logger.error("telemetry sink write failed; retrying", metadata: [
                        "error": "\(cause)", "pending": "\(pending)", "retry_ms": "\(delayMs)",
                    ])
                    let queueClosed = closing || queue.isClosed
                    if queueClosed {
                        let now = TelemetryCollector.monotonicNanoseconds()
                        if giveUpAt == nil { giveUpAt = now + Self.nanoseconds(configuration.shutdownTimeout) }
                        if let giveUpAt, now >= giveUpAt {
                            let lost = sink.pendingCount
                            sink.discardPending()
                            progress.record.withLock(notify: .all) { f in
                                f.sinkDropped += lost
                                f.inFlight -= lost
                            }
                            configuration.logger.critical("telemetry sink still failing at shutdown; events dropped", metadata: [
                                "dropped": "\(lost)", "error": "\(cause)",
                            ])
                            return
                        }
                    }
                    // Back-off: a timed wait that `shutdown()` (closing the queue) cuts short.
                    queue.pause(until: .after(nanoseconds: UInt64(delayMs) * 1_000_000))
                    delayMs = min(delayMs * 2, 1000)
                }
            }
        }

        /// A positive duration in whole nanoseconds.
        private static func nanoseconds(_ duration: Duration) -> UInt64 {
            let (seconds, attoseconds) = duration.components
            return UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
        }
    }

    // MARK: Clocks

    /// Nanoseconds since the epoch (CLOCK_REALTIME).
    package static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Whole seconds of the monotonic clock (the coarse clock: no system call, ~5 ns).
    static func monotonicSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return Int64(ts.tv_sec)
    }
}
