import Foundation
import TorqLogStore
import TorqJSON

/// Test data for tracing: a hand-written run that has every case, and
/// random runs whose expected figures are counted while generating them.
package enum TraceFixture {
    /// Run `r1`: a server root span; `plan & route` (ok) with a routing
    /// record attached; `llm.chat claude` (client) with two span events and a
    /// model record attached; `tool.search "docs"` (error) with a failed
    /// tool_execution leaf (its own span id) under it; `cache.lookup`, an end
    /// without a start (80 ms); `tool.slow_export (never ended)`, open;
    /// memory and agent records attached to the root; one agent_run in no span.
    package static let handRun: [String] = [
        #"{"event_id":"e1","event_type":"span_start","timestamp":"2026-03-01T12:00:00.000Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"agent.run support <main>","kind":"server","attributes":{"service.name":"support-bot"}}"#,
        #"{"event_id":"e2","event_type":"span_start","timestamp":"2026-03-01T12:00:00.010Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"1000000000000001","parent_span_id":"00f067aa0ba902b7","name":"plan & route","kind":"internal"}"#,
        #"{"event_id":"e3","event_type":"routing_decision","timestamp":"2026-03-01T12:00:00.030Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"1000000000000001","parent_span_id":"00f067aa0ba902b7","query":"q","selected_agent":"support_agent","routing_strategy":"semantic","confidence_score":0.9,"routing_time_ms":12}"#,
        #"{"event_id":"e4","event_type":"span_end","timestamp":"2026-03-01T12:00:00.050Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"1000000000000001","parent_span_id":"00f067aa0ba902b7","name":"plan & route","status":"ok","duration_ms":40}"#,
        #"{"event_id":"e5","event_type":"span_start","timestamp":"2026-03-01T12:00:00.060Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"2000000000000002","parent_span_id":"00f067aa0ba902b7","name":"llm.chat claude","kind":"client","attributes":{"gen_ai.request.model":"claude-3-5-sonnet"}}"#,
        #"{"event_id":"e6","event_type":"model_interaction","timestamp":"2026-03-01T12:00:01.260Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"2000000000000002","parent_span_id":"00f067aa0ba902b7","model_provider":"anthropic","model_name":"claude-3-5-sonnet","prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"response_time_ms":1190,"success":true}"#,
        #"{"event_id":"e7","event_type":"span_end","timestamp":"2026-03-01T12:00:01.270Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"2000000000000002","parent_span_id":"00f067aa0ba902b7","name":"llm.chat claude","status":"ok","duration_ms":1210,"attributes":{"gen_ai.usage.output_tokens":300,"events":[{"name":"first_token","timestamp":"2026-03-01T12:00:00.400Z","attributes":{"latency_ms":340}},{"name":"done","timestamp":"2026-03-01T12:00:01.260Z"}]}}"#,
        #"{"event_id":"e8","event_type":"span_start","timestamp":"2026-03-01T12:00:01.300Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"3000000000000003","parent_span_id":"00f067aa0ba902b7","name":"tool.search \"docs\"","kind":"internal"}"#,
        #"{"event_id":"e9","event_type":"tool_execution","timestamp":"2026-03-01T12:00:01.800Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"3100000000000031","parent_span_id":"3000000000000003","tool_name":"web_search","tool_type":"search","status":"failed","execution_time_ms":450,"success":false,"error_message":"timeout after 450 ms"}"#,
        #"{"event_id":"e10","event_type":"span_end","timestamp":"2026-03-01T12:00:01.850Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"3000000000000003","parent_span_id":"00f067aa0ba902b7","name":"tool.search \"docs\"","status":"error","duration_ms":550,"error_message":"search failed: timeout"}"#,
        #"{"event_id":"e11","event_type":"span_end","timestamp":"2026-03-01T12:00:02.000Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"4000000000000004","parent_span_id":"00f067aa0ba902b7","name":"cache.lookup","status":"ok","duration_ms":80}"#,
        #"{"event_id":"e12","event_type":"span_start","timestamp":"2026-03-01T12:00:02.100Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"5000000000000005","parent_span_id":"00f067aa0ba902b7","name":"tool.slow_export (never ended)","kind":"client"}"#,
        #"{"event_id":"e13","event_type":"memory_operation","timestamp":"2026-03-01T12:00:02.300Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","memory_type":"episodic","memory_backend":"redis","operation_type":"write","operation_time_ms":3,"success":true}"#,
        #"{"event_id":"e14","event_type":"agent_run","timestamp":"2026-03-01T12:00:02.400Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","agent_name":"support_agent","agent_type":"react","status":"completed","tools_used":["web_search"],"total_tokens":1500}"#,
        #"{"event_id":"e15","event_type":"span_end","timestamp":"2026-03-01T12:00:02.500Z","session_id":"s1","run_id":"r1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"agent.run support <main>","status":"ok","duration_ms":2500}"#,
        #"{"event_id":"e16","event_type":"agent_run","timestamp":"2026-03-01T12:00:02.900Z","session_id":"s1","run_id":"r1","agent_name":"support_agent","agent_type":"react","status":"completed"}"#
    ]

    /// What a generated store should give, counted independently of the code under test.
    package struct Expected {
        package var runID: String
        package var records = 0
        package var counts: [String: Int] = [:]
        package var spans = 0
        var recordedSpans = 0
        package var openSpans = 0
        package var startlessSpans = 0
        package var inputTokens = 0
        package var outputTokens = 0
        package var tools: [String] = []
        package var failures = 0
        package var nonSpanRecords = 0
    }

    /// `runs` random traced runs (run ids `gen-0`, `gen-1`, …), each with a
    /// root span and `steps` child spans; in each step a model_interaction
    /// and a tool_execution leaf (own span ids), sometimes a memory record
    /// attached to the step; some steps never end, some ends have no start,
    /// some tools fail.
    package static func generated(seed: UInt64, runs: Int, steps: ClosedRange<Int> = 2...12) -> (lines: [String], expected: [Expected]) {
        var rng = Generator(seed: seed)
        var lines: [String] = []
        var all: [Expected] = []
        var clock: Int64 = 1_772_366_400_000_000_000
        for r in 0..<runs {
            var e = Expected(runID: "gen-\(r)")
            let trace = rng.hex(32), root = rng.hex(16), session = "s-\(r)"
            func emit(_ type: String, _ fields: [String: Any]) {
                var object: [String: Any] = ["event_id": "ev-\(lines.count)", "event_type": type, "session_id": session,
                                             "run_id": e.runID, "trace_id": trace,
                                             "timestamp": RFC3339.format(nanoseconds: clock, fractionDigits: 6)]
                for (k, v) in fields { object[k] = v }
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                lines.append(String(decoding: data, as: UTF8.self))
                e.records += 1
                e.counts[type, default: 0] += 1
                if type != "span_start" && type != "span_end" { e.nonSpanRecords += 1 }
            }
            func tool(_ name: String) { if !e.tools.contains(name) { e.tools.append(name) } }
            let rootOpen = rng.below(4) == 0
            emit("span_start", ["span_id": root, "name": "run \(r)", "kind": "server"])
            e.spans += 1
            e.recordedSpans += 1
            for s in 0..<Int(rng.below(UInt64(steps.count))) + steps.lowerBound {
                let step = rng.hex(16)
                let shape = rng.below(10) // 0: never ends, 1: end without start, else both
                clock += 1_000_000
                let stepStart = clock
                if shape != 1 { emit("span_start", ["span_id": step, "parent_span_id": root, "name": "step \(s)", "kind": "internal"]) }
                e.spans += 1
                e.recordedSpans += 1
                let p = Int(rng.below(900)) + 100, c = Int(rng.below(300)) + 10, rt = Int(rng.below(500)) + 20
                clock += Int64(rt) * 1_000_000
                emit("model_interaction", ["span_id": rng.hex(16), "parent_span_id": step, "model_provider": "anthropic",
                                           "model_name": "claude", "prompt_tokens": p, "completion_tokens": c,
                                           "total_tokens": p + c, "response_time_ms": rt, "success": true])
                e.spans += 1
                e.inputTokens += p
                e.outputTokens += c
                let fails = rng.below(5) == 0
                let name = ["web_search", "sql_query", "file_reader"][Int(rng.below(3))]
                clock += 30_000_000
                var fields: [String: Any] = ["span_id": rng.hex(16), "parent_span_id": step, "tool_name": name, "tool_type": "search",
                                             "status": fails ? "failed" : "completed", "execution_time_ms": 30, "success": !fails]
                if fails { fields["error_message"] = "tool <\(name)> & \"friends\" failed" }
                emit("tool_execution", fields)
                e.spans += 1
                tool(name)
                if fails { e.failures += 1 }
                if rng.below(2) == 0 {
                    clock += 2_000_000
                    emit("memory_operation", ["span_id": step, "memory_type": "episodic", "memory_backend": "redis",
                                              "operation_type": "write", "operation_time_ms": 1.5, "success": true])
                }
                clock += 1_000_000
                if shape == 0 {
                    e.openSpans += 1
                } else {
                    let error = rng.below(6) == 0
                    var end: [String: Any] = ["span_id": step, "parent_span_id": root, "name": "step \(s)", "status": error ? "error" : "ok",
                                              "duration_ms": Double(clock - stepStart) / 1_000_000]
                    if error {
                        end["error_message"] = "step \(s) failed"
                        e.failures += 1
                    }
                    emit("span_end", end)
                    if shape == 1 { e.startlessSpans += 1 }
                }
            }
            clock += 5_000_000
            if rootOpen {
                e.openSpans += 1
            } else {
                emit("span_end", ["span_id": root, "name": "run \(r)", "status": "ok"])
            }
            all.append(e)
            clock += 1_000_000_000
        }
        return (lines, all)
    }

    /// SplitMix64: deterministic, independent of the library's generators.
    package struct Generator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: UInt64) -> UInt64 { next() % max(n, 1) }
        mutating func hex(_ digits: Int) -> String {
            var s = ""
            while s.count < digits {
                let v = next() | 1
                let h = String(v, radix: 16)
                s += String(repeating: "0", count: 16 - h.count) + h
            }
            return String(s.prefix(digits))
        }
    }
}
