import TorqJSON
import TorqEvents
/// The mapping of torqlog's event fields to the OpenTelemetry GenAI semantic
/// conventions (README, "OpenTelemetry mapping"): operation names, span
/// names, and the attributes of each event type. Fields without a
/// convention go to the `torq.*` namespace (`torq.<field>` for fields the
/// schema does not know).
enum GenAIAttributes {
    /// `gen_ai.operation.name` of an event: `invoke_agent`, `execute_tool`,
    /// `chat`, the memory operation (`search_memory`, `create_memory`,
    /// `update_memory`, `delete_memory`, else `torq.memory.<operation_type>`),
    /// `torq.route`; the event type itself for any other type.
    static func operationName(_ record: TraceRecord) -> String {
        switch record.eventType {
        case "agent_run": return "invoke_agent"
        case "tool_execution": return "execute_tool"
        case "model_interaction": return "chat"
        case "routing_decision": return "torq.route"
        case "memory_operation":
            let operation = record.string(.operationType) ?? ""
            switch operation.lowercased() {
            case "search", "read", "retrieve", "get", "query", "lookup": return "search_memory"
            case "write", "store", "create", "insert", "add", "save": return "create_memory"
            case "update", "upsert", "modify": return "update_memory"
            case "delete", "remove", "forget": return "delete_memory"
            default: return operation.isEmpty ? "torq.memory" : "torq.memory." + operation
            }
        default: return record.eventType
        }
    }

    /// The conventions' span name, `{operation} {target}`: `invoke_agent
    /// research_agent`, `execute_tool web_search`, `chat gpt-4o`,
    /// `search_memory episodic`, `torq.route research_agent`.
    static func spanName(_ record: TraceRecord) -> String {
        let target: String?
        switch record.eventType {
        case "agent_run": target = record.string(.agentName)
        case "tool_execution": target = record.string(.toolName)
        case "model_interaction": target = record.string(.modelName)
        case "memory_operation": target = record.string(.memoryType)
        case "routing_decision": target = record.string(.selectedAgent)
        default: target = nil
        }
        let operation = operationName(record)
        guard let target, !target.isEmpty else { return operation }
        return operation + " " + target
    }

    /// The subject of a record for messages: the tool, model, agent, memory type or selected agent.
    static func subject(_ record: TraceRecord) -> String {
        let key: EventField
        switch record.eventType {
        case "agent_run": key = .agentName
        case "tool_execution": key = .toolName
        case "model_interaction": key = .modelName
        case "memory_operation": key = .memoryType
        case "routing_decision": key = .selectedAgent
        default: key = .name
        }
        return record.string(key) ?? record.eventType
    }

    /// The attributes of a telemetry record (one of the five types, or any
    /// other non-span type) for an OTLP log record, by key:
    /// `torq.event.id`, `gen_ai.operation.name`, `gen_ai.conversation.id`
    /// (`session_id`), `torq.run.id`, the type's fields by ``OTelMapping``, the
    /// duration as `torq.duration_ms`, `error.type` on a failure, content
    /// (`gen_ai.input.messages`, `torq.routing.query`) only when
    /// `includeContent`, unknown fields as `torq.<field>`, and the record's
    /// `attributes` key for key where they do not collide.
    static func attributes(of record: TraceRecord, includeContent: Bool) -> [String: TelemetryValue] {
        var out: [String: TelemetryValue] = [:]
        let type = EventType(rawValue: record.eventType)
        let mapped = EventType.complianceTypes.contains(type)
        for (key, value) in record.fields {
            if mapped, let field = EventField(key: key), let row = OTelMapping.row(type, field) {
                // A field without an attribute travels elsewhere (duration, status) or is content.
                if let attribute = row.attribute { out[attribute] = value }
            } else if key != EventField.errorMessage.key {
                out["torq." + key] = value
            }
        }
        if record.eventType == "memory_operation", let backend = record.fields[EventField.memoryBackend.key] {
            out["gen_ai.memory.store.id"] = backend
        }
        if includeContent {
            if record.eventType == "agent_run", let query = record.string(.userQuery) {
                out["gen_ai.input.messages"] = .string(inputMessages(query))
            }
            if record.eventType == "routing_decision", let query = record.fields[EventField.query.key] {
                out["torq.routing.query"] = query
            }
        }
        if let ms = record.durationMs { out["torq.duration_ms"] = .double(ms) }
        if record.isFailure {
            out["error.type"] = .string(errorType(record))
            if let message = record.string(.errorMessage) { out["torq.error_message"] = .string(message) }
        }
        out[OTelMapping.commonAttribute(.eventType)] = .string(operationName(record))
        if let id = record.eventID { out[OTelMapping.commonAttribute(.eventID)] = .string(id) }
        if let session = record.sessionID { out[OTelMapping.commonAttribute(.sessionID)] = .string(session) }
        if let run = record.runID { out[OTelMapping.commonAttribute(.runID)] = .string(run) }
        for (key, value) in record.attributes where out[key] == nil { out[key] = value }
        return out
    }

    /// `error.type` of a failed record: its failing `status`, else `_OTHER` (the conventions' fallback).
    static func errorType(_ record: TraceRecord) -> String {
        if let status = record.string(.status), TraceRecord.failureStatuses.contains(status.lowercased()) { return status }
        return "_OTHER"
    }

    /// `gen_ai.input.messages` for one user query: the conventions' JSON
    /// (`[{"role":"user","parts":[{"type":"text","content":…}]}]`) as a string.
    static func inputMessages(_ query: String) -> String {
        let message = OrderedJSON.object([
            ("role", .string("user")),
            ("parts", .array([.object([("type", .string("text")), ("content", .string(query))])])),
        ])
        return OrderedJSON.array([message]).rendered(pretty: false)
    }
}
