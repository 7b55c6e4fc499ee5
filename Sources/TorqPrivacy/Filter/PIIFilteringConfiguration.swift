/// What a ``PIIFilter`` redacts: on or off, in which fields, which kinds.
///
/// This module knows no event schema, so the fields come from the caller.
/// The defaults — filtering on, the schema's free-text fields and every
/// ``PIIKind`` — come with the collector (TorqCollector), which
/// takes the field names from the schema: `PIIFilteringConfiguration()`,
/// `PIIFilteringConfiguration(enabled:kinds:allStringValues:)` and
/// `PIIFilteringConfiguration.defaultSanitizeFields` are declared there.
public struct PIIFilteringConfiguration: Sendable, Equatable {
    /// Whether anything is redacted. When false the filter returns nil
    /// (unchanged) for everything without looking at it. Default: true.
    public var enabled: Bool
    /// Names of the fields whose values are redacted, wherever they appear in
    /// an event: at the top level and in nested objects (`attributes.user_query`,
    /// `metadata.query`). When such a field holds an object or an array, every
    /// string inside it is redacted. Default (TorqCollector): the schema's
    /// `user_query`, `user_feedback`, `error_message` and `query`.
    public var sanitizeFields: Set<String>
    /// The kinds redacted. Default: all of them.
    public var kinds: Set<PIIKind>
    /// Redact every string value of the event, at any depth, not only those of
    /// ``sanitizeFields`` (object keys are never changed). Default: false.
    public var allStringValues: Bool

    /// A configuration redacting `sanitizeFields`, with the given settings
    /// (defaults for those not given).
    public init(enabled: Bool = true,
                sanitizeFields: Set<String>,
                kinds: Set<PIIKind> = Set(PIIKind.allCases),
                allStringValues: Bool = false) {
        self.enabled = enabled
        self.sanitizeFields = sanitizeFields
        self.kinds = kinds
        self.allStringValues = allStringValues
    }
}
