import TorqEvents
import TorqJSON
/// The result of checking a batch of events against the compliance rule:
/// the overall score, counts per event type and per field and reason,
/// coverage of the recommended fields, the first non-compliant events, and
/// concrete recommendations.
public struct ComplianceReport: Sendable {
    /// The bar a store must clear: at least 95% of events compliant
    /// (`torqlog compliance --min-score` takes another).
    public static let requiredScore = 0.95

    /// Events (lines or records) looked at; empty lines are not events.
    public let totalEvents: Int
    /// Compliant events.
    public let compliantEvents: Int
    /// Events per type: the five, then `unknown` (any other or no `event_type`).
    public let byType: [TypeCompliance]
    /// Per type and field: how often each field is valid or fails, and why.
    /// Required and recommended fields of the five types; the four common
    /// required fields of events of unknown type.
    public let fields: [FieldCompliance]
    /// The unknown `event_type` strings seen (the first 64 distinct ones), most frequent first.
    public let unknownEventTypes: [UnknownEventType]
    /// Lines or records that are not JSON objects (counted in ``totalEvents``, never compliant).
    public let notJSONObjects: Int
    /// `span_start` and `span_end` events seen: records of tracing, not
    /// telemetry events, so outside the rule and not in ``totalEvents``.
    public let spanEvents: Int
    /// The first non-compliant events, in source order.
    public let examples: [NonCompliantEvent]
    /// What to fix, most important first, e.g. `tool_execution.execution_time_ms
    /// missing in 31% of events (1,204): set it in recordToolExecution`.
    public private(set) var recommendations: [String] = []

    /// compliant / total; 1 when there are no events (nothing is non-compliant).
    public var complianceScore: Double {
        totalEvents == 0 ? 1 : Double(compliantEvents) / Double(totalEvents)
    }

    /// Whether ``complianceScore`` is at least ``requiredScore``.
    public var meetsRequirement: Bool { complianceScore >= Self.requiredScore }

    /// Compliance of one event type.
    public struct TypeCompliance: Sendable, Hashable {
        /// The event type, or `unknown`.
        public let name: String
        /// Events of this type.
        public let events: Int
        /// Compliant events of this type.
        public let compliantEvents: Int
        /// compliant / events; 1 when there are none.
        public var score: Double { events == 0 ? 1 : Double(compliantEvents) / Double(events) }
    }

    /// How one field of one event type fared.
    public struct FieldCompliance: Sendable, Hashable {
        /// The event type, or `unknown`.
        public let eventType: String
        /// The field.
        public let field: String
        /// Required or recommended.
        public let requirement: FieldRequirement
        /// Events of the type (the field's denominator).
        public let events: Int
        /// Events where the field is present, not null and valid.
        public let valid: Int
        /// Events where it fails, per reason (only reasons that occurred).
        public let failures: [NonComplianceReason: Int]
        /// Events where it is present (valid or not, null included).
        public var present: Int { events - (failures[.missing] ?? 0) }
        /// valid / events; nil when there are no events of the type.
        public var coverage: Double? { events == 0 ? nil : Double(valid) / Double(events) }
    }

    /// An `event_type` that is not one of the five, and how many events had it.
    public struct UnknownEventType: Sendable, Hashable {
        /// The `event_type` string, or nil for all names past the first 64.
        public let name: String?
        /// Events with it.
        public let events: Int
    }

    init(_ tally: ComplianceTally) {
        totalEvents = tally.total
        compliantEvents = tally.compliant
        notJSONObjects = tally.notObjects
        spanEvents = tally.spanEvents
        examples = tally.examples.map(\.event)
        var byType: [TypeCompliance] = []
        var fields: [FieldCompliance] = []
        for table in FieldTable.all {
            let name = table.eventType?.rawValue ?? "unknown"
            let events = tally.typeEvents[table.index]
            byType.append(TypeCompliance(name: name, events: events, compliantEvents: tally.typeCompliant[table.index]))
            for (slot, field) in table.fields.enumerated() {
                var failures: [NonComplianceReason: Int] = [:]
                var failed = 0
                for status in FieldStatus.allCases {
                    guard let reason = status.reason else { continue }
                    let n = tally.count(table: table.index, slot: slot, status: status)
                    if n > 0 {
                        failures[reason] = n
                        failed += n
                    }
                }
                fields.append(FieldCompliance(eventType: name, field: field.name,
                                              requirement: slot < table.requiredCount ? .required : .recommended,
                                              events: events, valid: events - failed, failures: failures))
            }
        }
        self.byType = byType
        self.fields = fields
        var unknown = tally.unknownTypeNames.map { UnknownEventType(name: $0.key, events: $0.value) }
        unknown.sort { ($0.events, $1.name ?? "") > ($1.events, $0.name ?? "") }
        if tally.otherUnknownTypes > 0 { unknown.append(UnknownEventType(name: nil, events: tally.otherUnknownTypes)) }
        unknownEventTypes = unknown
        recommendations = Recommendations.make(for: self)
    }

    /// The report as a JSON document (pretty-printed), with the keys
    /// `total_events`, `compliant_events`, `compliance_score`,
    /// `required_score`, `meets_requirement`, `by_type`, `fields`,
    /// `unknown_event_types`, `not_json_objects`, `span_events`, `examples`, `recommendations`.
    public func json(pretty: Bool = true) -> String {
        func rounded(_ x: Double) -> OrderedJSON { .number((x * 1_000_000).rounded() / 1_000_000) }
        let types = OrderedJSON.object(byType.map { t in
            (t.name, .object([("events", .int(t.events)), ("compliant_events", .int(t.compliantEvents)), ("compliance_score", rounded(t.score))]))
        })
        var fieldGroups: [(String, OrderedJSON)] = []
        for t in byType {
            let members: [(String, OrderedJSON)] = fields.filter { $0.eventType == t.name }.map { f in
                var m: [(String, OrderedJSON)] = [("requirement", .string(f.requirement.rawValue)), ("events", .int(f.events)),
                                                  ("present", .int(f.present)), ("valid", .int(f.valid))]
                for reason in NonComplianceReason.allCases where reason != .notAnObject {
                    if f.requirement == .recommended, reason == .unknownEventType { continue }
                    if reason == .unknownEventType, f.field != EventField.eventType.key { continue }
                    m.append((reason.rawValue, .int(f.failures[reason] ?? 0)))
                }
                m.append(("coverage", f.coverage.map(rounded) ?? .null))
                return (f.field, .object(m))
            }
            fieldGroups.append((t.name, .object(members)))
        }
        let unknown = OrderedJSON.object(unknownEventTypes.map { ($0.name ?? "(other)", .int($0.events)) })
        let exampleList = OrderedJSON.array(examples.map { e in
            .object([("location", .string(e.location.description)),
                     (EventField.eventType.key, e.eventType.map { .string($0.rawValue) } ?? .null),
                     ("reasons", .array(e.issues.map { .string($0.description) }))])
        })
        let document = OrderedJSON.object([
            ("total_events", .int(totalEvents)),
            ("compliant_events", .int(compliantEvents)),
            ("compliance_score", rounded(complianceScore)),
            ("required_score", .number(Self.requiredScore)),
            ("meets_requirement", .bool(meetsRequirement)),
            ("by_type", types),
            ("fields", .object(fieldGroups)),
            ("unknown_event_types", unknown),
            ("not_json_objects", .int(notJSONObjects)),
            ("span_events", .int(spanEvents)),
            ("examples", exampleList),
            ("recommendations", .array(recommendations.map { .string($0) })),
        ])
        return document.rendered(pretty: pretty)
    }
}
