/// `span_end`: a tracing span ends. Its header carries the same trace id and
/// span id as the matching ``SpanStartEvent``.
public struct SpanEndEvent: TelemetryEvent {
    /// `span_end`.
    public static let eventType = EventType.spanEnd
    /// The common fields; `traceID` and `spanID` are set by the initializer.
    public var header: EventHeader
    /// `name` (required): the span's name, as at its start.
    public var name: String
    /// `status` (required): `ok`, `error` or `unset`.
    public var status: String
    /// `duration_ms` (recommended), ≥ 0.
    public var durationMs: Double?
    /// `error_message` (optional), when status is `error`.
    public var errorMessage: String?

    /// A `span_end` event; sets `header.traceID`, `header.spanID` and `header.parentSpanID`.
    public init(header: EventHeader, traceID: TraceID, spanID: SpanID, parentSpanID: SpanID? = nil, name: String, status: String,
                durationMs: Double? = nil, errorMessage: String? = nil) {
        var header = header
        header.traceID = traceID
        header.spanID = spanID
        header.parentSpanID = parentSpanID
        self.header = header
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.errorMessage = errorMessage
    }
}
