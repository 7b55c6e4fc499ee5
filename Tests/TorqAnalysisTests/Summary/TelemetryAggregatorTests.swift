import Foundation
import Testing
import TorqTestSupport
@testable import TorqAnalysis
import TorqLogStore
import TorqTelemetry
import TorqJSON

/// `TelemetryAggregator`: every number of the summary against a count made
/// independently in the test, from the models of the events it generated.
@Suite("telemetry aggregator")
struct TelemetryAggregatorTests {
    static func summarize(_ lines: [[UInt8]], limits: TelemetryAggregator.Limits = .init()) throws -> TelemetrySummary {
        var aggregator = try TelemetryAggregator(limits: limits)
        for line in lines { line.withUnsafeBytes { aggregator.add(json: $0) } }
        return aggregator.summary()
    }

    static func summarize(_ lines: [String], limits: TelemetryAggregator.Limits = .init()) throws -> TelemetrySummary {
        try summarize(lines.map { Array($0.utf8) }, limits: limits)
    }

    static func key(_ name: String?) -> String { name ?? AnalyticsExpectation.none }

    /// Checks `summary` against the expectation computed from the same events.
    static func check(_ s: TelemetrySummary, _ x: AnalyticsExpectation) {
        #expect(s.events == x.events)
        #expect(s.runs == DistinctCount(value: x.runs.count, isExact: true))
        #expect(s.sessions == DistinctCount(value: x.sessions.count, isExact: true))
        #expect(s.eventsWithoutRunID == x.withoutRun)
        #expect(s.eventsWithoutSessionID == x.withoutSession)
        #expect(s.eventsWithoutTimestamp == x.withoutTimestamp)
        #expect(s.firstTimestamp == x.first)
        #expect(s.lastTimestamp == x.last)
        #expect(s.eventsWithStatus == x.withStatus)
        #expect(s.errors == x.errors)

        #expect(Set(s.eventTypes.map { key($0.name) }) == Set(x.types.keys))
        for row in s.eventTypes {
            #expect(AnalyticsExpectation.Counts(count: row.events, withStatus: row.eventsWithStatus, errors: row.errors)
                    == x.types[key(row.name)], "event type \(key(row.name))")
        }
        #expect(s.eventTypes.map(\.events) == s.eventTypes.map(\.events).sorted(by: >))

        #expect(Set(s.tools.map { key($0.name) }) == Set(x.tools.keys))
        for row in s.tools {
            let name = key(row.name)
            #expect(AnalyticsExpectation.Counts(count: row.calls, withStatus: row.callsWithStatus, errors: row.errors) == x.tools[name], "tool \(name)")
            checkDurations(row.executionTime, x.toolDurations[name], "tool \(name)")
        }
        #expect(s.tools.map(\.calls) == s.tools.map(\.calls).sorted(by: >))

        #expect(Set(s.models.map { AnalyticsExpectation.pair($0.provider, $0.model) }) == Set(x.models.keys))
        for row in s.models {
            let name = AnalyticsExpectation.pair(row.provider, row.model)
            #expect(AnalyticsExpectation.Counts(count: row.calls, withStatus: row.callsWithStatus, errors: row.errors) == x.models[name], "model \(name)")
            #expect(AnalyticsExpectation.Tokens(calls: row.calls, prompt: row.promptTokens, completion: row.completionTokens, total: row.totalTokens)
                    == x.modelTokens[name], "model \(name)")
            checkDurations(row.responseTime, x.modelDurations[name], "model \(name)")
        }

        #expect(Set(s.providers.map { key($0.provider) }) == Set(x.providers.keys))
        for row in s.providers {
            #expect(AnalyticsExpectation.Tokens(calls: row.calls, prompt: row.promptTokens, completion: row.completionTokens, total: row.totalTokens)
                    == x.providers[key(row.provider)], "provider \(key(row.provider))")
        }

        #expect(Set(s.memory.map { AnalyticsExpectation.pair($0.memoryType, $0.operationType) }) == Set(x.memory.keys))
        for row in s.memory {
            let name = AnalyticsExpectation.pair(row.memoryType, row.operationType)
            #expect(AnalyticsExpectation.Counts(count: row.operations, withStatus: row.operationsWithStatus, errors: row.errors) == x.memory[name])
            let cache = x.memoryCache[name] ?? (0, 0)
            #expect(row.cacheHits == cache.hits && row.cacheKnown == cache.known, "memory \(name)")
            checkDurations(row.operationTime, x.memoryDurations[name], "memory \(name)")
        }

        #expect(Set(s.routing.map { key($0.strategy) }) == Set(x.routing.keys))
        for row in s.routing {
            let expected = x.routing[key(row.strategy)] ?? (0, 0, 0)
            #expect(row.decisions == expected.decisions && row.scoredDecisions == expected.scored)
            if expected.scored > 0 {
                #expect(abs((row.meanConfidence ?? -1) - expected.sum / Double(expected.scored)) < 1e-9)
            } else {
                #expect(row.meanConfidence == nil)
            }
        }
        #expect(s.invalidFields.isEmpty, "\(s.invalidFields)")
    }

    static func checkDurations(_ stats: DurationStats?, _ values: [Double]?, _ label: String) {
        guard let values, !values.isEmpty else {
            #expect(stats == nil, "\(label): no durations expected")
            return
        }
        guard let stats else {
            Issue.record("\(label): durations missing")
            return
        }
        #expect(stats.count == values.count, "\(label)")
        #expect(stats.min == values.min() && stats.max == values.max(), "\(label)")
        #expect(abs(stats.mean - values.reduce(0, +) / Double(values.count)) < 1e-6, "\(label)")
        for (p, actual) in [(50.0, stats.p50), (95.0, stats.p95), (99.0, stats.p99)] {
            let exact = AnalyticsExpectation.percentile(values, p)
            #expect(AnalyticsExpectation.close(actual, exact), "\(label) p\(Int(p))")
        }
    }

    @Test("every field the aggregator reads is found by its key, and no other key is")
    func fieldKeys() {
        for field in SummaryField.allCases {
            let bytes = Array(field.name.utf8)
            #expect(bytes.withUnsafeBytes { SummaryField.named($0.baseAddress!, length: $0.count) } == field, "\(field)")
        }
        for key in EventField.allCases.map(\.key) where !SummaryField.allCases.contains(where: { $0.name == key }) {
            let bytes = Array(key.utf8)
            #expect(bytes.withUnsafeBytes { SummaryField.named($0.baseAddress!, length: $0.count) } == nil, "\(key)")
        }
    }

    @Test("a generated mix of 20,000 events: every count, token sum, rate and percentile")
    func generatedMix() throws {
        let events = AnalyticsWorkload.make(count: 20_000)
        let summary = try Self.summarize(events.map(\.json))
        #expect(summary.records == 20_000)
        #expect(summary.unparsable == 0)
        Self.check(summary, AnalyticsExpectation(events))
        // The generator's unicode names come through decoded.
        #expect(summary.tools.contains { $0.name == "ツール🔧" })
        #expect(summary.tools.contains { $0.name == "naïve \"quoted\" tool" })
        #expect(summary.models.contains { $0.model == "模型-1" })
        #expect(summary.eventTypes.contains { $0.name == "custom_événement" })
    }

    @Test("events of SampleWorkload, as the library encodes them, against their typed values")
    func sampleWorkload() throws {
        var workload = SampleWorkload(seed: 42)
        var lines: [[UInt8]] = []
        var models: [AnalyticsEvent] = []
        for _ in 0..<5_000 {
            let event = workload.nextEvent()
            var bytes: [UInt8] = []
            event.encodeJSON(into: &bytes)
            lines.append(bytes)
            let h = event.header
            var m = AnalyticsEvent(type: event.eventType.rawValue, runID: h.runID, sessionID: h.sessionID, timestamp: h.timestamp)
            switch event {
            case .agentRun(let e): m.status = e.status.rawValue
            case .toolExecution(let e):
                m.status = e.status.rawValue; m.success = e.success; m.toolName = e.toolName; m.executionMs = e.executionTimeMs
            case .modelInteraction(let e):
                m.success = e.success; m.provider = e.modelProvider.rawValue; m.model = e.modelName
                m.prompt = e.promptTokens; m.completion = e.completionTokens; m.total = e.totalTokens; m.responseMs = e.responseTimeMs
            case .memoryOperation(let e):
                m.success = e.success; m.memoryType = e.memoryType; m.operation = e.operationType
                m.cacheHit = e.cacheHit; m.operationMs = e.operationTimeMs
            case .routingDecision(let e):
                m.strategy = e.routingStrategy; m.confidence = e.confidenceScore
            case .spanStart, .spanEnd:
                break
            }
            models.append(m)
        }
        let summary = try Self.summarize(lines)
        Self.check(summary, AnalyticsExpectation(models))
        #expect(summary.errors > 0) // the workload fails one run in seven
    }

    @Test("hand-made edge cases: wrong types, missing fields, unknown types, duplicates, records that are not objects")
    func edgeCases() throws {
        var lines: [[UInt8]] = [
            #"{"event_type":"tool_execution","tool_name":"ツール🔧","status":"FAILED","execution_time_ms":12.5,"session_id":"s1","run_id":"r1","timestamp":"2026-03-01T12:00:00Z"}"#,
            #"{"event_type":"tool_execution","tool_name":"ツール🔧","success":true,"execution_time_ms":"fast","timestamp":"yesterday"}"#,
            #"{"event_type":"tool_execution","status":5,"execution_time_ms":-3}"#,
            #"{"event_type":"model_interaction","model_provider":"anthropic","model_name":"claude","prompt_tokens":2.5,"completion_tokens":10,"total_tokens":-1,"response_time_ms":null,"success":"no"}"#,
            #"{"event_type":"routing_decision","routing_strategy":"llm","confidence_score":1.5}"#,
            #"{"event_type":"routing_decision","routing_strategy":"llm","confidence_score":1}"#,
            #"{"event_type":"custom_type","status":"Timeout"}"#,
            #"{"event_type":7,"session_id":["x"]}"#,
            "{}",
            #"{"event_type":"memory_operation","memory_type":"épisodique","operation_type":"read","cache_hit":"yes","operation_time_ms":0}"#,
            "{",
            "[1, 2]",
            #""just a string""#,
            "",
            #"{"a":1} {"b":2}"#,
            #"{"event_type":"agent_run","status":"failed","status":"completed"}"#,
        ].map { Array($0.utf8) }
        lines.append([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) // {"\xFF":1}
        let s = try Self.summarize(lines)

        #expect(s.records == 17)
        #expect(s.events == 11)
        #expect(s.unparsable == 6)
        #expect(s.unparsableReasons == ["invalid JSON": 2, "not a JSON object": 2, "empty": 1, "invalid UTF-8": 1])
        #expect(s.invalidFields == ["execution_time_ms": 2, "timestamp": 1, "status": 1, "prompt_tokens": 1, "total_tokens": 1,
                                    "success": 1, "confidence_score": 1, "event_type": 1, "session_id": 1, "cache_hit": 1])
        #expect(s.eventsWithStatus == 4)
        #expect(s.errors == 3)
        #expect(s.errorRate == 0.75)
        #expect(s.runs == DistinctCount(value: 1, isExact: true))
        #expect(s.sessions == DistinctCount(value: 1, isExact: true))
        #expect(s.eventsWithoutRunID == 10)
        #expect(s.eventsWithoutSessionID == 10)
        #expect(s.eventsWithoutTimestamp == 10)
        let noon = RFC3339.parseNanoseconds("2026-03-01T12:00:00Z")
        #expect(s.firstTimestamp == noon && s.lastTimestamp == noon)

        let types = Dictionary(uniqueKeysWithValues: s.eventTypes.map { (Self.key($0.name), $0) })
        #expect(types.count == 7)
        #expect(types["tool_execution"].map { [$0.events, $0.eventsWithStatus, $0.errors] } == [3, 2, 1])
        #expect(types["routing_decision"]?.events == 2)
        #expect(types["custom_type"].map { [$0.events, $0.eventsWithStatus, $0.errors] } == [1, 1, 1])
        #expect(types["agent_run"].map { [$0.events, $0.eventsWithStatus, $0.errors] } == [1, 1, 1]) // the first "status" counts
        #expect(types[AnalyticsExpectation.none]?.events == 2)
        #expect(types["custom_type"]?.errorRate == 1)
        #expect(types["routing_decision"]?.errorRate == nil)

        #expect(s.tools.count == 2)
        let tool = try #require(s.tools.first { $0.name == "ツール🔧" })
        #expect([tool.calls, tool.callsWithStatus, tool.errors] as [Int] == [2, 2, 1])
        #expect(tool.executionTime.map { [Double($0.count), $0.min, $0.max, $0.p50, $0.p99] } == [1, 12.5, 12.5, 12.5, 12.5])
        let unnamed = try #require(s.tools.first { $0.name == nil })
        #expect(unnamed.calls == 1 && unnamed.executionTime == nil && unnamed.errorRate == nil)

        let model = try #require(s.models.first)
        #expect(s.models.count == 1 && model.provider == "anthropic" && model.model == "claude")
        #expect([model.calls, model.promptTokens, model.completionTokens, model.totalTokens] as [Int] == [1, 0, 10, 10])
        #expect(model.responseTime == nil)
        #expect(s.providers.map(\.totalTokens) == [10])

        let strategy = try #require(s.routing.first)
        #expect(s.routing.count == 1 && strategy.strategy == "llm")
        #expect(strategy.decisions == 2 && strategy.scoredDecisions == 1 && strategy.meanConfidence == 1)

        let memory = try #require(s.memory.first)
        #expect(memory.memoryType == "épisodique" && memory.operationType == "read" && memory.operations == 1)
        #expect(memory.cacheKnown == 0 && memory.cacheHitRate == nil)
        #expect(memory.operationTime.map { [$0.p50, $0.p95, $0.p99, $0.max] } == [0, 0, 0, 0])
    }

    @Test("errors: error, failed, failure, timeout in any case, or success false; over events with a status or success")
    func statusDefinition() throws {
        let cases: [(status: String?, success: String?, error: Bool, counted: Bool)] = [
            ("error", nil, true, true), ("ERROR", nil, true, true), ("Failed", nil, true, true), ("FAILURE", nil, true, true),
            ("TimeOut", nil, true, true), ("completed", nil, false, true), ("errors", nil, false, true), ("fail", nil, false, true),
            ("", nil, false, true), ("completed", "false", true, true), ("failed", "true", true, true), (nil, "false", true, true),
            (nil, "true", false, true), (nil, nil, false, false), (nil, "0", false, false), ("ＥＲＲＯＲ", nil, false, true),
        ]
        for c in cases {
            var fields = [#""event_type":"tool_execution""#]
            if let status = c.status { fields.append(#""status":"# + AnalyticsEvent.quoted(status)) }
            if let success = c.success { fields.append(#""success":"# + success) }
            let s = try Self.summarize(["{" + fields.joined(separator: ",") + "}"])
            #expect(s.errors == (c.error ? 1 : 0), "\(c)")
            #expect(s.eventsWithStatus == (c.counted ? 1 : 0), "\(c)")
            #expect(s.tools.first?.errors == s.errors)
        }
    }

    @Test("bounded tables: names past the limit add up in (other); distinct ids past the limit are estimated")
    func limits() throws {
        var lines: [String] = []
        for i in 0..<10 {
            for _ in 0...i {
                lines.append(#"{"event_type":"tool_execution","tool_name":"t\#(i)","execution_time_ms":\#(i + 1),"status":"failed"}"#)
            }
        }
        for i in 0..<5 { lines.append(#"{"event_type":"type-\#(i)","session_id":"s\#(i % 30)"}"#) }
        for i in 0..<5_000 { lines.append(#"{"event_type":"agent_run","run_id":"run-\#(i)","session_id":"s\#(i % 30)"}"#) }
        let s = try Self.summarize(lines, limits: .init(timedNames: 3, countedNames: 2, exactDistinct: 50))

        #expect(s.tools.count == 4)
        let named = s.tools.filter { !$0.isOther }
        #expect(Set(named.compactMap(\.name)) == ["t0", "t1", "t2"])
        let other = try #require(s.tools.first { $0.isOther })
        #expect(other.name == nil)
        #expect(other.calls == (4...10).reduce(0, +))
        #expect(other.errors == other.calls)
        #expect(other.executionTime?.count == other.calls && other.executionTime?.max == 10 && other.executionTime?.min == 4)
        #expect(s.tools.first?.isOther == true) // the biggest row comes first

        // tool_execution and type-0 get rows; type-1…type-4 and agent_run add up in (other).
        #expect(s.eventTypes.count == 3)
        #expect(s.eventTypes.first { $0.isOther }?.events == 4 + 5_000)

        #expect(!s.runs.isExact)
        #expect(abs(Double(s.runs.value) - 5_000) <= 5_000 * 0.03, "\(s.runs.value)")
        #expect(s.sessions == DistinctCount(value: 30, isExact: true))

        let json = try #require(foundationObject(s.json(pretty: false)))
        let tools = try #require(json["tools"] as? [[String: Any]])
        #expect(tools.filter { $0["other"] as? Bool == true }.map { $0["tool_name"] as? String } == ["(other)"])
        #expect((json["runs"] as? [String: Any])?["exact"] as? Bool == false)
    }

    @Test("names are cut to 256 bytes at a UTF-8 boundary; names equal up to there share a row")
    func longNames() throws {
        let accents = String(repeating: "é", count: 150) // 300 bytes
        let almost = String(repeating: "a", count: 255) + "é" // 257 bytes: é straddles the cut
        let s = try Self.summarize([
            #"{"event_type":"tool_execution","tool_name":"\#(accents)x"}"#,
            #"{"event_type":"tool_execution","tool_name":"\#(accents)y"}"#,
            #"{"event_type":"tool_execution","tool_name":"\#(almost)"}"#,
        ])
        #expect(s.tools.count == 2)
        #expect(s.tools.first?.name == String(repeating: "é", count: 128) + "…")
        #expect(s.tools.first?.calls == 2)
        #expect(s.tools.last?.name == String(repeating: "a", count: 255) + "…")
    }

    @Test("hostile values: huge durations and token counts saturate, large events parse, nothing traps")
    func hostileValues() throws {
        let big = String(repeating: "x", count: 300_000)
        let s = try Self.summarize([
            #"{"event_type":"tool_execution","tool_name":"t","execution_time_ms":1e300}"#,
            #"{"event_type":"tool_execution","tool_name":"t","execution_time_ms":18446744073709551615}"#,
            #"{"event_type":"tool_execution","tool_name":"t","execution_time_ms":0.0004}"#,
            #"{"event_type":"model_interaction","model_provider":"p","prompt_tokens":1e19,"completion_tokens":18446744073709551615}"#,
            #"{"event_type":"model_interaction","model_provider":"p","prompt_tokens":9223372036854775807,"total_tokens":1}"#,
            #"{"event_type":"tool_execution","tool_name":"t","note":"\#(big)","execution_time_ms":5}"#,
            #"{"event_type":"tool_execution","tool_name":"\#(big)"}"#,
        ])
        #expect(s.unparsable == 0)
        let t = try #require(s.tools.first { $0.name == "t" })
        #expect(t.calls == 4)
        let d = try #require(t.executionTime)
        #expect(d.count == 4 && d.max == 1e300 && d.min == 0.0004)
        #expect(abs(d.p50 - 5) <= 0.05) // 0.0004, 5, 1.8e19, 1e300: the second of four, within 1%
        #expect(d.p99 <= d.max && d.p99 >= 68_719_476) // clamped at 2^36 µs in the histogram
        #expect(s.tools.contains { $0.name?.hasSuffix("…") == true && $0.name?.utf8.count == 256 + 3 })
        let p = try #require(s.providers.first)
        #expect(p.promptTokens == Int.max && p.completionTokens == Int.max)
        #expect(p.totalTokens == Int.max)
    }

    @Test("an empty aggregator: zeros, no rates, empty tables")
    func empty() throws {
        let s = try Self.summarize([String]())
        #expect(s.records == 0 && s.events == 0 && s.unparsable == 0)
        #expect(s.errorRate == nil && s.firstTimestamp == nil)
        #expect(s.runs == DistinctCount(value: 0, isExact: true))
        #expect(s.eventTypes.isEmpty && s.tools.isEmpty && s.models.isEmpty && s.memory.isEmpty && s.routing.isEmpty)
        let json = try #require(foundationObject(s.json()))
        #expect(json["events"] as? Int == 0)
        #expect(json["error_rate"] is NSNull)
        #expect(json["first_timestamp"] is NSNull)
    }

    @Test("JSON: the documented keys in order, valid pretty and compact, with the compliance report spliced in")
    func json() throws {
        let events = AnalyticsWorkload.make(count: 500, seed: 3)
        let lines = events.map(\.json)
        let s = try Self.summarize(lines)
        let keys = ["records", "events", "unparsable", "unparsable_reasons", "runs", "sessions", "events_without_run_id",
                    "events_without_session_id", "first_timestamp", "last_timestamp", "events_without_timestamp",
                    "events_with_status", "errors", "error_rate", "event_types", "tools", "models", "tokens_by_provider",
                    "memory", "routing", "invalid_fields"]
        let pretty = s.json()
        var at = pretty.startIndex
        for key in keys {
            let range = try #require(pretty.range(of: "\n  \"\(key)\": ", range: at..<pretty.endIndex), "\(key)")
            at = range.upperBound
        }
        let object = try #require(foundationObject(pretty))
        #expect(object["events"] as? Int == 500)
        let tools = try #require(object["tools"] as? [[String: Any]])
        let first = try #require(tools.first)
        #expect(first["tool_name"] != nil && first["calls"] as? Int == s.tools.first?.calls)
        let durations = try #require(first["execution_time_ms"] as? [String: Any])
        #expect(Set(durations.keys) == ["count", "mean", "min", "max", "p50", "p95", "p99"])
        #expect(tools.contains { $0["tool_name"] is NSNull }) // missing names are null

        let report = try ComplianceScanner().report(jsonLines: lines.map { Array($0.utf8) })
        for pretty in [true, false] {
            let withReport = try #require(foundationObject(s.json(pretty: pretty, compliance: report)), "pretty: \(pretty)")
            let compliance = try #require(withReport["compliance"] as? [String: Any])
            #expect(compliance["total_events"] as? Int == 500)
            #expect(withReport["events"] as? Int == 500)
        }
    }
}
