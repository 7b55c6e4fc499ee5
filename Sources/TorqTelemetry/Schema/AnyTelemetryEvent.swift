/// Any typed event of the schema: what decoding a JSON event gives.
public enum AnyTelemetryEvent: Sendable, Hashable {
    /// An `agent_run`.
    case agentRun(AgentRunEvent)
    /// A `tool_execution`.
    case toolExecution(ToolExecutionEvent)
    /// A `model_interaction`.
    case modelInteraction(ModelInteractionEvent)
    /// A `memory_operation`.
    case memoryOperation(MemoryOperationEvent)
    /// A `routing_decision`.
    case routingDecision(RoutingDecisionEvent)
    /// A `span_start`.
    case spanStart(SpanStartEvent)
    /// A `span_end`.
    case spanEnd(SpanEndEvent)

    /// The wrapped event.
    public var event: any TelemetryEvent {
        switch self {
        case .agentRun(let e): e
        case .toolExecution(let e): e
        case .modelInteraction(let e): e
        case .memoryOperation(let e): e
        case .routingDecision(let e): e
        case .spanStart(let e): e
        case .spanEnd(let e): e
        }
    }

    /// The wrapped event's `event_type`.
    public var eventType: EventType { type(of: event).eventType }

    /// The wrapped event's common fields.
    public var header: EventHeader { event.header }

    /// Appends the wrapped event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        switch self {
        case .agentRun(let e): e.encodeJSON(into: &buffer)
        case .toolExecution(let e): e.encodeJSON(into: &buffer)
        case .modelInteraction(let e): e.encodeJSON(into: &buffer)
        case .memoryOperation(let e): e.encodeJSON(into: &buffer)
        case .routingDecision(let e): e.encodeJSON(into: &buffer)
        case .spanStart(let e): e.encodeJSON(into: &buffer)
        case .spanEnd(let e): e.encodeJSON(into: &buffer)
        }
    }
}
