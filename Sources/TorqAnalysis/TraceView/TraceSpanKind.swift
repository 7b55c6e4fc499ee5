/// What a span stands for, as OpenTelemetry defines it (`kind` of `span_start`).
public enum TraceSpanKind: String, Sendable, Hashable, CaseIterable {
    /// An operation inside the application (OpenTelemetry's default).
    case `internal`
    /// A request to a remote service (a model API call).
    case client
    /// The handling of a request from a remote client.
    case server
    /// The sending of a message handled later.
    case producer
    /// The handling of a message sent earlier.
    case consumer

    /// OTLP's `SpanKind` number: INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5.
    public var otlpValue: Int {
        switch self {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }
}
