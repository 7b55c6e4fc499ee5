/// Why a field, or a whole event, fails the compliance rule.
public enum NonComplianceReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A required field is absent.
    case missing
    /// A required field is `null`.
    case null
    /// A required field has the wrong JSON type (say a string for a token count,
    /// or a fractional number for one).
    case wrongType = "wrong_type"
    /// A number outside its range (a negative count or time, a score outside [0, 1]).
    case outOfRange = "out_of_range"
    /// A string in the wrong format (a `timestamp` that is not RFC 3339).
    case invalidFormat = "invalid_format"
    /// `event_type` is a string but not one of the five event types.
    case unknownEventType = "unknown_event_type"
    /// The line or record is not a JSON object at all.
    case notAnObject = "not_a_json_object"

    /// In words: "missing", "wrong type", "not a JSON object", ….
    public var description: String {
        switch self {
        case .missing: "missing"
        case .null: "null"
        case .wrongType: "wrong type"
        case .outOfRange: "out of range"
        case .invalidFormat: "invalid format"
        case .unknownEventType: "unknown event type"
        case .notAnObject: "not a JSON object"
        }
    }
}
