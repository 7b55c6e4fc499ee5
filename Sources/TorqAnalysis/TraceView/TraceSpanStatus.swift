/// How a span ended (`status` of `span_end`), as OpenTelemetry defines it.
public enum TraceSpanStatus: String, Sendable, Hashable, CaseIterable {
    /// Not set: no end recorded, or the end left it unset.
    case unset
    /// Completed successfully.
    case ok
    /// Failed.
    case error

    /// OTLP's `Status.code` number: UNSET 0, OK 1, ERROR 2.
    public var otlpCode: Int {
        switch self {
        case .unset: 0
        case .ok: 1
        case .error: 2
        }
    }
}
