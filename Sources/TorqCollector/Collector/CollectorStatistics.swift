import TorqPrivacy
/// A snapshot of what a ``TelemetryCollector`` has done: events recorded,
/// written and dropped by reason, the queue, batches, bytes, redactions,
/// flush times and sink failures.
///
/// Accounting is exact: at any moment
/// `eventsRecorded == eventsCollected + eventsDropped.total + queueSize + eventsInFlight`,
/// and after `shutdown()` returns, `queueSize` and `eventsInFlight` are 0.
public struct CollectorStatistics: Sendable, Equatable {
    /// Calls of `record`.
    public var eventsRecorded = 0
    /// Events written to the sink (for the store: appended, visible to readers).
    public var eventsCollected = 0
    /// Events not kept, by reason.
    public var eventsDropped: [DropReason: Int] = [:]
    /// Events accepted and waiting in the queue.
    public var queueSize = 0
    /// Events taken from the queue by the flusher and not yet written.
    public var eventsInFlight = 0
    /// Batches written.
    public var batchesFlushed = 0
    /// Bytes of event JSON written (excluding framing).
    public var bytesWritten: Int64 = 0
    /// Redactions made, by kind.
    public var redactions: [PIIKind: Int] = [:]
    /// Events of ``TelemetryStorage/memory(capacity:)`` pushed out by newer ones.
    public var eventsEvicted = 0
    /// How long the last batch took to write (and sync, under `always`), in nanoseconds.
    public var lastFlushNanoseconds: Int64 = 0
    /// Median batch write time, in nanoseconds (0 before the first batch).
    public var flushP50Nanoseconds: Int64 = 0
    /// 99th-percentile batch write time, in nanoseconds.
    public var flushP99Nanoseconds: Int64 = 0
    /// Failed sink writes so far (each retried).
    public var sinkFailures = 0
    /// The last sink failure, while the sink is failing; nil once a write succeeds again.
    public var lastError: String?

    /// Events dropped for any reason.
    public var totalDropped: Int { eventsDropped.values.reduce(0, +) }

    /// Dropped for `reason` (0 when none).
    public func dropped(_ reason: DropReason) -> Int { eventsDropped[reason] ?? 0 }

    /// An empty snapshot.
    public init() {}
}
