import Foundation
import SwiftProtobuf
import Testing
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqOTLPProto
@testable import TorqOTLP

@Suite("OTLP log records become events; exported events come back as themselves")
struct LogMappingTests {
    typealias F = OTLPFixtures

    static func log(name: String = "", attributes: [(String, F.Value)] = [], body: String? = "hello", time: UInt64 = F.start,
                    observed: UInt64 = 0, span: [UInt8] = [], trace: [UInt8] = [],
                    severity: Opentelemetry_Proto_Logs_V1_SeverityNumber = .info) -> Opentelemetry_Proto_Logs_V1_LogRecord {
        var record = Opentelemetry_Proto_Logs_V1_LogRecord()
        record.eventName = name
        record.attributes = F.keyValues(attributes)
        if let body { record.body = F.anyValue(.string(body)) }
        record.timeUnixNano = time
        record.observedTimeUnixNano = observed
        record.traceID = Data(trace)
        record.spanID = Data(span)
        record.severityNumber = severity
        return record
    }

    @Test("store → OTLP export → receiver gives back exactly the stored events, field for field, ints and doubles kept")
    func exportedEventsRoundTrip() throws {
        // Events with and without trace ids. The export writes ids as hex, which
        // SwiftProtobuf's JSON reads as base64: the test converts them to base64
        // first (a receiver of the export's JSON files would need the same).
        let trace = TraceID(hex: F.traceHex)!, span = SpanID(hex: F.spanHex)!
        let events: [AnyTelemetryEvent] = [
            .modelInteraction(ModelInteractionEvent(
                header: EventHeader(eventID: "e-1", timestamp: 1_767_225_600_123_456_000, sessionID: "s", runID: "r",
                                    traceID: trace, spanID: span, attributes: ["temperature": 0.25, "n": 3, "tags": ["a", "b"]]),
                modelProvider: .anthropic, modelName: "claude", promptTokens: 10, responseTimeMs: 812.5, totalTokens: 15,
                completionTokens: 5, success: true)),
            .toolExecution(ToolExecutionEvent(
                header: EventHeader(eventID: "e-2", timestamp: 1_767_225_601_000_000_001, sessionID: "s"),
                toolName: "grep", toolType: .search, status: .failed, executionTimeMs: 40, success: false)),
            .agentRun(AgentRunEvent(
                header: EventHeader(eventID: "e-3", timestamp: 1_767_225_602_000_000_000, sessionID: "s", runID: "r",
                                    extraFields: ["custom_top": .object(["deep": .null])]),
                agentName: "helper", agentType: "react", status: .completed, userQuery: "what?", confidenceScore: 0.9,
                toolsUsed: ["grep"], totalTokens: 99)),
            .memoryOperation(MemoryOperationEvent(
                header: EventHeader(eventID: "e-4", timestamp: 1_767_225_603_000_000_000, sessionID: "s2"),
                memoryType: "episodic", memoryBackend: "redis", operationType: "search", operationTimeMs: 1.5, success: true, cacheHit: false)),
            .routingDecision(RoutingDecisionEvent(
                header: EventHeader(eventID: "e-5", timestamp: 1_767_225_604_000_000_000, sessionID: "s"),
                query: "route me", selectedAgent: "a", routingStrategy: "llm", confidenceScore: 1, routingTimeMs: 2, candidateAgents: ["a", "b"])),
        ]
        var encoder = OTLPJSONEncoder(options: .init(includeContent: true))
        for event in events {
            var bytes: [UInt8] = []
            event.encodeJSON(into: &bytes)
            try encoder.add(json: String(decoding: bytes, as: UTF8.self))
        }
        encoder.finish()
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        var mapped: [MappedRecord] = []
        for line in encoder.takeLines() {
            let request = try Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest(jsonString: Self.base64IDs(line), options: options)
            let result = OTLPLogMapper().map(request)
            #expect(result.rejected == 0, "\(result.rejectionMessage)")
            for item in result.items {
                #expect(item.onClose.isEmpty)
                #expect(item.firstSight.count == 1, "an exported typed event gives no second typed event")
                mapped += item.firstSight
            }
        }
        #expect(mapped.count == events.count)
        for event in events {
            var original: [UInt8] = []
            event.encodeJSON(into: &original)
            let id = event.header.eventID
            guard let back = try mapped.first(where: { try F.event($0).header.eventID == id }) else {
                Issue.record("\(id) not mapped back")
                continue
            }
            #expect(try F.event(back) == event, "\(id)")
            let originalObject = try F.object(MappedRecord(payload: original, runKey: nil, type: "", time: 0))
            #expect(try F.object(back) == originalObject, "\(id): values and their JSON types")
            #expect(back.type == event.eventType.rawValue)
            #expect(back.runKey == event.header.runID)
            #expect(back.time == event.header.timestamp)
        }
    }

    /// The export's hex `traceId`/`spanId` as the base64 that protobuf JSON expects.
    static func base64IDs(_ line: String) throws -> String {
        let pattern = try NSRegularExpression(pattern: "\"(traceId|spanId|parentSpanId)\":\"([0-9a-f]+)\"")
        var out = line
        for match in pattern.matches(in: line, range: NSRange(line.startIndex..., in: line)).reversed() {
            let name = String(line[Range(match.range(at: 1), in: line)!])
            let hex = Array(line[Range(match.range(at: 2), in: line)!].utf8)
            var bytes: [UInt8] = []
            for i in stride(from: 0, to: hex.count, by: 2) { bytes.append(UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16)!) }
            out.replaceSubrange(Range(match.range, in: out)!, with: "\"\(name)\":\"\(Data(bytes).base64EncodedString())\"")
        }
        return out
    }

    @Test("a log record becomes an event: the event name as type (log without one), severity, body, ids, attributes, resource")
    func logRecordFields() throws {
        let record = Self.log(name: "user.feedback", attributes: [("rating", .int(4))], span: F.spanBytes, trace: F.traceBytes)
        let item = try #require(OTLPLogMapper().map(F.logs([record])).items.first)
        #expect(item.isClosed && item.onClose.isEmpty)
        #expect(item.firstSight.count == 1)
        let o = try F.object(item.firstSight[0])
        #expect(o[EventField.eventType.key] == "user.feedback")
        #expect(item.firstSight[0].type == "user.feedback")
        #expect(o["severity"] == "INFO")
        #expect(o["severity_number"] == 9)
        #expect(o["body"] == "hello")
        #expect(o[EventField.traceID.key] == .string(F.traceHex))
        #expect(o[EventField.spanID.key] == .string(F.spanHex))
        #expect(o[EventField.runID.key] == .string(F.traceHex))
        #expect(o[EventField.sessionID.key] == .string(F.traceHex))
        #expect(o[EventField.timestamp.key] == "2026-01-01T00:00:00.000000Z")
        guard case .object(let attributes)? = o[EventField.attributes.key] else { Issue.record("no attributes"); return }
        #expect(attributes["rating"] == 4)
        #expect(attributes["service.name"] == "research-agent")
        #expect(attributes["otel.scope.name"] == "genai.sdk")

        let plain = Self.log(time: 0, observed: F.end)
        let p = try F.object(try #require(OTLPLogMapper().map(F.logs([plain])).items.first).firstSight[0])
        #expect(p[EventField.eventType.key] == "log")
        #expect(p[EventField.timestamp.key] == "2026-01-01T00:00:00.250000Z", "observed time when there is no time")
    }

    @Test("a GenAI log record gives a typed event only without a span id: one typed event per call")
    func typedEventsFromLogsOnlyWithoutSpanID() throws {
        let attributes: [(String, F.Value)] = [("gen_ai.operation.name", .string("chat")), ("gen_ai.request.model", .string("m")),
                                               ("gen_ai.provider.name", .string("p")), ("gen_ai.usage.input_tokens", .int(7)),
                                               ("torq.duration_ms", .double(12.5))]
        let spanless = try #require(OTLPLogMapper().map(F.logs([Self.log(name: "gen_ai.client.inference.operation.details",
                                                                         attributes: attributes)])).items.first)
        #expect(spanless.firstSight.map(\.type) == ["gen_ai.client.inference.operation.details", "model_interaction"])
        guard case .modelInteraction(let m) = try F.event(spanless.firstSight[1]) else { Issue.record("no model_interaction"); return }
        #expect(m.modelName == "m")
        #expect(m.promptTokens == 7)
        #expect(m.responseTimeMs == 12.5)
        #expect(m.header.eventID != (try F.object(spanless.firstSight[0]))[EventField.eventID.key].flatMap { if case .string(let s) = $0 { s } else { nil } })

        let withSpan = try #require(OTLPLogMapper().map(F.logs([Self.log(name: "gen_ai.choice", attributes: attributes,
                                                                         span: F.spanBytes, trace: F.traceBytes)])).items.first)
        #expect(withSpan.firstSight.map(\.type) == ["gen_ai.choice"])
    }

    @Test("a log record's key is its torq.event.id, else a hash of the record and its resource, the same on a retry")
    func logKeys() throws {
        let withID = Self.log(attributes: [("torq.event.id", .string("abc"))])
        #expect(OTLPLogMapper().map(F.logs([withID])).items.first?.key == ItemKey.event(id: "abc"))
        let record = Self.log(body: "same")
        let a = try #require(OTLPLogMapper().map(F.logs([record])).items.first)
        let b = try #require(OTLPLogMapper().map(F.logs([record])).items.first)
        #expect(a == b, "a retry maps to the same key and the same event")
        let elsewhere = try #require(OTLPLogMapper().map(F.logs([record], resource: [("service.name", .string("other"))])).items.first)
        #expect(elsewhere.key != a.key)
        let later = try #require(OTLPLogMapper().map(F.logs([Self.log(body: "same", time: F.end)])).items.first)
        #expect(later.key != a.key)
    }

    @Test("log records with ids of the wrong length, or no time, are rejected with their position")
    func invalidLogRecordsAreRejected() {
        let mapped = OTLPLogMapper().map(F.logs([Self.log(), Self.log(trace: [1, 2, 3]), Self.log(span: [1]), Self.log(time: 0, observed: 0)]))
        #expect(mapped.items.count == 1)
        #expect(mapped.rejected == 3)
        #expect(mapped.rejectionMessage.contains("resourceLogs[0].scopeLogs[0].logRecords[1]: trace_id is 3 bytes, expected 16"), "\(mapped.rejectionMessage)")
        #expect(mapped.rejectionMessage.contains("logRecords[2]: span_id is 1 bytes, expected 8"), "\(mapped.rejectionMessage)")
        #expect(mapped.rejectionMessage.contains("logRecords[3]: time_unix_nano and observed_time_unix_nano are both 0"))
    }
}
