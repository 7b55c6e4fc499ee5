import Foundation
import Testing
import TorqLogStore
import TorqTelemetry
import TorqJSON
import TorqTestSupport

/// `torqlog telemetry`, run as a user would against a store filled with
/// `torqlog ingest`; every number checked against a count made in the test
/// from the events it generated.
@Suite("telemetry command")
struct TelemetryCommandTests {
    /// A store holding `events`, ingested from a JSONL file.
    static func makeStore(_ dir: TemporaryDirectory, _ events: [AnalyticsEvent]) throws -> String {
        let input = try dir.write("in.jsonl", lines: events.map(\.json))
        let store = dir.file("store")
        let ingest = try TorqlogBinary.run(["--dir", store, "ingest", input])
        #expect(ingest.status == 0, "\(ingest.stderrText)")
        return store
    }

    /// Runs `torqlog telemetry --format json ARGS` and parses its output.
    static func summary(_ store: String, _ args: [String] = []) throws -> [String: Any] {
        let result = try TorqlogBinary.run(["telemetry", "--dir", store, "--format", "json"] + args)
        #expect(result.status == 0, "\(result.stderrText)")
        return try #require(foundationObject(result.stdoutText), "not a JSON object: \(result.stdoutText.prefix(300))")
    }

    static func name(_ value: Any?) -> String { value as? String ?? AnalyticsExpectation.none }

    static func rows(_ json: [String: Any], _ key: String, _ name: ([String: Any]) -> String) -> [String: [String: Any]] {
        let list = json[key] as? [[String: Any]] ?? []
        return Dictionary(list.map { (name($0), $0) }, uniquingKeysWith: { a, _ in a })
    }

    static func int(_ row: [String: Any]?, _ key: String) -> Int? { row?[key] as? Int }

    /// Checks a JSON summary against the expectation computed from the same events.
    static func check(_ json: [String: Any], _ x: AnalyticsExpectation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(json["records"] as? Int == x.events, sourceLocation: sourceLocation)
        #expect(json["events"] as? Int == x.events, sourceLocation: sourceLocation)
        #expect(json["unparsable"] as? Int == 0, sourceLocation: sourceLocation)
        let runs = json["runs"] as? [String: Any], sessions = json["sessions"] as? [String: Any]
        #expect(runs?["count"] as? Int == x.runs.count && runs?["exact"] as? Bool == true, sourceLocation: sourceLocation)
        #expect(sessions?["count"] as? Int == x.sessions.count, sourceLocation: sourceLocation)
        #expect(json["events_without_run_id"] as? Int == x.withoutRun, sourceLocation: sourceLocation)
        #expect(json["events_without_session_id"] as? Int == x.withoutSession, sourceLocation: sourceLocation)
        #expect(json["events_without_timestamp"] as? Int == x.withoutTimestamp, sourceLocation: sourceLocation)
        #expect((json["first_timestamp"] as? String).flatMap(RFC3339.parseNanoseconds) == x.first, sourceLocation: sourceLocation)
        #expect((json["last_timestamp"] as? String).flatMap(RFC3339.parseNanoseconds) == x.last, sourceLocation: sourceLocation)
        #expect(json["events_with_status"] as? Int == x.withStatus, sourceLocation: sourceLocation)
        #expect(json["errors"] as? Int == x.errors, sourceLocation: sourceLocation)
        if x.withStatus > 0 {
            let rate = json["error_rate"] as? Double ?? -1
            #expect(abs(rate - Double(x.errors) / Double(x.withStatus)) < 1e-6, sourceLocation: sourceLocation)
        }

        func counts(_ row: [String: Any]?, _ count: String, _ withStatus: String) -> AnalyticsExpectation.Counts? {
            guard let row, let c = row[count] as? Int, let w = row[withStatus] as? Int, let e = row["errors"] as? Int else { return nil }
            return .init(count: c, withStatus: w, errors: e)
        }
        func tokens(_ row: [String: Any]?) -> AnalyticsExpectation.Tokens? {
            guard let row, let c = row["calls"] as? Int, let p = row["prompt_tokens"] as? Int,
                  let m = row["completion_tokens"] as? Int, let t = row["total_tokens"] as? Int else { return nil }
            return .init(calls: c, prompt: p, completion: m, total: t)
        }

        let types = rows(json, "event_types") { name($0["event_type"]) }
        #expect(Set(types.keys) == Set(x.types.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.types {
            #expect(counts(types[key], "events", "events_with_status") == expected, "\(key)", sourceLocation: sourceLocation)
        }

        let tools = rows(json, "tools") { name($0["tool_name"]) }
        #expect(Set(tools.keys) == Set(x.tools.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.tools {
            #expect(counts(tools[key], "calls", "calls_with_status") == expected, "\(key)", sourceLocation: sourceLocation)
            checkDurations(tools[key]?["execution_time_ms"], x.toolDurations[key], "tool \(key)", sourceLocation)
        }

        let models = rows(json, "models") { AnalyticsExpectation.pair($0["model_provider"] as? String, $0["model_name"] as? String) }
        #expect(Set(models.keys) == Set(x.models.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.models {
            #expect(counts(models[key], "calls", "calls_with_status") == expected, "\(key)", sourceLocation: sourceLocation)
            #expect(tokens(models[key]) == x.modelTokens[key], "\(key)", sourceLocation: sourceLocation)
            checkDurations(models[key]?["response_time_ms"], x.modelDurations[key], "model \(key)", sourceLocation)
        }

        let providers = rows(json, "tokens_by_provider") { name($0["model_provider"]) }
        #expect(Set(providers.keys) == Set(x.providers.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.providers {
            #expect(tokens(providers[key]) == expected, "\(key)", sourceLocation: sourceLocation)
        }

        let memory = rows(json, "memory") { AnalyticsExpectation.pair($0["memory_type"] as? String, $0["operation_type"] as? String) }
        #expect(Set(memory.keys) == Set(x.memory.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.memory {
            #expect(counts(memory[key], "operations", "operations_with_status") == expected, "\(key)", sourceLocation: sourceLocation)
            let cache = x.memoryCache[key] ?? (0, 0)
            #expect(int(memory[key], "cache_hits") == cache.hits && int(memory[key], "cache_known") == cache.known,
                    "\(key)", sourceLocation: sourceLocation)
            if cache.known > 0 {
                let rate = memory[key]?["cache_hit_rate"] as? Double ?? -1
                #expect(abs(rate - Double(cache.hits) / Double(cache.known)) < 1e-6, sourceLocation: sourceLocation)
            }
            checkDurations(memory[key]?["operation_time_ms"], x.memoryDurations[key], "memory \(key)", sourceLocation)
        }

        let routing = rows(json, "routing") { name($0["routing_strategy"]) }
        #expect(Set(routing.keys) == Set(x.routing.keys), sourceLocation: sourceLocation)
        for (key, expected) in x.routing {
            #expect(int(routing[key], "decisions") == expected.decisions, sourceLocation: sourceLocation)
            #expect(int(routing[key], "scored_decisions") == expected.scored, sourceLocation: sourceLocation)
            if expected.scored > 0 {
                let mean = routing[key]?["mean_confidence"] as? Double ?? -1
                #expect(abs(mean - expected.sum / Double(expected.scored)) < 1e-6, "\(key)", sourceLocation: sourceLocation)
            }
        }
    }

    static func checkDurations(_ value: Any?, _ values: [Double]?, _ label: String, _ sourceLocation: SourceLocation) {
        guard let values, !values.isEmpty else {
            #expect(value is NSNull, "\(label): no durations expected", sourceLocation: sourceLocation)
            return
        }
        guard let d = value as? [String: Any] else {
            Issue.record("\(label): durations missing", sourceLocation: sourceLocation)
            return
        }
        #expect(d["count"] as? Int == values.count, "\(label)", sourceLocation: sourceLocation)
        #expect(abs((d["max"] as? Double ?? -1) - (values.max() ?? 0)) <= 0.0005, "\(label)", sourceLocation: sourceLocation)
        #expect(abs((d["min"] as? Double ?? -1) - (values.min() ?? 0)) <= 0.0005, "\(label)", sourceLocation: sourceLocation)
        for p in [50.0, 95.0, 99.0] {
            let actual = d["p\(Int(p))"] as? Double ?? -1
            let exact = AnalyticsExpectation.percentile(values, p)
            #expect(AnalyticsExpectation.close(actual, exact), "\(label) p\(Int(p))", sourceLocation: sourceLocation)
        }
    }

    @Test("--format json: every number against an independent count, before and after sealing")
    func json() throws {
        let dir = TemporaryDirectory("telemetry-json")
        let events = AnalyticsWorkload.make(count: 6_000)
        let store = try Self.makeStore(dir, events)
        let expected = AnalyticsExpectation(events)
        let before = try Self.summary(store)
        Self.check(before, expected)
        #expect(try TorqlogBinary.run(["--dir", store, "seal"]).status == 0)
        let after = try TorqlogBinary.run(["telemetry", "--dir", store, "--format", "json"])
        #expect(after.status == 0)
        #expect(foundationObject(after.stdoutText).map { NSDictionary(dictionary: $0) } == NSDictionary(dictionary: before))
    }

    @Test("--event-type (or --type), --since, --until, --run select the events counted")
    func filters() throws {
        let dir = TemporaryDirectory("telemetry-filters")
        let events = AnalyticsWorkload.make(count: 4_000, seed: 11)
        let store = try Self.makeStore(dir, events)

        let tools = events.filter { $0.type == "tool_execution" }
        Self.check(try Self.summary(store, ["--event-type", "tool_execution"]), AnalyticsExpectation(tools))
        Self.check(try Self.summary(store, ["--type", "tool_execution"]), AnalyticsExpectation(tools))
        let custom = events.filter { $0.type == "custom_événement" }
        #expect(!custom.isEmpty)
        Self.check(try Self.summary(store, ["--event-type", "custom_événement"]), AnalyticsExpectation(custom))

        let cut = AnalyticsWorkload.start + 1_500 * 1_000_000_000
        let since = RFC3339.format(nanoseconds: cut, fractionDigits: 0)
        Self.check(try Self.summary(store, ["--since", since]), AnalyticsExpectation(events.filter { ($0.timestamp ?? .min) >= cut }))
        Self.check(try Self.summary(store, ["--until", since]), AnalyticsExpectation(events.filter { ($0.timestamp ?? .max) < cut }))

        let run = try #require(events.first { $0.runID?.hasPrefix("run-ü") == true }?.runID)
        Self.check(try Self.summary(store, ["--run", run]), AnalyticsExpectation(events.filter { $0.runID == run }))
        Self.check(try Self.summary(store, ["--run", "run-17", "--event-type", "model_interaction"]),
                   AnalyticsExpectation(events.filter { $0.runID == "run-17" && $0.type == "model_interaction" }))

        let conflict = try TorqlogBinary.run(["telemetry", "--dir", store, "--type", "agent_run", "--event-type", "tool_execution"])
        #expect(conflict.status == 64)
        #expect(conflict.stderrText.contains("disagree"))
        let none = try TorqlogBinary.run(["telemetry", "--dir", store, "--run", "no-such-run"])
        #expect(none.status == 0)
        #expect(none.stdoutText == "no events match the filters in \(store)\n")
    }

    @Test("--compliance: the compliance report of the same events, under \"compliance\" in JSON and appended to the text")
    func compliance() throws {
        let dir = TemporaryDirectory("telemetry-compliance")
        var workload = SampleWorkload(seed: 5, defectRate: 0.1)
        let lines = (0..<2_000).map { _ in String(decoding: workload.nextLine(), as: UTF8.self) }
        let input = try dir.write("in.jsonl", lines: lines)
        let store = dir.file("store")
        _ = try TorqlogBinary.run(["--dir", store, "ingest", input]) // lines that are not objects are rejected (exit 65)
        let json = try Self.summary(store, ["--compliance"])
        let events = try #require(json["events"] as? Int)
        let report = try #require(json["compliance"] as? [String: Any])
        // Span events are outside the compliance rule: counted apart.
        let types = try #require(json["event_types"] as? [[String: Any]])
        let spans = types.filter { ["span_start", "span_end"].contains($0["event_type"] as? String ?? "") }
            .reduce(0) { $0 + ($1["events"] as? Int ?? 0) }
        #expect(report["span_events"] as? Int == spans)
        #expect(report["total_events"] as? Int == events - spans)
        let standalone = try #require(foundationObject(try TorqlogBinary.run(["compliance", "--dir", store, "--format", "json"]).stdoutText))
        #expect(report["compliant_events"] as? Int == standalone["compliant_events"] as? Int)
        #expect((report["compliant_events"] as? Int ?? 0) < events)

        let filtered = try Self.summary(store, ["--compliance", "--event-type", "tool_execution"])
        #expect((filtered["compliance"] as? [String: Any])?["total_events"] as? Int == filtered["events"] as? Int)

        let text = try TorqlogBinary.run(["telemetry", "--dir", store, "--compliance"])
        #expect(text.status == 0)
        #expect(text.stdoutText.contains("\nCompliance\ncompliance "), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("recommendations"))
    }

    @Test("an empty store prints a clear line and exits 0; a missing store is an error")
    func emptyStore() throws {
        let dir = TemporaryDirectory("telemetry-empty")
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", try dir.write("empty.jsonl", lines: [])]).status == 0)
        let text = try TorqlogBinary.run(["telemetry", "--dir", store])
        #expect(text.status == 0)
        #expect(text.stdoutText == "no events in \(store)\n")
        let json = try Self.summary(store, ["--compliance"])
        #expect(json["events"] as? Int == 0)
        #expect(json["error_rate"] is NSNull)
        #expect((json["tools"] as? [Any])?.isEmpty == true)
        #expect((json["compliance"] as? [String: Any])?["total_events"] as? Int == 0)
        let missing = try TorqlogBinary.run(["telemetry", "--dir", dir.file("nothing-here")])
        #expect(missing.status == 1)
        #expect(missing.stderrText.contains("no torqlog store here"))
    }

    @Test("text: the sections in order, empty ones left out, at most 100 columns, names escaped")
    func text() throws {
        let dir = TemporaryDirectory("telemetry-text")
        var events = AnalyticsWorkload.make(count: 3_000, seed: 2)
        events.append(AnalyticsEvent(type: "tool_execution", toolName: "bad\nname\u{1B}[31m" + String(repeating: "long", count: 40),
                                     executionMs: 3))
        let store = try Self.makeStore(dir, events)
        let result = try TorqlogBinary.run(["telemetry", "--dir", store])
        #expect(result.status == 0)
        let out = result.stdoutText
        let sections = ["Overview", "Events by type", "Tools (execution_time_ms)", "Models (tokens, response_time_ms)",
                        "Tokens by provider", "Memory (operation_time_ms)", "Routing"]
        var at = out.startIndex
        for section in sections {
            let range = try #require(out.range(of: section + "\n", range: at..<out.endIndex), "section \(section) missing or out of order:\n\(out)")
            at = range.upperBound
        }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines { #expect(line.count <= 100, "too wide (\(line.count)): \(line)") }
        #expect(!out.contains("\u{1B}"))
        #expect(out.contains("bad\\x0aname\\x1b[31mlong"))
        #expect(out.contains("(none)"))
        #expect(out.contains("ツール🔧"))
        let x = AnalyticsExpectation(events)
        #expect(out.contains("  events          \(TelemetryCommandTests.grouped(x.events))\n"))
        #expect(out.contains("  runs            \(TelemetryCommandTests.grouped(x.runs.count))\n"))

        let tools = try TorqlogBinary.run(["telemetry", "--dir", store, "--event-type", "tool_execution"])
        #expect(tools.stdoutText.contains("Tools (execution_time_ms)\n"))
        for absent in ["Models", "Tokens by provider", "Memory", "Routing"] {
            #expect(!tools.stdoutText.contains(absent + " ") && !tools.stdoutText.contains(absent + "\n"), "\(absent)")
        }
        let help = try TorqlogBinary.run(["telemetry", "--help"])
        #expect(help.stdoutText.contains("error rate") && help.stdoutText.contains("HyperLogLog"))
    }

    static func grouped(_ n: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: n)) ?? "\(n)"
    }
}
