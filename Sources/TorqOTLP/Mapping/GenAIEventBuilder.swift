import TorqEvents
import TorqJSON

/// Builds the typed event (`model_interaction`, `tool_execution`,
/// `agent_run`, `memory_operation`) of one GenAI call, from a closed span or
/// a span-less log record.
///
/// Fields are read through ``OTelMapping`` (``AttributeReader``); the
/// attributes not read into a field stay in the event's `attributes`, with
/// the resource and scope. Durations are the span's; status and success come
/// from the span status (ERROR → `failed`, `success` false, and a top-level
/// `error_message`). A required field the attributes do not carry gets
/// ``unknown`` (strings) or 0 (counts), so that the event is still counted.
struct GenAIEventBuilder {
    /// The value of a required string field the call does not carry.
    static let unknown = "unknown"
    /// A log record's duration, when it carries one (the OTLP export writes it).
    static let durationKey = "torq.duration_ms"

    var call: GenAICall
    /// The span's or log record's own attributes (the run and session already taken out).
    var attributes: [String: TelemetryValue]
    var context: OTLPContext
    /// The event's header: id, end time, session, run, trace ids; its attributes are set here.
    var header: EventHeader
    /// The span's name (an agent's name when nothing else gives one).
    var name: String
    /// The span's duration; nil for a log record (read from `torq.duration_ms`, else 0).
    var durationMs: Double?
    var failed: Bool
    var errorMessage: String?

    func build() -> AnyTelemetryEvent {
        var reader = AttributeReader(attributes, type: call.eventType)
        var duration = durationMs
        if duration == nil {
            switch attributes[Self.durationKey] {
            case .int(let i)?: duration = Double(i)
            case .double(let d)? where d.isFinite: duration = d
            default: break  // none, or not a number: kept as an attribute
            }
            if duration != nil { _ = reader.takeAttribute(Self.durationKey) }
        }
        let ms = max(duration ?? 0, 0)
        let reportedSuccess = reader.bool(.success)
        let success = failed ? false : (reportedSuccess ?? true)
        let reportedStatus = reader.string(.status)
        let status: EventStatus = failed ? .failed : EventStatus(rawValue: reportedStatus ?? EventStatus.completed.rawValue)

        var header = self.header
        let event: AnyTelemetryEvent
        switch call.eventType {
        case .modelInteraction:
            let provider = reader.string(.modelProvider) ?? Self.unknown
            let model = reader.string(.modelName) ?? Self.unknown
            let prompt = reader.int(.promptTokens)
            let completion = reader.int(.completionTokens)
            var total = reader.int(.totalTokens)
            if total == nil, let prompt, let completion { total = prompt + completion }
            header.attributes = context.addingBrief(to: reader.remaining)
            event = .modelInteraction(ModelInteractionEvent(
                header: header, modelProvider: ModelProvider(rawValue: provider), modelName: model, promptTokens: prompt ?? 0,
                responseTimeMs: ms, totalTokens: total, completionTokens: completion, success: success))
        case .toolExecution:
            let tool = reader.string(.toolName) ?? name
            let toolType = reader.string(.toolType) ?? Self.unknown
            header.attributes = context.addingBrief(to: reader.remaining)
            event = .toolExecution(ToolExecutionEvent(
                header: header, toolName: tool, toolType: ToolType(rawValue: toolType), status: status, executionTimeMs: ms, success: success))
        case .agentRun:
            let agent = reader.string(.agentName) ?? name
            let agentType = reader.string(.agentType) ?? call.operation.lowercased()
            let confidence = reader.double(.confidenceScore)
            let tools = reader.strings(.toolsUsed)
            let tokens = reader.int(.totalTokens)
            header.attributes = context.addingBrief(to: reader.remaining)
            event = .agentRun(AgentRunEvent(
                header: header, agentName: agent, agentType: agentType, status: status, confidenceScore: confidence,
                toolsUsed: tools, totalTokens: tokens))
        default:
            let memoryType = reader.string(.memoryType) ?? Self.unknown
            let backend = reader.string(.memoryBackend) ?? Self.unknown
            let operation = reader.string(.operationType) ?? call.memoryOperationType
            let cacheHit = reader.bool(.cacheHit)
            header.attributes = context.addingBrief(to: reader.remaining)
            event = .memoryOperation(MemoryOperationEvent(
                header: header, memoryType: memoryType, memoryBackend: backend, operationType: operation, operationTimeMs: ms,
                success: success, cacheHit: cacheHit))
        }
        guard failed, let errorMessage else { return event }
        return event.withExtraField(EventField.errorMessage.key, .string(errorMessage))
    }
}
