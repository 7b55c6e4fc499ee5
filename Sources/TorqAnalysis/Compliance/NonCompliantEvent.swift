import TorqEvents
/// One non-compliant event, as an example in a ``ComplianceReport``.
public struct NonCompliantEvent: Sendable, Hashable {
    /// Where it is.
    public let location: EventLocation
    /// Its `event_type`, when that is a string.
    public let eventType: EventType?
    /// Why it is not compliant: one issue per failing required field, or a
    /// single ``NonComplianceReason/notAnObject`` issue.
    public let issues: [FieldIssue]
}
