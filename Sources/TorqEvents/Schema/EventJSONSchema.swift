import TorqJSON
/// JSON Schema (draft 2020-12) documents generated from ``EventSchema``, so
/// they always say exactly what the validator checks: a document accepts an
/// event if and only if ``EventValidator`` calls it compliant (for events
/// whose numbers fit in 64 bits or a double and whose keys are not repeated).
///
/// Required fields carry the constraints of their ``FieldKind``; recommended
/// and optional fields are described but not constrained (they never make
/// an event non-compliant), and listed under the annotation `x-recommended`.
/// Unknown fields are allowed.
public enum EventJSONSchema {
    /// The `$schema` of every document.
    public static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// The schema of all compliant events (one of the five types), or of one
    /// type's compliant events; nil when `type` is not one of the five.
    public static func document(for type: EventType? = nil) -> String? {
        guard let type else { return combined().rendered() }
        guard let schema = EventSchema.complianceSchemas.first(where: { $0.eventType == type }) else { return nil }
        return single(schema).rendered()
    }

    // MARK: - Building

    private static func combined() -> OrderedJSON {
        let common = EventSchema.commonFields
        var properties: [(String, OrderedJSON)] = []
        for field in common {
            properties.append((field.name, property(field, eventTypes: EventType.complianceTypes)))
        }
        let defs = OrderedJSON.object(EventSchema.complianceSchemas.map { schema in
            var typeProperties: [(String, OrderedJSON)] = [(EventField.eventType.key, .object([("const", .string(schema.eventType.rawValue))]))]
            typeProperties += schema.fields.map { ($0.name, property($0, eventTypes: [])) }
            return (schema.eventType.rawValue, .object([
                ("title", .string(schema.eventType.rawValue)),
                ("description", .string(schema.summary)),
                ("properties", .object(typeProperties)),
                ("required", .array(schema.fields.filter { $0.requirement == .required }.map { .string($0.name) })),
                ("x-recommended", .array(schema.recommendedFields.map { .string($0.name) })),
            ]))
        })
        return .object([
            ("$schema", .string(dialect)),
            ("$id", .string("urn:torqlog:schema:event")),
            ("title", .string("torqlog telemetry event")),
            ("description", .string(ruleDescription)),
            ("type", .string("object")),
            ("required", .array(common.filter { $0.requirement == .required }.map { .string($0.name) })),
            ("properties", .object(properties)),
            ("oneOf", .array(EventSchema.complianceSchemas.map { .object([("$ref", .string("#/$defs/" + $0.eventType.rawValue))]) })),
            ("$defs", defs),
        ])
    }

    private static func single(_ schema: EventSchema) -> OrderedJSON {
        var properties: [(String, OrderedJSON)] = []
        for field in EventSchema.commonFields {
            properties.append((field.name, field.kind == .eventType
                ? .object([("description", .string(field.summary)), ("const", .string(schema.eventType.rawValue))])
                : property(field, eventTypes: [])))
        }
        properties += schema.fields.map { ($0.name, property($0, eventTypes: [])) }
        return .object([
            ("$schema", .string(dialect)),
            ("$id", .string("urn:torqlog:schema:event:" + schema.eventType.rawValue)),
            ("title", .string(schema.eventType.rawValue)),
            ("description", .string(schema.summary + " " + ruleDescription)),
            ("type", .string("object")),
            ("required", .array(schema.requiredFields.map { .string($0.name) })),
            ("properties", .object(properties)),
            ("x-recommended", .array(schema.recommendedFields.map { .string($0.name) })),
        ])
    }

    private static let ruleDescription = "Compliant when every required field is present, not null and valid; "
        + "recommended fields are advice only; other fields are allowed."

    /// The subschema of one field: constrained when required, descriptive otherwise.
    private static func property(_ field: FieldDefinition, eventTypes: [EventType]) -> OrderedJSON {
        let label = field.requirement == .required ? "" : field.requirement == .recommended ? "Recommended. " : "Optional. "
        var members: [(String, OrderedJSON)] = [("description", .string(label + field.summary + " Expected: " + field.kind.expectation + "."))]
        guard field.requirement == .required else { return .object(members) }
        switch field.kind {
        case .string:
            members.append(("type", .string("string")))
        case .eventType:
            members.append(("type", .string("string")))
            members.append(("enum", .array(eventTypes.map { .string($0.rawValue) })))
        case .timestamp:
            members.append(("type", .string("string")))
            members.append(("format", .string("date-time")))
            members.append(("pattern", .string(RFC3339Syntax.pattern)))
        case .tokenCount:
            members.append(("type", .string("integer")))
            members.append(("minimum", .int(0)))
        case .milliseconds:
            members.append(("type", .string("number")))
            members.append(("minimum", .int(0)))
        case .score:
            members.append(("type", .string("number")))
            members.append(("minimum", .int(0)))
            members.append(("maximum", .int(1)))
        case .boolean:
            members.append(("type", .string("boolean")))
        case .array:
            members.append(("type", .string("array")))
        case .object:
            members.append(("type", .string("object")))
        case .traceID:
            members.append(("type", .string("string")))
            members.append(("pattern", .string("^[0-9a-f]{32}(?![\\s\\S])")))
        case .spanID:
            members.append(("type", .string("string")))
            members.append(("pattern", .string("^[0-9a-f]{16}(?![\\s\\S])")))
        }
        return .object(members)
    }
}
