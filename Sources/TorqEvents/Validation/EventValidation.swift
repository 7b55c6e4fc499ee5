/// The verdict of the compliance rule on one event.
public struct EventValidation: Sendable, Hashable {
    /// The `event_type` when it is a string (known or not), else nil.
    public let eventType: EventType?
    /// True when the event is a JSON object of one of the five types whose
    /// required fields are all present, not null and valid.
    public let isCompliant: Bool
    /// The share of the required fields (four common ones plus the type's;
    /// only the four for an unknown type) that are valid, in [0, 1]; 0 when
    /// the event is not a JSON object.
    public let fieldScore: Double
    /// One issue per required field that fails, in schema order; a single
    /// ``NonComplianceReason/notAnObject`` issue when the event is not a JSON object.
    public let issues: [FieldIssue]
    /// The recommended fields of the event's type that are absent, null or
    /// malformed. They never make an event non-compliant.
    public let recommendationIssues: [FieldIssue]

    init(eventType: EventType?, isCompliant: Bool, fieldScore: Double, issues: [FieldIssue], recommendationIssues: [FieldIssue]) {
        self.eventType = eventType
        self.isCompliant = isCompliant
        self.fieldScore = fieldScore
        self.issues = issues
        self.recommendationIssues = recommendationIssues
    }
}

/// One field that fails a check, and why.
public struct FieldIssue: Sendable, Hashable, CustomStringConvertible {
    /// The field's name; empty for ``NonComplianceReason/notAnObject``.
    public let field: String
    /// Why it fails.
    public let reason: NonComplianceReason
    /// What was expected or found, e.g. `expected an integer ≥ 0`.
    public let detail: String

    /// An issue.
    public init(field: String, reason: NonComplianceReason, detail: String) {
        self.field = field
        self.reason = reason
        self.detail = detail
    }

    /// `field: reason (detail)`.
    public var description: String {
        let head = field.isEmpty ? reason.description : "\(field): \(reason)"
        return detail.isEmpty ? head : "\(head) (\(detail))"
    }
}
