import Synchronization

/// What an agent run has done so far, for its closing `agent_run` event:
/// the tools it used (in first-use order) and the tokens of its model
/// interactions. Shared by every task of the run.
final class RunTally: Sendable {
    private struct State {
        var tools: [String] = []
        var toolSet: Set<String> = []
        var promptTokens = 0
        var completionTokens = 0
        var totalTokens = 0
        var confidence: Double?
    }

    private let state = Mutex(State())

    init() {}

    func addTool(_ name: String) {
        state.withLock { s in
            if s.toolSet.insert(name).inserted { s.tools.append(name) }
        }
    }

    func addTokens(prompt: Int, completion: Int?, total: Int?) {
        state.withLock { s in
            s.promptTokens += prompt
            s.completionTokens += completion ?? 0
            s.totalTokens += total ?? (prompt + (completion ?? 0))
        }
    }

    func setConfidence(_ score: Double) {
        state.withLock { $0.confidence = score }
    }

    /// Tools used, prompt tokens, completion tokens, total tokens, confidence.
    func snapshot() -> (tools: [String], prompt: Int, completion: Int, total: Int, confidence: Double?) {
        state.withLock { s in (s.tools, s.promptTokens, s.completionTokens, s.totalTokens, s.confidence) }
    }
}
