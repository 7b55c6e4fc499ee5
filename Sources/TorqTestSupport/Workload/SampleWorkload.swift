import TorqEvents
import TorqJSON
/// A deterministic generator of realistic agent telemetry, for benchmarks,
/// demos and tests.
///
/// Events come in runs, as an agent system emits them: a routing decision,
/// an agent run starting, a memory read, one to four model interactions each
/// followed by a tool execution, a memory write, and the agent run
/// completing (or failing). Runs of two sessions interleave; text includes
/// non-ASCII and characters JSON must escape. Recommended fields are set
/// most of the time, as in real instrumentation (`execution_time_ms` is
/// left out of one tool execution in ten).
///
/// The same seed gives the same events. ``nextLine()`` can also damage a
/// share of the lines (``defectRate``) with the violations the compliance
/// rule reports: a required field missing, null, of the wrong type or out of
/// range, a malformed timestamp, an unknown event type, a line that is not a
/// JSON object.
public struct SampleWorkload: Sendable {
    private var rng: SplitMix64
    private var clock: Int64
    private var pending: [AnyTelemetryEvent] = []
    private var runNumber = 0
    private let sessions: [String]
    /// The share of lines from ``nextLine()`` that carry one violation, in [0, 1].
    public let defectRate: Double

    /// 2026-03-01T12:00:00Z, the default start time.
    public static let defaultStart: Int64 = 1_772_366_400 * 1_000_000_000

    /// A workload from `seed`, with event times from `start` (nanoseconds
    /// since the epoch) on, damaging `defectRate` of the lines of ``nextLine()``.
    public init(seed: UInt64 = 0x746F_7271, start: Int64 = SampleWorkload.defaultStart, defectRate: Double = 0) {
        rng = SplitMix64(seed: seed)
        clock = start
        self.defectRate = min(max(defectRate, 0), 1)
        var ids = SplitMix64(seed: seed ^ 0x5E55_1015)
        sessions = (0..<2).map { _ in "sess-" + HexDigits.string(ids.next()).prefix(12) }
    }

    /// The next event: always compliant.
    public mutating func nextEvent() -> AnyTelemetryEvent {
        if pending.isEmpty { makeRun() }
        return pending.removeFirst()
    }

    /// The next event as one JSON line (no newline); `defectRate` of them carry a violation.
    public mutating func nextLine() -> [UInt8] {
        let event = nextEvent()
        var bytes: [UInt8] = []
        event.encodeJSON(into: &bytes)
        guard defectRate > 0, rng.chance(defectRate) else { return bytes }
        return damage(bytes, type: event.eventType)
    }

    // MARK: - Runs

    static let agents: [(String, String)] = [
        ("code_generation_agent", "marvin_agent"), ("research_agent", "react_agent"),
        ("data_analysis_agent", "planner_agent"), ("support_agent", "conversational_agent"),
    ]
    static let queries = [
        "Generate a REST API endpoint for user sign-up",
        "Résumé the quarterly report — key risks only",
        "Find the slowest SQL queries in last night's \"batch\" logs",
        "Translate the onboarding guide to 日本語 🚀",
        "Why did the nightly build fail?\nSee C:\\ci\\logs",
    ]
    static let tools: [(String, ToolType)] = [
        ("file_writer", .write), ("web_search", .search), ("code_executor", .execute), ("sql_query", "database"), ("file_reader", .read),
    ]
    static let models: [(ModelProvider, String)] = [
        (.anthropic, "claude-3-5-sonnet"), (.openAI, "gpt-4o"), (.anthropic, "claude-3-5-haiku"), (.mistral, "mistral-large"),
    ]

    private mutating func makeRun() {
        runNumber += 1
        let session = sessions[runNumber % sessions.count]
        let runID = "run-" + HexDigits.string(rng.next()).prefix(12)
        let trace = TraceID.random(using: &rng)
        let root = SpanID.random(using: &rng)
        let (agent, agentType) = rng.pick(Self.agents)
        let query = rng.pick(Self.queries)
        let confidence = Double(600 + rng.below(400)) / 1000

        func header() -> EventHeader {
            EventHeader(eventID: EventHeader.randomEventID(using: &rng), timestamp: clock, sessionID: session, runID: runID,
                        traceID: trace, spanID: SpanID.random(using: &rng), parentSpanID: root)
        }
        func advance(ms: Int) { clock += Int64(ms) * 1_000_000 }

        let candidates = Self.agents.prefix(3).map(\.0)
        pending.append(.routingDecision(RoutingDecisionEvent(
            header: header(), query: query, selectedAgent: agent, routingStrategy: "semantic_similarity",
            confidenceScore: confidence, routingTimeMs: Double(3 + rng.below(20)), candidateAgents: candidates)))
        advance(ms: 5)
        pending.append(.agentRun(AgentRunEvent(header: header(), agentName: agent, agentType: agentType, status: .started, userQuery: query)))
        advance(ms: 2)
        pending.append(.memoryOperation(MemoryOperationEvent(
            header: header(), memoryType: "episodic", memoryBackend: "redis", operationType: "read",
            operationTimeMs: Double(1 + rng.below(8)) + 0.25, success: true, cacheHit: rng.below(3) != 0)))
        var tokens = 0
        var used: [String] = []
        let steps = 1 + rng.below(4)
        let failing = runNumber % 7 == 3
        for step in 0..<steps {
            let (provider, model) = rng.pick(Self.models)
            let prompt = 200 + rng.below(1800), completion = 50 + rng.below(600)
            tokens += prompt + completion
            let responseTime = 300 + rng.below(2500)
            advance(ms: responseTime)
            pending.append(.modelInteraction(ModelInteractionEvent(
                header: header(), modelProvider: provider, modelName: model, promptTokens: prompt,
                responseTimeMs: Double(responseTime), totalTokens: prompt + completion, completionTokens: completion, success: true)))
            let (tool, toolType) = rng.pick(Self.tools)
            let executionTime = 20 + rng.below(900)
            advance(ms: executionTime)
            let failed = failing && step == steps - 1
            var event = ToolExecutionEvent(header: header(), toolName: tool, toolType: toolType, status: failed ? .failed : .completed,
                                           executionTimeMs: rng.below(10) == 0 ? nil : Double(executionTime), success: !failed)
            if failed { event.header.extraFields["error_message"] = .string("timeout after \(executionTime) ms calling \(tool)") }
            pending.append(.toolExecution(event))
            used.append(tool)
        }
        advance(ms: 3)
        pending.append(.memoryOperation(MemoryOperationEvent(
            header: header(), memoryType: "episodic", memoryBackend: "redis", operationType: "write",
            operationTimeMs: Double(1 + rng.below(5)), success: true, cacheHit: false)))
        advance(ms: 1)
        pending.append(.agentRun(AgentRunEvent(
            header: header(), agentName: agent, agentType: agentType, status: failing ? .failed : .completed, userQuery: query,
            confidenceScore: (confidence * 100).rounded() / 100, toolsUsed: used, totalTokens: tokens)))
        advance(ms: 200 + rng.below(3000))
    }

    // MARK: - Violations

    /// `bytes` (a compliant event of `type`) with one violation.
    private mutating func damage(_ bytes: [UInt8], type: EventType) -> [UInt8] {
        guard case .object(var fields)? = try? bytes.withUnsafeBufferPointer({ buffer throws(JSONTreeParser.Failure) in
            try JSONTreeParser.parse(buffer)
        }) else { return bytes }
        let required = EventSchema.named(type)?.requiredFields.map(\.name) ?? ["event_id"]
        let field = rng.pick(required)
        switch rng.below(8) {
        case 0: fields[field] = nil
        case 1: fields[field] = .null
        case 2: fields[field] = field == "event_type" || field == "timestamp" ? .int(7) : .bool(true)
        case 3: fields["prompt_tokens"] = nil; fields["timestamp"] = .string("2026-02-30T10:00:00Z")
        case 4: fields["event_type"] = .string("span_start")
        case 5:
            if type == .modelInteraction { fields["prompt_tokens"] = .int(-12) } else { fields["session_id"] = .array([]) }
        case 6: return Array(#"["not", "an", "object"]"#.utf8)
        default: fields["timestamp"] = .string("2026-03-01 12:00:00")
        }
        return JSONWriter.object(fields)
    }
}
