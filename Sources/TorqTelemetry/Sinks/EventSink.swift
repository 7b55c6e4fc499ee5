/// Where the flusher writes: a batch is built with `add`, then written with
/// `commit` as one unit.
///
/// Sendable by contract rather than by construction (hence `@unchecked` on the
/// conforming classes): `add`, `commit`, `pendingCount` and `close` are called
/// by the collector's flusher thread only; `events(matching:)`, called from
/// any thread, touches only immutable state or state behind a `Mutex`.
protocol EventSink: AnyObject, Sendable {
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
    var unacknowledgedCount: Int { 0 }
}
