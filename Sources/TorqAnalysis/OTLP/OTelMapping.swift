import TorqEvents

/// The one table of how torqlog's event fields travel as OpenTelemetry
/// attributes, in both directions: the OTLP export writes a field as
/// ``Row/attribute``; the receiver (`torqlog serve`) reads a field from
/// ``Row/attribute``, else from the first of ``Row/accepted`` present (the
/// older or OpenInference spellings of the same thing). The README's
/// "OpenTelemetry mapping" table is rendered from it (``readmeTable``).
///
/// A field whose ``Row/attribute`` is nil travels elsewhere: in a span
/// property (duration, ids, name), in the span status, or as content the
/// export writes only when asked to (`user_query`, routing `query`).
/// Requirements and the OpenTelemetry column come from ``EventSchema``.
package enum OTelMapping {
    /// One field of one event type (`eventType` nil: a field every event has).
    package struct Row: Sendable, Hashable {
        package let eventType: EventType?
        package let field: EventField
        /// The attribute the export writes and the receiver reads first.
        package let attribute: String?
        /// Other attributes the receiver reads the field from, in order of preference.
        package let accepted: [String]

        init(_ eventType: EventType?, _ field: EventField, _ attribute: String?, accepted: [String] = []) {
            self.eventType = eventType
            self.field = field
            self.attribute = attribute
            self.accepted = accepted
        }

        /// The field's definition in ``EventSchema`` (its requirement and OpenTelemetry note).
        package var definition: FieldDefinition? {
            let fields = eventType.flatMap(EventSchema.named)?.fields ?? EventSchema.commonFields
            return fields.first { $0.name == field.key }
        }

        /// The attribute then the accepted ones: every attribute the receiver reads the field from.
        package var attributesRead: [String] { (attribute.map { [$0] } ?? []) + accepted }
    }

    /// Every row, in the order of ``EventSchema`` (common fields, the five types, the span events).
    package static let rows: [Row] = [
        Row(nil, .eventID, "torq.event.id"),
        Row(nil, .eventType, "gen_ai.operation.name"),
        Row(nil, .timestamp, nil),
        Row(nil, .sessionID, "gen_ai.conversation.id", accepted: ["session.id"]),
        Row(nil, .runID, "torq.run.id", accepted: ["torq.run_id"]),
        Row(nil, .traceID, nil),
        Row(nil, .spanID, nil),
        Row(nil, .parentSpanID, nil),
        Row(nil, .attributes, nil),

        Row(.agentRun, .agentName, "gen_ai.agent.name", accepted: ["agent.name"]),
        Row(.agentRun, .agentType, "torq.agent.type"),
        Row(.agentRun, .status, "torq.status"),
        Row(.agentRun, .userQuery, nil),
        Row(.agentRun, .confidenceScore, "torq.agent.confidence_score"),
        Row(.agentRun, .toolsUsed, "torq.agent.tools_used"),
        Row(.agentRun, .totalTokens, "torq.usage.total_tokens", accepted: ["llm.token_count.total"]),

        Row(.toolExecution, .toolName, "gen_ai.tool.name", accepted: ["tool.name"]),
        Row(.toolExecution, .toolType, "gen_ai.tool.type"),
        Row(.toolExecution, .status, "torq.status"),
        Row(.toolExecution, .executionTimeMs, nil),
        Row(.toolExecution, .success, "torq.success"),

        Row(.modelInteraction, .modelProvider, "gen_ai.provider.name", accepted: ["gen_ai.system", "llm.provider", "llm.system"]),
        Row(.modelInteraction, .modelName, "gen_ai.request.model", accepted: ["gen_ai.response.model", "llm.model_name"]),
        Row(.modelInteraction, .promptTokens, "gen_ai.usage.input_tokens", accepted: ["llm.token_count.prompt"]),
        Row(.modelInteraction, .responseTimeMs, nil),
        Row(.modelInteraction, .totalTokens, "torq.usage.total_tokens", accepted: ["llm.token_count.total"]),
        Row(.modelInteraction, .completionTokens, "gen_ai.usage.output_tokens", accepted: ["llm.token_count.completion"]),
        Row(.modelInteraction, .success, "torq.success"),

        Row(.memoryOperation, .memoryType, "torq.memory.type"),
        Row(.memoryOperation, .memoryBackend, "db.system.name", accepted: ["gen_ai.memory.store.id", "gen_ai.data_source.id"]),
        Row(.memoryOperation, .operationType, "torq.memory.operation_type"),
        Row(.memoryOperation, .operationTimeMs, nil),
        Row(.memoryOperation, .success, "torq.success"),
        Row(.memoryOperation, .cacheHit, "torq.memory.cache_hit"),

        Row(.routingDecision, .query, nil, accepted: ["torq.routing.query"]),
        Row(.routingDecision, .selectedAgent, "torq.routing.selected_agent"),
        Row(.routingDecision, .routingStrategy, "torq.routing.strategy"),
        Row(.routingDecision, .confidenceScore, "torq.routing.confidence_score"),
        Row(.routingDecision, .routingTimeMs, nil),
        Row(.routingDecision, .candidateAgents, "torq.routing.candidate_agents"),

        Row(.spanStart, .name, nil),
        Row(.spanStart, .kind, nil),
        Row(.spanEnd, .name, nil),
        Row(.spanEnd, .status, nil),
        Row(.spanEnd, .durationMs, nil),
        Row(.spanEnd, .errorMessage, nil),
    ]

    private static let byTypeAndField: [EventType?: [EventField: Row]] = {
        var out: [EventType?: [EventField: Row]] = [:]
        for row in rows { out[row.eventType, default: [:]][row.field] = row }
        return out
    }()

    private static let byTypeAndAttribute: [EventType?: [String: EventField]] = {
        var out: [EventType?: [String: EventField]] = [:]
        for row in rows {
            for attribute in row.attributesRead where out[row.eventType]?[attribute] == nil {
                out[row.eventType, default: [:]][attribute] = row.field
            }
        }
        return out
    }()

    /// The row of `field` of `type` (nil `type`: a common field); nil when the type has no such field.
    package static func row(_ type: EventType?, _ field: EventField) -> Row? {
        byTypeAndField[type]?[field]
    }

    /// The rows of `type`'s own fields (not the common ones), in schema order.
    package static func rows(of type: EventType) -> [Row] {
        rows.filter { $0.eventType == type }
    }

    /// The field of `type` (nil: a common field) that the receiver reads from `attribute`.
    package static func field(forAttribute attribute: String, in type: EventType?) -> EventField? {
        byTypeAndAttribute[type]?[attribute]
    }

    /// The attribute the export writes `field` of `type` as; nil when it travels elsewhere.
    package static func attribute(for field: EventField, in type: EventType?) -> String? {
        row(type, field)?.attribute
    }

    /// The attribute of a common field (`torq.event.id`, `gen_ai.operation.name`,
    /// `gen_ai.conversation.id`, `torq.run.id`); `torq.<field>` for one without.
    package static func commonAttribute(_ field: EventField) -> String {
        attribute(for: field, in: nil) ?? "torq." + field.key
    }

    // MARK: - The README table

    /// The header of the README table.
    package static let readmeHeader = "| event type | field | requirement | OpenTelemetry | attribute | `torqlog serve` also reads |\n|---|---|---|---|---|---|"

    /// The README's "OpenTelemetry mapping" table: one line per row, the
    /// requirement and the OpenTelemetry note from the schema.
    package static var readmeTable: String {
        var lines = [readmeHeader]
        for row in rows {
            guard let definition = row.definition else { continue }
            let type = row.eventType?.rawValue ?? "(all)"
            let attribute = row.attribute.map { "`\($0)`" } ?? "—"
            let accepted = row.accepted.isEmpty ? "—" : row.accepted.map { "`\($0)`" }.joined(separator: ", ")
            lines.append("| \(type) | `\(row.field.key)` | \(definition.requirement.rawValue) | \(definition.openTelemetry) | \(attribute) | \(accepted) |")
        }
        return lines.joined(separator: "\n")
    }
}
