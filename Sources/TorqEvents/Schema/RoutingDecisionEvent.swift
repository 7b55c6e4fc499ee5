/// `routing_decision`: one choice of the agent that handles a query.
public struct RoutingDecisionEvent: TelemetryEvent {
    /// `routing_decision`.
    public static let eventType = EventType.routingDecision
    /// The common fields.
    public var header: EventHeader
    /// `query` (required).
    public var query: String
    /// `selected_agent` (required).
    public var selectedAgent: String
    /// `routing_strategy` (required), e.g. `semantic`.
    public var routingStrategy: String
    /// `confidence_score` (required), in [0, 1].
    public var confidenceScore: Double
    /// `routing_time_ms` (recommended), ≥ 0.
    public var routingTimeMs: Double?
    /// `candidate_agents` (recommended).
    public var candidateAgents: [String]?

    /// A `routing_decision` event.
    public init(header: EventHeader, query: String, selectedAgent: String, routingStrategy: String, confidenceScore: Double,
                routingTimeMs: Double? = nil, candidateAgents: [String]? = nil) {
        self.header = header
        self.query = query
        self.selectedAgent = selectedAgent
        self.routingStrategy = routingStrategy
        self.confidenceScore = confidenceScore
        self.routingTimeMs = routingTimeMs
        self.candidateAgents = candidateAgents
    }
}
