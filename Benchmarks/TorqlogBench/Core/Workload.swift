// Longer than most files: the benchmark's one workload generator, every
// event type and its awkward cases together.
import Foundation
import TorqLogStore
import TorqJSON

/// The benchmark's input: a deterministic, realistic JSONL file of agent
/// telemetry, written once per invocation and read by every benchmark.
///
/// - Five event types (agent_run, tool_execution, model_interaction,
///   memory_operation, routing_decision) with the seed's fields; about 480
///   bytes per event on average; unicode and JSON escapes in the text fields;
///   a few 40 KB payloads (one per 25,000 events, at least one from 100 events).
/// - Heavy-tailed run sizes: one run holds 17% of the events, spread over the
///   whole file; the others have Pareto-distributed (Zipf-like) sizes and
///   interleave like concurrent agents (24 in flight).
/// - Or, *interleaved* (`interleavedRuns: N`, what a server taking many agents
///   at once writes): exactly N runs, all in flight from the first event to the
///   last. The large run keeps its 17%; the other N − 1 have Pareto sizes
///   scaled to share the rest, and every event belongs to a run drawn in
///   proportion to the events it has left, so each run is spread evenly over
///   the whole file.
/// - Timestamps are RFC 3339 with microseconds, non-decreasing in file order.
struct Workload: Sendable {
    /// The JSONL file.
    var path: String
    /// Events (lines) in the file.
    var events: Int
    /// Bytes of the file, newlines included.
    var fileBytes: Int64
    /// Bytes of JSON (the file less one newline per event): what stores keep as payloads.
    var payloadBytes: Int64 { fileBytes - Int64(events) }
    /// Distinct run_ids.
    var runs: Int
    /// The largest run: its run_id, events and payload bytes.
    var largestRunID: String
    var largestRunEvents: Int
    var largestRunPayloadBytes: Int64
    /// A typical run: the one of median size (events), its events and payload bytes.
    var typicalRunID: String
    var typicalRunEvents: Int
    var typicalRunPayloadBytes: Int64
    /// Runs in flight at once: 24, or every run of an interleaved workload.
    var concurrentRuns: Int
    /// Events per event_type.
    var typeCounts: [String: Int]
    /// Events carrying a 40 KB text.
    var largePayloads: Int
    /// The largest line, in bytes.
    var longestLine: Int
    /// Seconds spent generating and writing it.
    var generationSeconds: Double

    /// Share of the events that belong to the one large run.
    static let largestRunShare = 0.17
    /// Runs in flight at once (the interleaving of concurrent agents).
    static let concurrentRuns = 24

    /// Generates `events` events from `seed` into `path`; with `interleavedRuns`,
    /// exactly that many runs, all in flight at once (see the type's comment).
    static func generate(events: Int, seed: UInt64, path: String, interleavedRuns: Int? = nil) throws -> Workload {
        let start = monotonicNanoseconds()
        var gen = Generator(seed: seed, events: events, interleavedRuns: interleavedRuns)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 64 << 10)
        var fileBytes: Int64 = 0
        var longest = 0
        for index in 0..<events {
            let before = buffer.count
            gen.writeEvent(index: index, into: &buffer)
            longest = max(longest, buffer.count - before)
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 {
                try writeAll(fd, buffer, path)
                fileBytes += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try writeAll(fd, buffer, path)
        fileBytes += Int64(buffer.count)
        let typical = gen.typicalRun()
        return Workload(path: path, events: events, fileBytes: fileBytes, runs: gen.runsStarted,
                        largestRunID: gen.bigRun.id, largestRunEvents: gen.bigRun.emitted,
                        largestRunPayloadBytes: gen.bigRun.payloadBytes,
                        typicalRunID: typical.id, typicalRunEvents: typical.emitted, typicalRunPayloadBytes: typical.payloadBytes,
                        concurrentRuns: interleavedRuns ?? concurrentRuns, typeCounts: gen.typeCounts,
                        largePayloads: gen.largePayloads, longestLine: longest,
                        generationSeconds: Double(monotonicNanoseconds() - start) / 1e9)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
    }
}

/// The state machine behind `Workload.generate`.
private struct Generator {
    final class Run {
        let id: String
        let traceID: String
        let session: String
        let agent: Int
        let query: Int
        var size: Int
        var emitted = 0
        var payloadBytes: Int64 = 0
        var toolsUsed: [Int] = []
        var tokens = 0
        init(id: String, traceID: String, session: String, agent: Int, query: Int, size: Int) {
            (self.id, self.traceID, self.session, self.agent, self.query, self.size) = (id, traceID, session, agent, query, size)
        }
    }

    var rng: SplitMix64
    let totalEvents: Int
    let bigRun: Run
    var active: [Run] = []
    /// Every run started, in order (for the typical run).
    var started: [Run] = []
    /// Interleaved: the run of each event, drawn up front.
    var schedule: [Run] = []
    /// Events not yet promised to any run.
    var unassigned: Int
    var runsStarted = 1
    var session = ""
    var clock: Int64 = 1_741_944_413_000_000_000 // 2025-03-14T09:26:53Z
    var typeCounts: [String: Int] = [:]
    var largePayloads = 0
    let largeEvery: Int

    init(seed: UInt64, events: Int, interleavedRuns: Int? = nil) {
        rng = SplitMix64(seed: seed)
        totalEvents = events
        let big = events == 0 ? 0 : max(1, Int((Double(events) * Workload.largestRunShare).rounded()))
        bigRun = Run(id: "run-" + rng.hex(8) + "-" + rng.hex(4), traceID: rng.hex(32), session: "sess-" + rng.hex(8),
                     agent: 0, query: 0, size: big)
        unassigned = events - big
        largeEvery = events >= 100 ? min(25_000, events) : Int.max
        started = [bigRun]
        if let n = interleavedRuns, n > 1 { scheduleInterleaved(runs: n) }
    }

    /// Starts all `runs` runs now and draws the run of every event: the runs'
    /// events shuffled together, so that each run is spread over the whole file.
    mutating func scheduleInterleaved(runs: Int) {
        let others = min(runs - 1, unassigned)
        guard others > 0 else { return }
        let drawn = (0..<others).map { _ in Double(drawRunSize()) }
        let total = drawn.reduce(0, +)
        var sizes = drawn.map { max(1, Int(($0 / total * Double(unassigned)).rounded(.down))) }
        var left = unassigned - sizes.reduce(0, +)
        var i = 0
        while left != 0 {  // hand out (or take back) what rounding left, one event per run
            if left > 0 { sizes[i % others] += 1; left -= 1 } else if sizes[i % others] > 1 { sizes[i % others] -= 1; left += 1 }
            i += 1
        }
        var slots: [Run] = Array(repeating: bigRun, count: bigRun.size)
        for size in sizes {
            let run = newRun()
            run.size = size
            slots.append(contentsOf: repeatElement(run, count: size))
        }
        unassigned = 0
        for j in stride(from: slots.count - 1, to: 0, by: -1) {  // Fisher–Yates
            slots.swapAt(j, Int(rng.next() % UInt64(j + 1)))
        }
        schedule = slots
    }

    /// The run of median size (events), the first such in start order.
    func typicalRun() -> Run {
        let sizes = started.map(\.emitted).sorted()
        let median = sizes.isEmpty ? 0 : sizes[(sizes.count - 1) / 2]
        return started.first { $0.emitted == median } ?? bigRun
    }

    /// Pareto (α = 1.2, minimum 4) run sizes, capped at 2% of the events: a Zipf-like heavy tail.
    mutating func drawRunSize() -> Int {
        let u = max(1e-12, rng.unit())
        let size = Int(4.0 / pow(u, 1.0 / 1.2))
        return min(max(4, size), max(4, totalEvents / 50))
    }

    mutating func newRun() -> Run {
        if runsStarted % 5 == 1 || session.isEmpty { session = "sess-" + rng.hex(8) }
        runsStarted += 1
        let size = min(drawRunSize(), unassigned)
        unassigned -= size
        let run = Run(id: "run-" + rng.hex(8) + "-" + rng.hex(4), traceID: rng.hex(32), session: session,
                      agent: Int(rng.next() % UInt64(Vocabulary.agents.count)),
                      query: Int(rng.next() % UInt64(Vocabulary.queries.count)), size: size)
        started.append(run)
        return run
    }

    /// Picks the run the event at `index` belongs to: the large run with the
    /// probability that spreads its events evenly, else one of the runs in flight.
    mutating func pickRun(index: Int) -> Run {
        if !schedule.isEmpty { return schedule[index] }
        let remainingSlots = totalEvents - index
        let bigLeft = bigRun.size - bigRun.emitted
        let smallLeft = remainingSlots - bigLeft
        if bigLeft > 0 && (smallLeft == 0 || rng.unit() < Double(bigLeft) / Double(remainingSlots)) {
            return bigRun
        }
        while active.count < Workload.concurrentRuns && unassigned > 0 { active.append(newRun()) }
        let i = Int(rng.next() % UInt64(active.count))
        let run = active[i]
        if run.emitted + 1 == run.size { active.remove(at: i) }
        return run
    }

    mutating func writeEvent(index: Int, into out: inout [UInt8]) {
        let run = pickRun(index: index)
        let position = run.emitted
        run.emitted += 1
        clock += Int64(100_000 + rng.next() % 2_900_000) // 0.1–3 ms between events
        let type: String
        if position == 0 { type = "routing_decision" }
        else if position == 1 || position == run.size - 1 { type = "agent_run" }
        else {
            switch rng.next() % 10 {
            case 0, 1: type = "memory_operation"
            case 2, 3, 4, 5: type = "model_interaction"
            default: type = "tool_execution"
            }
        }
        typeCounts[type, default: 0] += 1
        let start = out.count

        var j = JSONWriter(taking: &out)
        j.string("event_id", rng.uuid())
        j.string("event_type", type)
        j.string("timestamp", RFC3339.format(nanoseconds: clock, fractionDigits: 6))
        j.string("session_id", run.session)
        j.string("run_id", run.id)
        j.string("trace_id", run.traceID)
        j.string("span_id", rng.hex(16))
        let (agent, agentType) = Vocabulary.agents[run.agent]
        j.string("agent_name", agent)
        let query = Vocabulary.queries[run.query]

        switch type {
        case "routing_decision":
            j.string("query", query)
            j.string("selected_agent", agent)
            j.string("routing_strategy", Vocabulary.routingStrategies[Int(rng.next() % 3)])
            j.fixed("confidence_score", 0.55 + Double(rng.next() % 450) / 1000, digits: 3)
            j.int("routing_time_ms", 2 + Int(rng.next() % 40))
            j.stringArray("candidate_agents", Vocabulary.agents.prefix(2 + Int(rng.next() % 3)).map(\.0))
        case "agent_run":
            j.string("agent_type", agentType)
            if position == 1 {
                j.string("status", "started")
                j.string("user_query", query)
                j.string("agent_version", "2.4.\(rng.next() % 12)")
            } else {
                let failed = run.traceID.utf8.last! % 7 == 0
                j.string("status", failed ? "failed" : "completed")
                j.string("user_query", query)
                j.int("execution_time_ms", 800 + Int(rng.next() % 60_000))
                j.int("total_tokens", run.tokens)
                j.stringArray("tools_used", run.toolsUsed.suffix(4).map { Vocabulary.tools[$0].0 })
                if failed { j.string("error_message", "Tool \"sql_query\" timed out after 30 s — retries exhausted (3/3)") }
            }
        case "memory_operation":
            j.string("memory_type", Vocabulary.memoryTypes[Int(rng.next() % 3)])
            j.string("memory_backend", Vocabulary.memoryBackends[Int(rng.next() % 3)])
            j.string("operation_type", rng.next() % 2 == 0 ? "retrieve" : "store")
            j.int("operation_time_ms", 1 + Int(rng.next() % 25))
            j.bool("cache_hit", rng.next() % 3 != 0)
            j.bool("success", true)
            j.string("memory_key", "mem:" + rng.hex(8))
        case "model_interaction":
            let (provider, model) = Vocabulary.models[Int(rng.next() % UInt64(Vocabulary.models.count))]
            let p = 150 + Int(rng.next() % 3800), c = 20 + Int(rng.next() % 900)
            run.tokens += p + c
            j.string("model_provider", provider)
            j.string("model_name", model)
            j.int("prompt_tokens", p)
            j.int("completion_tokens", c)
            j.int("total_tokens", p + c)
            j.int("response_time_ms", 250 + Int(rng.next() % 4000))
            j.string("finish_reason", rng.next() % 9 == 0 ? "length" : "stop")
            j.bool("success", true)
        default: // tool_execution
            let t = Int(rng.next() % UInt64(Vocabulary.tools.count))
            run.toolsUsed.append(t)
            let (tool, toolType) = Vocabulary.tools[t]
            let failed = rng.next() % 20 == 0
            j.string("tool_name", tool)
            j.string("tool_type", toolType)
            j.string("status", failed ? "failed" : "completed")
            j.int("execution_time_ms", 5 + Int(rng.next() % 2000))
            j.raw("input_parameters", Vocabulary.toolInputs[t])
            if failed { j.string("error_message", "exit status 1: \"permission denied\"\nat step 3") }
        }
        if index % largeEvery == largeEvery / 2 {
            largePayloads += 1
            j.string(type == "model_interaction" ? "response_text" : "output", Vocabulary.largeText)
        }
        j.end(into: &out)
        run.payloadBytes += Int64(out.count - start)
    }
}

/// Appends one JSON object's fields to a byte buffer (taken from the caller and given back by `end`).
private struct JSONWriter: ~Copyable {
    private var out: [UInt8] = []
    private var first = true

    init(taking buffer: inout [UInt8]) {
        swap(&out, &buffer)
        out.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ k: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ k: StaticString, _ v: String) {
        key(k)
        JSONWriter.appendQuoted(v, to: &out)
    }

    mutating func int(_ k: StaticString, _ v: Int) {
        key(k)
        out.append(contentsOf: String(v).utf8)
    }

    mutating func fixed(_ k: StaticString, _ v: Double, digits: Int) {
        key(k)
        out.append(contentsOf: String(format: "%.\(digits)f", v).utf8)
    }

    mutating func bool(_ k: StaticString, _ v: Bool) {
        key(k)
        out.append(contentsOf: (v ? "true" : "false").utf8)
    }

    mutating func stringArray(_ k: StaticString, _ v: [String]) {
        key(k)
        out.append(UInt8(ascii: "["))
        for (i, s) in v.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendQuoted(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A value that is already JSON.
    mutating func raw(_ k: StaticString, _ json: String) {
        key(k)
        out.append(contentsOf: json.utf8)
    }

    /// Closes the object and gives the buffer back.
    consuming func end(into buffer: inout [UInt8]) {
        out.append(UInt8(ascii: "}"))
        swap(&out, &buffer)
    }

    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The words the generator draws from.
private enum Vocabulary {
    static let agents = [("code_generation_agent", "marvin_agent"), ("research_agent", "react_agent"),
                         ("data_analysis_agent", "planner_agent"), ("support_agent", "conversational_agent"),
                         ("travel_planner_agent", "plan_and_execute_agent")]
    static let queries = [
        "Generate a REST API endpoint for user sign-up with e-mail verification and rate limiting",
        "Résumé the quarterly report — key risks, open questions and the three largest cost drivers only",
        "Find the slowest SQL queries in last night's logs and propose indexes for the top 5",
        "Translate the onboarding guide to 日本語 and keep the product names in English",
        "Why did the nightly build fail? Compare with the last green run and summarise the diff",
        "Plan a 3-day trip to Zürich: museums, a day hike, vegetarian restaurants 🌿 under 40 CHF",
        "Explain the \"retry storm\" incident of 2025-03-02 in plain words for the status page",
        "Собери отчёт по продажам за март и сравни с февралём по регионам",
        "لخّص هذا المستند في خمس نقاط رئيسية مع ذكر المصادر",
    ]
    static let routingStrategies = ["semantic_similarity", "keyword_rules", "llm_classifier"]
    static let tools = [("file_writer", "write"), ("web_search", "search"), ("code_executor", "execute"),
                        ("sql_query", "database"), ("file_reader", "read"), ("http_request", "network")]
    static let toolInputs = [
        #"{"path":"src/api/signup.ts","bytes":2841,"mode":"overwrite"}"#,
        #"{"q":"zürich vegetarian restaurants under 40 CHF","max_results":10,"lang":"de"}"#,
        #"{"language":"python","timeout_s":30,"code_sha":"9f2c41e0"}"#,
        #"{"sql":"SELECT region, SUM(amount) FROM sales WHERE month = ? GROUP BY region","params":["2025-03"]}"#,
        #"{"path":"docs/onboarding/ja/README.md","range":[0,65536]}"#,
        #"{"method":"GET","url":"https://status.example.com/api/v2/incidents?since=2025-03-01","timeout_ms":5000}"#,
    ]
    static let models = [("anthropic", "claude-3-5-sonnet"), ("openai", "gpt-4o"),
                         ("anthropic", "claude-3-5-haiku"), ("mistral", "mistral-large")]
    static let memoryTypes = ["episodic", "semantic", "working"]
    static let memoryBackends = ["redis", "postgres_pgvector", "in_memory"]

    /// About 40 KB of model output: prose with unicode, quotes and newlines (escaped in JSON).
    static let largeText: String = {
        let paragraph = """
            ## Findings — section %d\n\nThe nightly build failed in `test_signup_rate_limit` ("expected 429, got 200"). \
            Résumé: the limiter's window is read from `RATE_WINDOW_S`, unset in CI ⇒ default 0 s. \
            日本語のドキュメントも更新が必要です。 Next steps: 1) set the variable; 2) add a guard; 3) re-run 🚀.\n
            """
        var s = ""
        var i = 1
        while s.utf8.count < 40_000 {
            s += paragraph.replacingOccurrences(of: "%d", with: String(i))
            i += 1
        }
        return s
    }()
}

/// SplitMix64: small, fast, deterministic.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func hex(_ digits: Int) -> String {
        let alphabet = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: digits)
        var word = next()
        for i in 0..<digits {
            if i > 0 && i % 16 == 0 { word = next() }
            bytes[i] = alphabet[Int(word & 15)]
            word >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func uuid() -> String {
        var h = Array(hex(32).utf8)
        h[12] = UInt8(ascii: "4")
        h[16] = UInt8(ascii: "a")
        var s = [UInt8]()
        s.reserveCapacity(36)
        for (i, b) in h.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { s.append(UInt8(ascii: "-")) }
            s.append(b)
        }
        return String(decoding: s, as: UTF8.self)
    }
}
