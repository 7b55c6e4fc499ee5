/// The two OTLP signals a store travels as.
public enum ForwardSignal: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Spans, to `/v1/traces`.
    case traces
    /// Log records (every record but `span_start`/`span_end`), to `/v1/logs`.
    case logs

    /// The path appended to the endpoint's base URL.
    public var path: String { "/v1/" + rawValue }

    public static func < (a: ForwardSignal, b: ForwardSignal) -> Bool { a.rawValue < b.rawValue }
}
