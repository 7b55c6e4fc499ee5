/// `tool_execution`: one call of a tool by an agent.
public struct ToolExecutionEvent: TelemetryEvent {
    /// `tool_execution`.
    public static let eventType = EventType.toolExecution
    /// The common fields.
    public var header: EventHeader
    /// `tool_name` (required).
    public var toolName: String
    /// `tool_type` (required).
    public var toolType: ToolType
    /// `status` (required).
    public var status: EventStatus
    /// `execution_time_ms` (recommended), ≥ 0.
    public var executionTimeMs: Double?
    /// `success` (recommended).
    public var success: Bool?

    /// A `tool_execution` event.
    public init(header: EventHeader, toolName: String, toolType: ToolType, status: EventStatus,
                executionTimeMs: Double? = nil, success: Bool? = nil) {
        self.header = header
        self.toolName = toolName
        self.toolType = toolType
        self.status = status
        self.executionTimeMs = executionTimeMs
        self.success = success
    }
}
