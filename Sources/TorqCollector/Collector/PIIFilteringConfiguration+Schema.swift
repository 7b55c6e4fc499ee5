import TorqEvents
import TorqPrivacy

// The PII filter's defaults. TorqPrivacy knows no event schema: the collector,
// which does, names the fields it sanitizes by default.

extension PIIFilteringConfiguration {
    /// The fields sanitized by default: the schema's `user_query`,
    /// `error_message` and `query`, and `user_feedback` (not a field of the
    /// schema; events carry it as an unknown field or in `attributes`).
    public static let defaultSanitizeFields: Set<String> = [
        EventField.userQuery.key, "user_feedback", EventField.errorMessage.key, EventField.query.key,
    ]

    /// The defaults: on, the fields of ``defaultSanitizeFields``, every
    /// kind; with the given settings (defaults for those not given).
    public init(enabled: Bool = true, kinds: Set<PIIKind> = Set(PIIKind.allCases), allStringValues: Bool = false) {
        self.init(enabled: enabled, sanitizeFields: Self.defaultSanitizeFields, kinds: kinds, allStringValues: allStringValues)
    }
}

extension PIIFilter {
    /// A filter with the default configuration: ``PIIFilteringConfiguration/defaultSanitizeFields``, every kind.
    public init() {
        self.init(PIIFilteringConfiguration())
    }
}
