/// `model_interaction`: one request to a model and its response.
public struct ModelInteractionEvent: TelemetryEvent {
    /// `model_interaction`.
    public static let eventType = EventType.modelInteraction
    /// The common fields.
    public var header: EventHeader
    /// `model_provider` (required).
    public var modelProvider: ModelProvider
    /// `model_name` (required).
    public var modelName: String
    /// `prompt_tokens` (required), ≥ 0.
    public var promptTokens: Int
    /// `response_time_ms` (required), ≥ 0.
    public var responseTimeMs: Double
    /// `total_tokens` (recommended), ≥ 0.
    public var totalTokens: Int?
    /// `completion_tokens` (recommended), ≥ 0.
    public var completionTokens: Int?
    /// `success` (recommended).
    public var success: Bool?

    /// A `model_interaction` event.
    public init(header: EventHeader, modelProvider: ModelProvider, modelName: String, promptTokens: Int, responseTimeMs: Double,
                totalTokens: Int? = nil, completionTokens: Int? = nil, success: Bool? = nil) {
        self.header = header
        self.modelProvider = modelProvider
        self.modelName = modelName
        self.promptTokens = promptTokens
        self.responseTimeMs = responseTimeMs
        self.totalTokens = totalTokens
        self.completionTokens = completionTokens
        self.success = success
    }
}
