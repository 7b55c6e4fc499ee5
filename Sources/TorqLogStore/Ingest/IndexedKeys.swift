/// The top-level JSON keys an ingester indexes: their string values become a
/// record's run key and type tag, and its event time (parsed as RFC 3339).
///
/// The store knows no event schema: whoever ingests says which keys these
/// are (`torqlog ingest` passes the telemetry schema's `run_id`,
/// `event_type` and `timestamp`).
public struct IndexedKeys: Sendable, Hashable {
    /// The key whose string value is the run key.
    public var run: String
    /// The key whose string value is the type tag.
    public var type: String
    /// The key whose RFC 3339 string value is the event time.
    public var time: String

    /// Keys named `run`, `type` and `time`.
    public init(run: String, type: String, time: String) {
        self.run = run
        self.type = type
        self.time = time
    }

    /// The keys in the parser's slot order: run, type, time.
    var inSlotOrder: [String] { [run, type, time] }
    static let runSlot = 0, typeSlot = 1, timeSlot = 2
}
