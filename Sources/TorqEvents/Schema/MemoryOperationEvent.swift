/// `memory_operation`: one read, write or search of an agent's memory.
public struct MemoryOperationEvent: TelemetryEvent {
    /// `memory_operation`.
    public static let eventType = EventType.memoryOperation
    /// The common fields.
    public var header: EventHeader
    /// `memory_type` (required), e.g. `short_term`.
    public var memoryType: String
    /// `memory_backend` (required), e.g. `redis`.
    public var memoryBackend: String
    /// `operation_type` (required), e.g. `read`, `write`, `search`.
    public var operationType: String
    /// `operation_time_ms` (required), ≥ 0.
    public var operationTimeMs: Double
    /// `success` (recommended).
    public var success: Bool?
    /// `cache_hit` (recommended).
    public var cacheHit: Bool?

    /// A `memory_operation` event.
    public init(header: EventHeader, memoryType: String, memoryBackend: String, operationType: String, operationTimeMs: Double,
                success: Bool? = nil, cacheHit: Bool? = nil) {
        self.header = header
        self.memoryType = memoryType
        self.memoryBackend = memoryBackend
        self.operationType = operationType
        self.operationTimeMs = operationTimeMs
        self.success = success
        self.cacheHit = cacheHit
    }
}
