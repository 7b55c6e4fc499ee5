/// The JSON shape a field's value must have.
///
/// The validator and the generated JSON Schema both derive their checks from
/// these kinds, so the two always agree on what a valid value is.
public enum FieldKind: String, Sendable, Hashable, CaseIterable {
    /// A JSON string (any content, may be empty).
    case string
    /// A JSON string naming one of the five compliance event types.
    case eventType = "event_type"
    /// A JSON string holding an RFC 3339 date-time with an explicit offset
    /// (`Z` or `±HH:MM`), e.g. `2026-11-25T17:36:48.123456Z`.
    case timestamp
    /// A JSON number that is integral and ≥ 0 (`12`, `12.0`, `1.2e1`).
    case tokenCount = "token_count"
    /// A JSON number ≥ 0, a duration in milliseconds.
    case milliseconds
    /// A JSON number in [0, 1].
    case score
    /// `true` or `false`.
    case boolean
    /// A JSON array (of strings, by convention).
    case array
    /// A JSON object.
    case object
    /// A JSON string of 32 lowercase hexadecimal digits (a W3C trace id).
    case traceID = "trace_id"
    /// A JSON string of 16 lowercase hexadecimal digits (a W3C span id).
    case spanID = "span_id"

    /// What a valid value looks like, in words (`"an integer ≥ 0"`), for
    /// messages and recommendations.
    public var expectation: String {
        switch self {
        case .string: "a string"
        case .eventType: "one of " + EventType.complianceTypes.map(\.rawValue).joined(separator: ", ")
        case .timestamp: "an RFC 3339 date-time with an offset, e.g. 2026-11-25T17:36:48.123Z"
        case .tokenCount: "an integer ≥ 0"
        case .milliseconds: "a number ≥ 0"
        case .score: "a number in [0, 1]"
        case .boolean: "a boolean"
        case .array: "an array"
        case .object: "an object"
        case .traceID: "32 lowercase hex digits"
        case .spanID: "16 lowercase hex digits"
        }
    }
}
