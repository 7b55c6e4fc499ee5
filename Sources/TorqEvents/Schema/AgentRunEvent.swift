/// `agent_run`: one run of an agent, from the user's query to its answer.
public struct AgentRunEvent: TelemetryEvent {
    /// `agent_run`.
    public static let eventType = EventType.agentRun
    /// The common fields.
    public var header: EventHeader
    /// `agent_name` (required).
    public var agentName: String
    /// `agent_type` (required).
    public var agentType: String
    /// `status` (required).
    public var status: EventStatus
    /// `user_query` (recommended).
    public var userQuery: String?
    /// `confidence_score` (recommended), in [0, 1].
    public var confidenceScore: Double?
    /// `tools_used` (recommended).
    public var toolsUsed: [String]?
    /// `total_tokens` (recommended), ≥ 0.
    public var totalTokens: Int?

    /// An `agent_run` event.
    public init(header: EventHeader, agentName: String, agentType: String, status: EventStatus,
                userQuery: String? = nil, confidenceScore: Double? = nil, toolsUsed: [String]? = nil, totalTokens: Int? = nil) {
        self.header = header
        self.agentName = agentName
        self.agentType = agentType
        self.status = status
        self.userQuery = userQuery
        self.confidenceScore = confidenceScore
        self.toolsUsed = toolsUsed
        self.totalTokens = totalTokens
    }
}
