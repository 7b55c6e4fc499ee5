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
    public var eventType: EventType {
        switch self {
        case .agentRun: AgentRunEvent.eventType
        case .toolExecution: ToolExecutionEvent.eventType
        case .modelInteraction: ModelInteractionEvent.eventType
        case .memoryOperation: MemoryOperationEvent.eventType
        case .routingDecision: RoutingDecisionEvent.eventType
        case .spanStart: SpanStartEvent.eventType
        case .spanEnd: SpanEndEvent.eventType
        }
    }

    /// The wrapped event's common fields.
    ///
    /// A switch rather than `event.header`: going through the existential
    /// would box the event (an allocation) on every call, and the collector
    /// reads the header on its hot path.
    public var header: EventHeader {
        switch self {
        case .agentRun(let e): e.header
        case .toolExecution(let e): e.header
        case .modelInteraction(let e): e.header
        case .memoryOperation(let e): e.header
        case .routingDecision(let e): e.header
        case .spanStart(let e): e.header
        case .spanEnd(let e): e.header
        }
    }

    /// Calls `body` with the wrapped event's header, without copying it.
    package func withHeader<R>(_ body: (borrowing EventHeader) -> R) -> R {
        switch self {
        case .agentRun(let e): body(e.header)
        case .toolExecution(let e): body(e.header)
        case .modelInteraction(let e): body(e.header)
        case .memoryOperation(let e): body(e.header)
        case .routingDecision(let e): body(e.header)
        case .spanStart(let e): body(e.header)
        case .spanEnd(let e): body(e.header)
        }
    }

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

extension AnyTelemetryEvent {
    /// Wraps a typed event of this module's schema; nil for a `TelemetryEvent`
    /// conformance defined elsewhere (this enum has no case for it). Checking
    /// the type compares metatypes; there is no dynamic cast.
    public init?<Event: TelemetryEvent>(_ event: Event) {
        switch Event.self {
        case is AgentRunEvent.Type: self = .agentRun(unsafeBitCast(event, to: AgentRunEvent.self))
        case is ToolExecutionEvent.Type: self = .toolExecution(unsafeBitCast(event, to: ToolExecutionEvent.self))
        case is ModelInteractionEvent.Type: self = .modelInteraction(unsafeBitCast(event, to: ModelInteractionEvent.self))
        case is MemoryOperationEvent.Type: self = .memoryOperation(unsafeBitCast(event, to: MemoryOperationEvent.self))
        case is RoutingDecisionEvent.Type: self = .routingDecision(unsafeBitCast(event, to: RoutingDecisionEvent.self))
        case is SpanStartEvent.Type: self = .spanStart(unsafeBitCast(event, to: SpanStartEvent.self))
        case is SpanEndEvent.Type: self = .spanEnd(unsafeBitCast(event, to: SpanEndEvent.self))
        default: return nil
        }
    }

    /// Calls `body` with the wrapped event's header, writable.
    mutating func updateHeader(_ body: (inout EventHeader) -> Void) {
        switch self {
        case .agentRun(var e): body(&e.header); self = .agentRun(e)
        case .toolExecution(var e): body(&e.header); self = .toolExecution(e)
        case .modelInteraction(var e): body(&e.header); self = .modelInteraction(e)
        case .memoryOperation(var e): body(&e.header); self = .memoryOperation(e)
        case .routingDecision(var e): body(&e.header); self = .routingDecision(e)
        case .spanStart(var e): body(&e.header); self = .spanStart(e)
        case .spanEnd(var e): body(&e.header); self = .spanEnd(e)
        }
    }

    /// Sets the timestamp.
    package mutating func stampTimestamp(_ nanoseconds: Int64) {
        updateHeader { $0.timestamp = nanoseconds }
    }

    /// Sets a random UUID as `event_id`, drawn from `generator`.
    package mutating func stampEventID<G: RandomNumberGenerator>(using generator: inout G) {
        let id = EventHeader.randomEventID(using: &generator)
        updateHeader { $0.eventID = id }
    }

    /// Sets a random UUID as `event_id` (from the system generator).
    package mutating func stampEventID() {
        var generator = SystemRandomNumberGenerator()
        stampEventID(using: &generator)
    }
}
