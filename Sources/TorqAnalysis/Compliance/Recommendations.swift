import TorqEvents
import TorqJSON
/// Turns a report's counts into concrete advice, most important first: the
/// verdict when below the requirement, lines that are not JSON objects,
/// unknown event types, then required fields and recommended fields, each
/// by the share of events they affect.
enum Recommendations {
    static func make(for report: ComplianceReport) -> [String] {
        var lines: [(weight: Double, text: String)] = []
        let total = report.totalEvents
        guard total > 0 else { return [] }
        func share(_ n: Int, of d: Int) -> String { NumberText.percent(Double(n) / Double(max(d, 1))) }

        if report.notJSONObjects > 0 {
            let first = report.examples.first { $0.issues.first?.reason == .notAnObject }
            let example = first.map { ", first at \($0.location)" } ?? ""
            lines.append((2, "\(NumberText.grouped(report.notJSONObjects)) lines (\(share(report.notJSONObjects, of: total))) are not JSON objects\(example): make every line one JSON object"))
        }
        let typeNames = EventType.complianceTypes.map(\.rawValue).joined(separator: ", ")
        let namedUnknown = report.unknownEventTypes.reduce(0) { $0 + $1.events }
        if namedUnknown > 0 {
            let top = report.unknownEventTypes.prefix(3).map { "\($0.name.map { "\"\($0)\"" } ?? "others") ×\(NumberText.grouped($0.events))" }
            lines.append((1.5, "\(NumberText.grouped(namedUnknown)) events (\(share(namedUnknown, of: total))) have an \(EventField.eventType) that is not one of the five (\(top.joined(separator: ", "))): use \(typeNames)"))
        }

        // The four common fields, summed over all types: one line for absent
        // values (missing or null), one for bad ones.
        var required: [(weight: Double, text: String)] = []
        var recommended: [(weight: Double, text: String)] = []
        for field in EventSchema.commonFields where field.requirement == .required {
            var failures: [NonComplianceReason: Int] = [:]
            for f in report.fields where f.field == field.name {
                for (reason, n) in f.failures where reason != .unknownEventType { failures[reason, default: 0] += n }
            }
            required += describe(field.name, field.kind, failures, events: total, of: "events", recordedBy: "every recording call")
        }
        for schema in EventSchema.complianceSchemas {
            let type = schema.eventType.rawValue
            for f in report.fields where f.eventType == type {
                guard let definition = schema.fields.first(where: { $0.name == f.field }) else { continue }
                let found = describe(type + "." + f.field, definition.kind, f.failures, events: f.events, of: "\(type) events",
                                     recordedBy: schema.recordedBy)
                if f.requirement == .required { required += found } else { recommended += found }
            }
        }
        required.sort { $0.weight > $1.weight }
        recommended.sort { $0.weight > $1.weight }
        lines.sort { $0.weight > $1.weight }
        var result: [String] = []
        if !report.meetsRequirement {
            result.append("compliance is \(NumberText.percent(report.complianceScore)), below the required \(NumberText.percent(ComplianceReport.requiredScore)): fix the required fields below first")
        }
        result += lines.map(\.text)
        result += required.prefix(requiredLimit).map(\.text)
        result += recommended.prefix(recommendedLimit).map { $0.text + " (recommended)" }
        return result
    }

    /// Required-field lines kept, most frequent first.
    static let requiredLimit = 15
    /// Recommended-field lines kept, most frequent first.
    static let recommendedLimit = 10

    /// Up to two lines for one field: absent (missing or null), and bad
    /// (wrong type, out of range, invalid format); weight = share of events.
    private static func describe(_ name: String, _ kind: FieldKind, _ failures: [NonComplianceReason: Int], events: Int,
                                 of population: String, recordedBy: String) -> [(weight: Double, text: String)] {
        var lines: [(weight: Double, text: String)] = []
        let absent = (failures[.missing] ?? 0) + (failures[.null] ?? 0)
        if absent > 0 {
            let what = failures[.null] == nil ? "missing" : failures[.missing] == nil ? "null" : "missing or null"
            let share = Double(absent) / Double(max(events, 1))
            lines.append((share, "\(name) \(what) in \(NumberText.percent(share)) of \(population) (\(NumberText.grouped(absent))): set it in \(recordedBy)"))
        }
        let bad = (failures[.wrongType] ?? 0) + (failures[.outOfRange] ?? 0) + (failures[.invalidFormat] ?? 0)
        if bad > 0 {
            var what: [String] = []
            if failures[.wrongType] != nil { what.append("of the wrong type") }
            if failures[.outOfRange] != nil { what.append("out of range") }
            if failures[.invalidFormat] != nil { what.append("malformed") }
            let share = Double(bad) / Double(max(events, 1))
            lines.append((share, "\(name) \(what.joined(separator: " or ")) in \(NumberText.percent(share)) of \(population) (\(NumberText.grouped(bad))): write \(kind.expectation)"))
        }
        return lines
    }
}
