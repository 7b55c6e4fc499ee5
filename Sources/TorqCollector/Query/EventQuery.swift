import TorqEvents
/// Which recorded events to read back from a collector's storage
/// (``TelemetryCollector/events(matching:)``). Every set field must match.
public struct EventQuery: Sendable, Equatable {
    /// Only events of this run.
    public var runID: String?
    /// Only events of this type.
    public var eventType: EventType?
    /// Only events at or after this time (nanoseconds since the epoch).
    public var since: Int64?
    /// Only events before this time (nanoseconds since the epoch).
    public var until: Int64?
    /// At most this many events (the oldest first).
    public var limit: Int?

    /// A query; with no arguments, every event.
    public init(runID: String? = nil, eventType: EventType? = nil, since: Int64? = nil, until: Int64? = nil, limit: Int? = nil) {
        self.runID = runID
        self.eventType = eventType
        self.since = since
        self.until = until
        self.limit = limit
    }

    /// Whether an event with these keys matches (a missing time never matches a time bound).
    public func matches(runID: String?, type: String, time: Int64?) -> Bool {
        if let want = self.runID, want != runID { return false }
        if let want = eventType, want.rawValue != type { return false }
        if since != nil || until != nil {
            guard let time else { return false }
            if let since, time < since { return false }
            if let until, time >= until { return false }
        }
        return true
    }
}
