/// The `event_type` of a telemetry event.
///
/// Open: any string is a value, so an event of a type this version does not
/// know keeps its type through decoding and encoding. The five types of the
/// compliance rule, and the two span events of tracing, have named constants.
public struct EventType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The `event_type` string, exactly as written in the event.
    public let rawValue: String

    /// An event type named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// An event type named by a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The `event_type` string.
    public var description: String { rawValue }

    /// One run of an agent, from query to answer.
    public static let agentRun: EventType = "agent_run"
    /// One call of a tool by an agent.
    public static let toolExecution: EventType = "tool_execution"
    /// One request to a model and its response.
    public static let modelInteraction: EventType = "model_interaction"
    /// One read, write or search of an agent's memory.
    public static let memoryOperation: EventType = "memory_operation"
    /// One choice of the agent that handles a query.
    public static let routingDecision: EventType = "routing_decision"
    /// The start of a tracing span.
    public static let spanStart: EventType = "span_start"
    /// The end of a tracing span.
    public static let spanEnd: EventType = "span_end"

    /// The five event types the compliance rule knows, in schema order. An
    /// event whose `event_type` is anything else is not compliant.
    public static let complianceTypes: [EventType] = [
        .agentRun, .toolExecution, .modelInteraction, .memoryOperation, .routingDecision,
    ]
}
