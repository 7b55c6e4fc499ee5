/// What a ``PIIFilter`` redacts: on or off, in which fields, which kinds.
///
/// The defaults: filtering on, in the fields `user_query`, `user_feedback`,
/// `error_message` and `query`, for every ``PIIKind``.
public struct PIIFilteringConfiguration: Sendable, Equatable {
    /// Whether anything is redacted. When false the filter returns nil
    /// (unchanged) for everything without looking at it. Default: true.
    public var enabled: Bool = true
    /// Names of the fields whose values are redacted, wherever they appear in
    /// an event: at the top level and in nested objects (`attributes.user_query`,
    /// `metadata.query`). When such a field holds an object or an array, every
    /// string inside it is redacted. Default:
    /// `["user_query", "user_feedback", "error_message", "query"]`
    /// (``defaultSanitizeFields``).
    public var sanitizeFields: Set<String> = PIIFilteringConfiguration.defaultSanitizeFields
    /// The kinds redacted. Default: all of them.
    public var kinds: Set<PIIKind> = Set(PIIKind.allCases)
    /// Redact every string value of the event, at any depth, not only those of
    /// ``sanitizeFields`` (object keys are never changed). Default: false.
    public var allStringValues: Bool = false

    /// The default fields to sanitize: `user_query`, `user_feedback`,
    /// `error_message`, `query`.
    public static let defaultSanitizeFields: Set<String> = ["user_query", "user_feedback", "error_message", "query"]

    /// The defaults: on, ``defaultSanitizeFields``, every kind.
    public init() {}

    /// A configuration with the given settings (defaults for those not given).
    public init(enabled: Bool = true,
                sanitizeFields: Set<String> = PIIFilteringConfiguration.defaultSanitizeFields,
                kinds: Set<PIIKind> = Set(PIIKind.allCases),
                allStringValues: Bool = false) {
        self.enabled = enabled
        self.sanitizeFields = sanitizeFields
        self.kinds = kinds
        self.allStringValues = allStringValues
    }
}
