/// Who serves the model of a `model_interaction`.
///
/// Open: any string is a value and is kept as is. The constants use the
/// values of OpenTelemetry's `gen_ai.provider.name` where one exists.
public struct ModelProvider: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The value as written in `model_provider`.
    public let rawValue: String
    /// A provider named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A provider named by a literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The value as written in `model_provider`.
    public var description: String { rawValue }

    /// Anthropic.
    public static let anthropic: ModelProvider = "anthropic"
    /// OpenAI.
    public static let openAI: ModelProvider = "openai"
    /// Google Gemini (AI Studio API).
    public static let gemini: ModelProvider = "gcp.gemini"
    /// Mistral AI.
    public static let mistral: ModelProvider = "mistral_ai"
    /// AWS Bedrock.
    public static let bedrock: ModelProvider = "aws.bedrock"
    /// A model served on the same machine (Ollama, llama.cpp, …).
    public static let local: ModelProvider = "local"
}
