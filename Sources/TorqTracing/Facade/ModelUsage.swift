import Synchronization

/// The token counts of one model call, filled in by the body of
/// ``TelemetryIntegration/withModelInteraction(provider:model:isolation:_:)``
/// once the response is in; written to the `model_interaction` event when
/// the body returns. Counts never set are written as 0 prompt tokens and no
/// completion tokens.
///
/// ```swift
/// let reply = try await integration.withModelInteraction(provider: .anthropic, model: "claude-3-5-sonnet") { usage in
///     let reply = try await client.complete(prompt)
///     usage.promptTokens = reply.inputTokens
///     usage.completionTokens = reply.outputTokens
///     return reply
/// }
/// ```
public final class ModelUsage: Sendable {
    private struct Counts {
        var prompt: Int?
        var completion: Int?
        var total: Int?
    }

    private let counts = Mutex(Counts())

    /// Usage with nothing set yet.
    public init() {}

    /// `prompt_tokens`: tokens sent to the model.
    public var promptTokens: Int? {
        get { counts.withLock { $0.prompt } }
        set { counts.withLock { $0.prompt = newValue } }
    }

    /// `completion_tokens`: tokens the model produced.
    public var completionTokens: Int? {
        get { counts.withLock { $0.completion } }
        set { counts.withLock { $0.completion = newValue } }
    }

    /// `total_tokens`; when not set, prompt plus completion tokens.
    public var totalTokens: Int? {
        get { counts.withLock { $0.total } }
        set { counts.withLock { $0.total = newValue } }
    }

    /// Sets the counts in one call.
    public func record(promptTokens: Int, completionTokens: Int? = nil, totalTokens: Int? = nil) {
        counts.withLock { $0 = Counts(prompt: promptTokens, completion: completionTokens, total: totalTokens) }
    }
}
