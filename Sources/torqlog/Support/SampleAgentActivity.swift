import TorqLogStore
import TorqTelemetry

/// A deterministic, realistic sample of agent telemetry: runs made of routing
/// decisions, agent runs, memory operations, model interactions and tool
/// executions with the seed's fields (used by `torqlog demo`).
struct SampleAgentActivity {
    private var rng: SplitMix64
    private var clock: Int64
    let session: String

    init(seed: UInt64, startNanoseconds: Int64) {
        rng = SplitMix64(seed: seed)
        clock = startNanoseconds
        var ids = SplitMix64(seed: seed ^ 0x5e55)
        session = "sess-" + ids.hex(12)
    }

    static let agents = [("code_generation_agent", "marvin_agent"), ("research_agent", "react_agent"),
                         ("data_analysis_agent", "planner_agent"), ("support_agent", "conversational_agent")]
    static let queries = ["Generate a REST API endpoint for user sign-up",
                          "Résumé the quarterly report — key risks only",
                          "Find the slowest SQL queries in last night's logs",
                          "Translate the onboarding guide to 日本語",
                          "Why did the nightly build fail?"]
    static let tools = [("file_writer", "write"), ("web_search", "search"), ("code_executor", "execute"),
                        ("sql_query", "database"), ("file_reader", "read")]
    static let models = [("anthropic", "claude-3-5-sonnet"), ("openai", "gpt-4o"), ("anthropic", "claude-3-5-haiku")]

    /// One generated event: its JSON line and the keys a store indexes.
    struct Event {
        var json: String
        var runID: String
        var type: String
        var time: Int64
    }

    /// The events of one run.
    mutating func run(index: Int) -> [Event] {
        var lines: [Event] = []
        let runID = "run-" + rng.hex(8) + "-" + rng.hex(4)
        let traceID = rng.hex(32)
        let (agent, agentType) = Self.agents[Int(rng.next() % UInt64(Self.agents.count))]
        let query = Self.queries[Int(rng.next() % UInt64(Self.queries.count))]
        let rootSpan = rng.hex(16)

        func event(_ type: String, _ fields: [(String, String)]) -> Event {
            var s = "{\"event_id\":\"\(rng.uuid())\",\"event_type\":\"\(type)\",\"timestamp\":\"\(RFC3339.format(nanoseconds: clock, fractionDigits: 3))\""
            s += ",\"session_id\":\"\(session)\",\"run_id\":\"\(runID)\",\"trace_id\":\"\(traceID)\",\"span_id\":\"\(rng.hex(16))\",\"parent_span_id\":\"\(rootSpan)\""
            for (k, v) in fields { s += ",\"\(k)\":\(v)" }
            return Event(json: s + "}", runID: runID, type: type, time: clock)
        }
        func advance(ms: Int) { clock += Int64(ms) * 1_000_000 }
        func q(_ s: String) -> String { Format.jsonString(s) }

        let confidence = 0.6 + Double(rng.next() % 400) / 1000
        lines.append(event("routing_decision", [("query", q(query)), ("selected_agent", q(agent)), ("routing_strategy", q("semantic_similarity")),
                                                 ("confidence_score", Format.fixed(confidence, 3)), ("routing_time_ms", "\(3 + rng.next() % 20)"),
                                                 ("candidate_agents", "[" + Self.agents.prefix(3).map { q($0.0) }.joined(separator: ",") + "]")]))
        advance(ms: 5)
        lines.append(event("agent_run", [("agent_name", q(agent)), ("agent_type", q(agentType)), ("status", q("started")), ("user_query", q(query))]))
        advance(ms: 2)
        lines.append(event("memory_operation", [("memory_type", q("episodic")), ("memory_backend", q("redis")), ("operation_type", q("retrieve")),
                                                 ("operation_time_ms", "\(1 + rng.next() % 8)"), ("success", "true"), ("cache_hit", rng.next() % 3 == 0 ? "false" : "true")]))
        var tokensIn = 0, tokensOut = 0
        var toolsUsed: [String] = []
        let steps = 1 + Int(rng.next() % 4)
        for step in 0..<steps {
            let (provider, model) = Self.models[Int(rng.next() % UInt64(Self.models.count))]
            let p = 200 + Int(rng.next() % 1800), c = 50 + Int(rng.next() % 600)
            tokensIn += p
            tokensOut += c
            let rt = 300 + Int(rng.next() % 2500)
            advance(ms: rt)
            lines.append(event("model_interaction", [("model_provider", q(provider)), ("model_name", q(model)), ("prompt_tokens", "\(p)"),
                                                      ("completion_tokens", "\(c)"), ("total_tokens", "\(p + c)"), ("response_time_ms", "\(rt)"), ("success", "true")]))
            let (tool, toolType) = Self.tools[Int(rng.next() % UInt64(Self.tools.count))]
            let et = 20 + Int(rng.next() % 900)
            advance(ms: et)
            let failed = index % 5 == 3 && step == steps - 1
            var fields = [("tool_name", q(tool)), ("tool_type", q(toolType)), ("status", q(failed ? "failed" : "completed")),
                          ("execution_time_ms", "\(et)"), ("success", failed ? "false" : "true")]
            if failed { fields.append(("error_message", q("timeout after \(et) ms calling \(tool)"))) }
            lines.append(event("tool_execution", fields))
            toolsUsed.append(tool)
        }
        advance(ms: 3)
        lines.append(event("memory_operation", [("memory_type", q("episodic")), ("memory_backend", q("redis")), ("operation_type", q("store")),
                                                 ("operation_time_ms", "\(1 + rng.next() % 5)"), ("success", "true"), ("cache_hit", "false")]))
        advance(ms: 1)
        let ok = index % 5 != 3
        lines.append(event("agent_run", [("agent_name", q(agent)), ("agent_type", q(agentType)), ("status", q(ok ? "completed" : "failed")),
                                          ("user_query", q(query)), ("confidence_score", Format.fixed(confidence, 2)),
                                          ("tools_used", "[" + toolsUsed.map(q).joined(separator: ",") + "]"),
                                          ("total_tokens", "\(tokensIn + tokensOut)")]))
        advance(ms: 200 + Int(rng.next() % 3000))
        return lines
    }
}

/// Identifiers for the sample, from TorqTelemetry's deterministic generator.
extension SplitMix64 {
    mutating func hex(_ digits: Int) -> String {
        var s = ""
        while s.count < digits { s += String(next(), radix: 16).leftPadded(16) }
        return String(s.prefix(digits))
    }
    mutating func uuid() -> String {
        let h = hex(32)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

