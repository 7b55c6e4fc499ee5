import TorqJSON
/// Something that happened within a span: an OpenTelemetry span event (from
/// `attributes.events` of `span_end`), or a telemetry record of the run (an
/// `agent_run`, `tool_execution`, … whose `span_id`, or `parent_span_id`
/// when it has no span id, names the span).
public struct TraceSpanEvent: Sendable, Hashable {
    /// Where the event comes from.
    public enum Source: String, Sendable, Hashable {
        /// An OpenTelemetry span event listed in `attributes.events`.
        case spanEvent = "span_event"
        /// A telemetry record of the run.
        case record
    }

    /// The span event's `name`, or the record's `event_type`.
    public var name: String
    /// When it happened, nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64
    /// The span event's `attributes`; for a record, its `attributes` plus
    /// every top-level field but the ids, `event_type` and `timestamp`.
    public var attributes: [String: TelemetryValue]
    /// Where the event comes from.
    public var source: Source
    /// The record's `event_id`, when it has one.
    public var eventID: String?
    /// The record's duration field (`execution_time_ms`, …), when present.
    public var durationMs: Double?
    /// Whether the record reports a failure (`success` false, `status` failed, error or timeout).
    public var isFailure: Bool
    /// A one-line description of the key fields (`web_search completed`).
    public var summary: String

    /// An event; every field is given.
    public init(name: String, timestampNanoseconds: Int64, attributes: [String: TelemetryValue], source: Source,
                eventID: String? = nil, durationMs: Double? = nil, isFailure: Bool = false, summary: String = "") {
        self.name = name
        self.timestampNanoseconds = timestampNanoseconds
        self.attributes = attributes
        self.source = source
        self.eventID = eventID
        self.durationMs = durationMs
        self.isFailure = isFailure
        self.summary = summary
    }
}
