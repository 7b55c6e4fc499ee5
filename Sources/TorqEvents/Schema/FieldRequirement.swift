/// How much an event type needs a field.
public enum FieldRequirement: String, Sendable, Hashable, CaseIterable {
    /// Must be present, not null, and valid for the event to be compliant.
    case required
    /// Should be present; its absence lowers coverage and yields a
    /// recommendation, never non-compliance.
    case recommended
    /// May be present; never checked by the compliance rule.
    case optional
}
