/// `span_start`: a tracing span begins. Its header carries the trace id and
/// span id (and the parent span id for a child span).
public struct SpanStartEvent: TelemetryEvent {
    /// `span_start`.
    public static let eventType = EventType.spanStart
    /// The common fields; `traceID` and `spanID` are set by the initializer.
    public var header: EventHeader
    /// `name` (required): the span's name.
    public var name: String
    /// `kind` (optional): `internal`, `client`, `server`, `producer` or `consumer`.
    public var kind: String?

    /// A `span_start` event; sets `header.traceID`, `header.spanID` and `header.parentSpanID`.
    public init(header: EventHeader, traceID: TraceID, spanID: SpanID, parentSpanID: SpanID? = nil, name: String, kind: String? = nil) {
        var header = header
        header.traceID = traceID
        header.spanID = spanID
        header.parentSpanID = parentSpanID
        self.header = header
        self.name = name
        self.kind = kind
    }
}
