import TorqJSON
import CSimdJSON

/// Checks events against the compliance rule, one at a time.
///
/// An event is compliant when it is a JSON object whose `event_type` is one
/// of the five types and whose required fields (`event_id`, `event_type`,
/// `timestamp`, `session_id` and the type's own, see ``EventSchema``) are
/// present, not null and of the right shape (``FieldKind``). For a repeated
/// key the first occurrence counts. The JSON is parsed with simdjson; the
/// result is the same as the scanner's and as the JSON Schema of
/// `torqlog schema`.
///
/// A validator owns a parser and is not shareable between threads
/// (`~Copyable`); make one per thread.
public struct EventValidator: ~Copyable {
    private var parser: JSONLineParser
    private var scratch: [UInt8] = []

    /// The longest event accepted, in bytes (the store's record limit, 16 MiB);
    /// longer ones are not JSON objects as far as the rule is concerned.
    public static let maxEventLength = 16 * 1024 * 1024

    /// A validator; throws ``TelemetryError/Kind/outOfMemory`` when the parser cannot be allocated.
    public init() throws(TelemetryError) {
        let parser = EventKeys.parser()
        guard parser.handle != nil else { throw TelemetryError(.outOfMemory, "cannot allocate the JSON parser") }
        self.parser = parser
    }

    /// Validates one JSON event given as bytes (no line terminator needed).
    public mutating func validate(json: UnsafeRawBufferPointer) -> EventValidation {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: json)
        scratch.append(contentsOf: repeatElement(0x20, count: JSONLineParser.requiredPadding))
        let count = json.count
        return scratch.withUnsafeBytes { padded in
            validatePadded(UnsafeRawBufferPointer(rebasing: padded[0..<count]))
        }
    }

    /// Validates one JSON event given as bytes.
    public mutating func validate(json: [UInt8]) -> EventValidation {
        json.withUnsafeBytes { validate(json: $0) }
    }

    /// Validates one JSON event given as text.
    public mutating func validate(json: String) -> EventValidation {
        validate(json: Array(json.utf8))
    }

    /// Validates a typed event, as encoded.
    public mutating func validate(_ event: some TelemetryEvent) -> EventValidation {
        validate(json: event.jsonBytes())
    }

    /// `line` must be followed by `JSONLineParser.requiredPadding` readable bytes.
    private mutating func validatePadded(_ line: UnsafeRawBufferPointer) -> EventValidation {
        let info = parser.parseRaw(line)
        guard Int(info.error) == TQ_JSON_OK else {
            return EventValidation(eventType: nil, isCompliant: false, fieldScore: 0,
                                   issues: [FieldIssue(field: "", reason: .notAnObject, detail: ParseFailure.describe(info))],
                                   recommendationIssues: [])
        }
        let check = parser.checkObject(info)
        let table = FieldTable.all[check.table]
        var typeName: String?
        let type = info.key(EventKeys.typeSlot)
        if Int(type.kind) == TQ_JSON_KEY_STRING, let str = type.str {
            typeName = String(decoding: UnsafeRawBufferPointer(start: str, count: type.len), as: UTF8.self)
        }
        var issues: [FieldIssue] = []
        var recommendations: [FieldIssue] = []
        var valid = 0
        for (slot, field) in table.fields.enumerated() {
            let status = check.statuses[slot]
            guard let reason = status.reason else {
                if slot < table.requiredCount { valid += 1 }
                continue
            }
            let detail: String = switch reason {
            case .unknownEventType: "\"\(typeName ?? "")\" is not one of " + EventType.complianceTypes.map(\.rawValue).joined(separator: ", ")
            case .missing, .null: ""
            default: "expected " + field.kind.expectation
            }
            let issue = FieldIssue(field: field.name, reason: reason, detail: detail)
            if slot < table.requiredCount { issues.append(issue) } else { recommendations.append(issue) }
        }
        return EventValidation(eventType: typeName.map(EventType.init(rawValue:)), isCompliant: check.isCompliant,
                               fieldScore: table.requiredCount == 0 ? 0 : Double(valid) / Double(table.requiredCount),
                               issues: issues, recommendationIssues: recommendations)
    }
}
