import ServiceLifecycle
import Synchronization
import TorqTelemetry

/// Realistic sample agent activity for `torqlog demo`, produced through the
/// telemetry facade (``TelemetryIntegration``) and its collector, as an agent
/// would: each run is a ``TelemetryIntegration/withAgentRun(name:type:userQuery:isolation:_:)``
/// scope holding a routing decision, memory operations, model calls
/// (``TelemetryIntegration/withModelInteraction(provider:model:isolation:_:)``) and tool
/// executions (``TelemetryIntegration/withToolExecution(name:type:isolation:_:)``),
/// some of them in parallel (`async let`), with real (scaled-down) timings.
/// Every fifth run has a tool that fails, so the run fails too.
///
/// A swift-service-lifecycle `Service`: with a run count it writes that many
/// runs (four at a time) and returns; without one (`--live`) it keeps going,
/// a few runs a second, inside one `demo.live` span, until the service group
/// shuts down gracefully, and then finishes the runs under way so that no
/// span is left open.
final class SampleAgentActivity: Service, Sendable {
    private let telemetry: TelemetryIntegration
    private let runs: Int?
    private let seed: UInt64
    /// The run ids, by run index; the count of runs started.
    private let results = Mutex<(ids: [Int: RunID], started: Int)>(([:], 0))

    /// - Parameter runs: how many runs to write; nil to keep writing until shutdown.
    init(telemetry: TelemetryIntegration, runs: Int?, seed: UInt64) {
        self.telemetry = telemetry
        self.runs = runs
        self.seed = seed
    }

    /// The id of the first run, once it has started.
    var firstRunID: RunID? { results.withLock { $0.ids[0] } }

    /// Runs started.
    var runsStarted: Int { results.withLock { $0.started } }

    static let agents = [("code_generation_agent", "marvin_agent"), ("research_agent", "react_agent"),
                         ("data_analysis_agent", "planner_agent"), ("support_agent", "conversational_agent")]
    static let queries = ["Generate a REST API endpoint for user sign-up",
                          "Résumé the quarterly report — key risks only",
                          "Find the slowest SQL queries in last night's logs",
                          "Translate the onboarding guide to 日本語",
                          "Why did the nightly build fail?"]
    static let tools: [(String, ToolType)] = [("file_writer", .write), ("web_search", .search), ("code_executor", .execute),
                                              ("sql_query", "database"), ("file_reader", .read)]
    static let models: [(ModelProvider, String)] = [(.anthropic, "claude-3-5-sonnet"), (.openAI, "gpt-4o"), (.anthropic, "claude-3-5-haiku")]

    func run() async throws {
        if let runs {
            var next = 0
            while next < runs {
                let wave = min(4, runs - next)
                await withTaskGroup(of: Void.self) { group in
                    for index in next..<next + wave {
                        group.addTask { await self.agentRun(index: index) }
                    }
                }
                next += wave
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
            }
        } else {
            // The whole live session is one span (`demo.live`), the parent of
            // its runs: it ends at a graceful shutdown, and stays open in the
            // store when the process is killed.
            await telemetry.instrument("demo", "live") {
                var index = 0
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    await withTaskGroup(of: Void.self) { group in
                        for i in index..<index + 2 { group.addTask { await self.agentRun(index: i) } }
                    }
                    index += 2
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    /// A tool that fails, as every fifth run's last tool does.
    struct ToolFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One agent run, in the task's trace (the one received in `TRACEPARENT`,
    /// when the caller runs the group inside it). A failed run is recorded as
    /// failed; its error stops here.
    private func agentRun(index: Int) async {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let (agent, agentType) = rng.pick(Self.agents)
        let query = rng.pick(Self.queries)
        let telemetry = self.telemetry
        do {
            try await telemetry.withAgentRun(name: agent, type: agentType, userQuery: query) {
                if let id = TelemetryIntegration.currentRunID {
                    results.withLock { r in
                        r.ids[index] = id
                        r.started += 1
                    }
                }
                let confidence = 0.6 + Double(rng.below(400)) / 1000
                let routing = Stopwatch()
                try await Task.sleep(for: .microseconds(200 + rng.below(800)))
                telemetry.recordRoutingDecision(query: query, selectedAgent: agent, strategy: "semantic_similarity",
                                                confidence: confidence, routingTimeMs: routing.milliseconds,
                                                candidates: Self.agents.prefix(3).map(\.0))
                telemetry.setRunConfidence((confidence * 100).rounded() / 100)
                try await memory(operation: "retrieve", cacheHit: rng.below(3) != 0, micros: 100 + rng.below(700))
                let steps = 1 + rng.below(4)
                for step in 0..<steps {
                    let (provider, model) = rng.pick(Self.models)
                    let prompt = 200 + rng.below(1800), completion = 50 + rng.below(600)
                    let think = 3 + rng.below(25)
                    try await telemetry.withModelInteraction(provider: provider, model: model) { usage in
                        try await Task.sleep(for: .milliseconds(think))
                        usage.record(promptTokens: prompt, completionTokens: completion)
                    }
                    let failing = index % 5 == 3 && step == steps - 1
                    let (tool, toolType) = rng.pick(Self.tools)
                    let work = 1 + rng.below(9)
                    if step % 2 == 1 && !failing {
                        // Two tools at once: both are children of the run's span.
                        let (other, otherType) = rng.pick(Self.tools)
                        let otherWork = 1 + rng.below(9)
                        async let first: Void = telemetry.withToolExecution(name: tool, type: toolType) {
                            try await Task.sleep(for: .milliseconds(work))
                        }
                        async let second: Void = telemetry.withToolExecution(name: other, type: otherType) {
                            try await Task.sleep(for: .milliseconds(otherWork))
                        }
                        _ = try await (first, second)
                    } else {
                        try await telemetry.withToolExecution(name: tool, type: toolType) {
                            try await Task.sleep(for: .milliseconds(work))
                            if failing { throw ToolFailure(description: "timeout after \(work * 100) ms calling \(tool)") }
                        }
                    }
                }
                try await memory(operation: "store", cacheHit: false, micros: 100 + rng.below(400))
            }
        } catch {
            // Recorded as a failed tool and a failed run; nothing more to do.
        }
    }

    private func memory(operation: String, cacheHit: Bool, micros: Int) async throws {
        let clock = Stopwatch()
        try await Task.sleep(for: .microseconds(micros))
        telemetry.recordMemoryOperation(memoryType: "episodic", backend: "redis", operation: operation,
                                        operationTimeMs: clock.milliseconds, success: true, cacheHit: cacheHit)
    }
}

/// Elapsed time since creation, on the monotonic clock.
struct Stopwatch {
    private let start = ContinuousClock.now

    /// Milliseconds since creation, to the microsecond.
    var milliseconds: Double {
        let elapsed = ContinuousClock.now - start
        let micros = Double(elapsed.components.seconds) * 1_000_000 + Double(elapsed.components.attoseconds / 1_000_000_000_000)
        return micros.rounded() / 1000
    }
}
