import Foundation
import Testing
import TorqTestSupport
@testable import TorqEvents
import TorqLogStore
import TorqTelemetry
import TorqJSON

@Suite("Event encoder")
struct EncoderTests {
    static let time: Int64 = 1_772_366_400_123_456_000 // 2026-03-01T12:00:00.123456Z

    static func header(_ id: String = "evt-1", session: String = "sess-1", run: String? = "run-1") -> EventHeader {
        EventHeader(eventID: id, timestamp: time, sessionID: session, runID: run)
    }

    static let ids: (TraceID, SpanID, SpanID) = {
        var generator = SeededGenerator(seed: 7)
        return (TraceID.random(using: &generator), SpanID.random(using: &generator), SpanID.random(using: &generator))
    }()

    static let samples: [AnyTelemetryEvent] = [
        .agentRun(AgentRunEvent(header: header(), agentName: "code_generation_agent", agentType: "marvin_agent", status: .completed,
                                userQuery: "Generate a REST API endpoint", confidenceScore: 0.92, toolsUsed: ["file_writer", "web_search"], totalTokens: 350)),
        .toolExecution(ToolExecutionEvent(header: header(), toolName: "file_writer", toolType: .write, status: .completed,
                                          executionTimeMs: 150, success: true)),
        .modelInteraction(ModelInteractionEvent(header: header(), modelProvider: .anthropic, modelName: "claude-3-5-sonnet", promptTokens: 200,
                                                responseTimeMs: 1200.5, totalTokens: 350, completionTokens: 150, success: true)),
        .memoryOperation(MemoryOperationEvent(header: header(), memoryType: "episodic", memoryBackend: "redis", operationType: "read",
                                              operationTimeMs: 3.25, success: true, cacheHit: false)),
        .routingDecision(RoutingDecisionEvent(header: header(), query: "Why did the build fail?", selectedAgent: "research_agent",
                                              routingStrategy: "semantic", confidenceScore: 0.8, routingTimeMs: 12, candidateAgents: ["a", "b"])),
        .spanStart(SpanStartEvent(header: header(run: nil), traceID: ids.0, spanID: ids.1, name: "invoke_agent research_agent", kind: "internal")),
        .spanEnd(SpanEndEvent(header: header(run: nil), traceID: ids.0, spanID: ids.1, parentSpanID: ids.2,
                              name: "invoke_agent research_agent", status: "ok", durationMs: 812.5)),
    ]

    static func bytes(_ event: AnyTelemetryEvent) -> [UInt8] {
        var out: [UInt8] = []
        event.encodeJSON(into: &out)
        return out
    }

    @Test("every event type encodes to a JSON object with its fields", arguments: samples)
    func encodesEveryType(_ event: AnyTelemetryEvent) throws {
        let text = String(decoding: Self.bytes(event), as: UTF8.self)
        #expect(!text.contains("\n"))
        let object = try #require(foundationObject(text), "not JSON: \(text)")
        #expect(object["event_type"] as? String == event.eventType.rawValue)
        #expect(object["event_id"] as? String == "evt-1")
        #expect(object["timestamp"] as? String == "2026-03-01T12:00:00.123456Z")
        #expect(object["session_id"] as? String == "sess-1")
        let schema = try #require(EventSchema.named(event.eventType))
        for field in schema.requiredFields {
            #expect(object[field.name] != nil, "\(field.name) missing in \(text)")
        }
        if case .modelInteraction = event {
            #expect(object["prompt_tokens"] as? Int == 200)
            #expect(object["response_time_ms"] as? Double == 1200.5)
        }
        if case .spanEnd = event {
            #expect(object["trace_id"] as? String == Self.ids.0.description)
            #expect(object["span_id"] as? String == Self.ids.1.description)
            #expect(object["parent_span_id"] as? String == Self.ids.2.description)
        }
    }

    @Test("the five types as encoded are compliant")
    func encodedIsCompliant() throws {
        var validator = try EventValidator()
        for event in Self.samples where EventType.complianceTypes.contains(event.eventType) {
            let result = validator.validate(json: Self.bytes(event))
            #expect(result.isCompliant, "\(result.issues)")
            #expect(result.fieldScore == 1)
            #expect(result.recommendationIssues.isEmpty)
        }
    }

    @Test("decoding what was encoded gives the same event", arguments: samples)
    func roundTrip(_ event: AnyTelemetryEvent) throws {
        let decoded = try AnyTelemetryEvent(json: Self.bytes(event))
        #expect(decoded == event)
        #expect(Self.bytes(decoded) == Self.bytes(event))
    }

    @Test("unknown fields, unknown enumeration values and misfit optional fields survive a round trip")
    func unknownFieldsRoundTrip() throws {
        let text = #"{"event_id":"e","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","#
            + #""tool_name":"t","tool_type":"quantum_teleport","status":"mostly_ok","success":"yes","run_id":7,"#
            + #""x_nested":{"a":[1,2.5,{"b":null}],"c":"日本"},"x_flag":true,"attributes":{"k":"v","n":3}}"#
        let event = try AnyTelemetryEvent(json: text)
        guard case .toolExecution(let tool) = event else {
            Issue.record("decoded as \(event.eventType)")
            return
        }
        #expect(tool.toolType.rawValue == "quantum_teleport")
        #expect(tool.status.rawValue == "mostly_ok")
        #expect(tool.success == nil)
        #expect(tool.header.runID == nil)
        #expect(tool.header.extraFields["success"] == .string("yes"))
        #expect(tool.header.extraFields["run_id"] == .int(7))
        #expect(tool.header.attributes["n"] == .int(3))
        let original = try #require(foundationObject(text))
        let again = try #require(foundationObject(tool.jsonString()))
        // Same content; the timestamp is re-written with microseconds.
        let expected = NSMutableDictionary(dictionary: original)
        expected["timestamp"] = "2026-03-01T12:00:00.000000Z"
        #expect(NSDictionary(dictionary: again) == expected)
    }

    @Test("decoding errors are typed, with the field")
    func decodingErrors() {
        func kind(_ text: String) -> EventDecodingError.Kind? {
            do {
                _ = try AnyTelemetryEvent(json: text)
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(kind("{") == .invalidJSON)
        #expect(kind("[1]") == .notAnObject)
        #expect(kind(#"{"event_type":"nope"}"#) == .unknownEventType)
        #expect(kind(#"{"event_type":"agent_run","event_id":"e","timestamp":"2026-03-01T12:00:00Z","session_id":"s"}"#) == .missingField)
        #expect(kind(#"{"event_type":"model_interaction","event_id":"e","timestamp":"2026-03-01T12:00:00Z","session_id":"s","model_provider":"p","model_name":"m","prompt_tokens":"many","response_time_ms":1}"#) == .invalidField)
        #expect(kind(#"{"event_type":"agent_run","event_id":"e","timestamp":"yesterday","session_id":"s","agent_name":"a","agent_type":"t","status":"s"}"#) == .invalidField)
    }

    @Test("timestamps: microseconds, or nanoseconds when needed; the same instant as RFC3339.format")
    func timestamps() throws {
        for ns: Int64 in [0, 1, 999, 1_000, 1_772_366_400_000_000_000, 1_772_366_400_123_456_789, -1, -1_000_000_001, 4_102_444_800_000_000_000] {
            var header = Self.header()
            header.timestamp = ns
            let event = ToolExecutionEvent(header: header, toolName: "t", toolType: .read, status: .completed)
            let stamp = try #require(foundationObject(event.jsonString())?["timestamp"] as? String)
            #expect(RFC3339.parseNanoseconds(stamp) == ns, "\(ns) -> \(stamp)")
            if ns % 1000 == 0 { #expect(stamp == RFC3339.format(nanoseconds: ns, fractionDigits: 6)) }
        }
    }

    @Test("numbers: integral values as integers, non-finite as null, extremes valid JSON")
    func numbers() throws {
        let values: [Double] = [0, -0.0, 1, 1200, 0.1, 1e-7, 123456.789, 1e16, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .nan, .infinity, -.infinity, 9_007_199_254_740_992, -12.75]
        for v in values {
            let event = ModelInteractionEvent(header: Self.header(), modelProvider: .openAI, modelName: "m", promptTokens: Int.max,
                                              responseTimeMs: v, totalTokens: Int.min, completionTokens: 0)
            let object = try #require(foundationObject(event.jsonString()), "\(v): \(event.jsonString())")
            if v.isFinite {
                #expect((object["response_time_ms"] as? NSNumber)?.doubleValue == v, "\(v)")
            } else {
                #expect(object["response_time_ms"] is NSNull)
            }
            #expect((object["prompt_tokens"] as? NSNumber)?.int64Value == Int64.max)
            #expect((object["total_tokens"] as? NSNumber)?.int64Value == Int64.min)
        }
        let integral = ToolExecutionEvent(header: Self.header(), toolName: "t", toolType: .read, status: .completed, executionTimeMs: 150)
        #expect(integral.jsonString().contains(#""execution_time_ms":150,"#) || integral.jsonString().contains(#""execution_time_ms":150}"#))
    }

    @Test("strings: a fuzzed corpus of text comes back exactly after encoding and parsing")
    func fuzzedStrings() throws {
        var rng = SeededGenerator(seed: 0xF022)
        let pieces: [String] = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "/", "\u{2028}", "\u{2029}", "é", "日本語",
                                "🚀", "👩‍💻", "e\u{301}", "\u{FEFF}", "\u{10FFFF}", "\\u0000", "</script>", "'", "{}", "[]", ",", ":"]
        var validator = try EventValidator()
        for round in 0..<2_000 {
            var text = ""
            let parts = Int(rng.next() % 12)
            for _ in 0..<parts {
                if rng.next() % 3 == 0 {
                    text += pieces[Int(rng.next() % UInt64(pieces.count))]
                } else {
                    let scalar = UInt32(rng.next() % 0x3_0000)
                    if let u = Unicode.Scalar(scalar) { text.unicodeScalars.append(u) }
                    text += String(repeating: "a", count: Int(rng.next() % 20))
                }
            }
            if round % 500 == 0 { text += String(repeating: "\"\\\u{1}x", count: 50_000) } // huge and all escapes
            var header = Self.header(text, session: text, run: text)
            header.attributes = [text: .string(text), "n": .array([.int(1), .double(2.5), .null, .bool(true), .object([text: .string(text)])])]
            header.extraFields = ["x_" + text: .string(text)]
            let event = RoutingDecisionEvent(header: header, query: text, selectedAgent: text, routingStrategy: text, confidenceScore: 0.5,
                                             candidateAgents: [text, text])
            let json = event.jsonString()
            #expect(!json.utf8.contains(0x0A))
            // Foundation on Linux drops some U+FEFF while parsing (the bytes are there, see
            // the exact checks below): compare without them.
            let object = try #require(foundationObject(json), "round \(round): not JSON: \(json.prefix(200))")
            func plain(_ s: String?) -> String? { s.map { String($0.unicodeScalars.filter { $0 != "\u{FEFF}" }) } }
            let key = object.keys.first { plain($0) == plain("x_" + text) }
            #expect(plain(object["query"] as? String) == plain(text))
            #expect(plain(object["event_id"] as? String) == plain(text))
            #expect(plain(key.flatMap { object[$0] as? String }) == plain(text))
            #expect((object["candidate_agents"] as? [String])?.map { plain($0) } == [plain(text), plain(text)])
            // simdjson agrees it is one valid object, and compliant.
            #expect(validator.validate(json: Array(json.utf8)).isCompliant)
            // And our own decoder gives the event back.
            #expect(try AnyTelemetryEvent(json: json) == .routingDecision(event))
        }
    }

    @Test("encoding many events: byte-identical to encoding each alone (the measured loop, untimed)")
    func encodeLoop() {
        var workload = SampleWorkload(seed: 1)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var total = 0
        for _ in 0..<20_000 {
            let event = workload.nextEvent()
            buffer.removeAll(keepingCapacity: true)
            event.encodeJSON(into: &buffer)
            total += buffer.count
            #expect(buffer == Self.bytes(event))
        }
        #expect(total > 20_000 * 200)
    }
}

/// SplitMix64 for deterministic test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
