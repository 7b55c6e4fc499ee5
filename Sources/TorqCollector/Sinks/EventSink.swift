/// Where a ``TelemetryCollector`` writes: a batch is built with `add`, then
/// written with `commit` as one unit. The collector's own sinks are the
/// store, a JSONL file and memory; give another to
/// ``TelemetryCollector/init(configuration:sink:)`` (the "Write a sink" guide).
///
/// Sendable by contract rather than by construction (hence `@unchecked` on
/// conforming classes): `add`, `commit`, `pendingCount`, `discardPending`,
/// `unacknowledgedCount` and `close` are called by the collector's flusher
/// thread only; `events(matching:)`, called from any thread, must touch only
/// immutable state or state behind a lock.
///
/// The collector's promises rest on the sink's: a `commit` that throws has
/// written nothing a reader can see and keeps its batch pending, and the
/// collector calls it again later (with back-off) until it succeeds.
public protocol EventSink: AnyObject, Sendable {
    /// Adds one event's JSON (one line, no newline) to the pending batch.
    /// Throws when this one event can never be written (too large, say).
    func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws
    /// Events added and not yet committed.
    var pendingCount: Int { get }
    /// Writes the pending batch, all of it or none of it (a failed commit leaves
    /// nothing half-written visible and keeps the whole batch pending for the
    /// next commit, which does not store any of it twice).
    /// Returns the events written by this call.
    func commit() throws -> Int
    /// Forgets the pending batch (shutdown gave up on a failing sink).
    func discardPending()
    /// Events committed but not yet durable: held by the sink, which writes
    /// them again after a failure, and lost only if it cannot before close.
    var unacknowledgedCount: Int { get }
    /// Makes everything committed durable (per the sink's policy) and releases
    /// the sink. On a failure it keeps what is not durable, and may be called again.
    func close() throws
    /// Events committed in the sink's order, newest last, matching `query`.
    func events(matching query: EventQuery) throws -> [StoredEvent]
}

extension EventSink {
    /// A sink whose commits are durable when they return holds nothing unacknowledged.
    public var unacknowledgedCount: Int { 0 }
}
