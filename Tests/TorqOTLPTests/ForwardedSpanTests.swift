import Foundation
import SwiftProtobuf
import Testing
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqOTLPProto
@testable import TorqOTLP

/// Spans as `torqlog forward` sends them (OTLPItemStream → OTLPProtoEncoder), read back by the receiver's mapper.
@Suite("Forwarded spans: the receiver reads torqlog's markers back")
struct ForwardedSpanTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"

    /// The protobuf request of the spans `lines` give (traces and logs travel together).
    static func request(_ lines: [String], finish: Bool = true) throws -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest {
        var stream = OTLPItemStream()
        for (i, line) in lines.enumerated() {
            try Array(line.utf8).withUnsafeBytes { try stream.add(json: $0, sequence: UInt64(i)) }
        }
        if finish { stream.finish() }
        let bytes: [UInt8] = try OTLPProtoEncoder.traces(stream.takeSpans()).serializedBytes()
        return try .init(serializedBytes: bytes)
    }

    @Test("a recorded span keeps the event ids of its span_start and span_end; its typed event travels as a log record, so none is derived")
    func recordedSpanKeepsItsRecordIDs() throws {
        let request = try Self.request([
            #"{"event_id":"s1","event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","run_id":"r","session_id":"s","trace_id":"\#(Self.trace)","span_id":"00000000000000a1","name":"llm.chat","kind":"client","attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"m"}}"#,
            #"{"event_id":"m1","event_type":"model_interaction","timestamp":"2026-03-01T12:00:01Z","run_id":"r","session_id":"s","trace_id":"\#(Self.trace)","span_id":"00000000000000a1","model_provider":"openai","model_name":"m","prompt_tokens":3}"#,
            #"{"event_id":"e1","event_type":"span_end","timestamp":"2026-03-01T12:00:01Z","run_id":"r","session_id":"s","trace_id":"\#(Self.trace)","span_id":"00000000000000a1","name":"llm.chat","status":"ok","duration_ms":1000}"#,
        ])
        let items = OTLPTraceMapper().map(request).items
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(item.firstSight.count == 1)
        #expect(item.onClose.count == 1, "span_end only: no typed event derived from a span whose records travel as logs")
        let ids = (item.firstSight + item.onClose).compactMap { record -> String? in
            let parsed = record.payload.withUnsafeBufferPointer { try? JSONTreeParser.parse($0) }
            guard case .object(let o)? = parsed, case .string(let id)? = o["event_id"] else { return nil }
            return id
        }
        #expect(ids == ["s1", "e1"])
    }

    @Test("a span made from events alone is stored as nothing (its events rebuild it); open and start-less spans keep their shape")
    func derivedOpenAndStartlessSpans() throws {
        let request = try Self.request([
            #"{"event_id":"t1","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","trace_id":"\#(Self.trace)","span_id":"00000000000000b1","tool_name":"search","tool_type":"api","status":"completed"}"#,
            #"{"event_id":"s2","event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","trace_id":"\#(Self.trace)","span_id":"00000000000000b2","name":"never ends"}"#,
            #"{"event_id":"e3","event_type":"span_end","timestamp":"2026-03-01T12:00:02Z","trace_id":"\#(Self.trace)","span_id":"00000000000000b3","name":"no start","status":"ok","duration_ms":500}"#,
        ])
        let items = OTLPTraceMapper().map(request).items
        #expect(items.count == 3)
        for item in items {
            let records = item.firstSight + item.onClose
            let types = records.compactMap(\.type)
            switch types {
            case []: #expect(item.isClosed, "the derived span")
            case ["span_start"]: #expect(!item.isClosed, "the open span is stored open")
            case ["span_end"]: #expect(item.isClosed, "no span_start invented for the start-less span")
            default: Issue.record("unexpected records \(types)")
            }
        }
    }
}

@Suite("OTLP protobuf requests framed around SwiftProtobuf's spans and log records")
struct OTLPProtoFramingTests {
    @Test("the framed request is byte for byte SwiftProtobuf's own, for spans and log records of several services")
    func framedEqualsSwiftProtobuf() throws {
        var stream = OTLPItemStream()
        var lines = TraceFixtureLines.lines
        lines += (0..<300).map { i in
            #"{"event_id":"x\#(i)","event_type":"tool_execution","timestamp":"2026-03-01T12:00:0\#(i % 10)Z","service_name":"svc-\#(i % 3)","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"\#(String(format: "%016x", i + 1))","tool_name":"t\#(i)","tool_type":"api","status":"completed","attributes":{"k":[1,"two",{"three":3.5}]}}"#
        }
        for (i, line) in lines.enumerated() {
            try Array(line.utf8).withUnsafeBytes { try stream.add(json: $0, sequence: UInt64(i)) }
        }
        stream.finish()
        let spans = stream.takeSpans(), logs = stream.takeLogs()
        #expect(spans.count >= 300 && logs.count >= 300)
        let expectedTraces: [UInt8] = try OTLPProtoEncoder.traces(spans).serializedBytes()
        let expectedLogs: [UInt8] = try OTLPProtoEncoder.logs(logs).serializedBytes()
        #expect(try OTLPProtoEncoder.tracesBytes(spans) == expectedTraces)
        #expect(try OTLPProtoEncoder.logsBytes(logs) == expectedLogs)
        #expect(try OTLPProtoEncoder.tracesBytes([]) == [])
    }
}

/// A few span records of two services, for the framing test.
enum TraceFixtureLines {
    static let lines: [String] = [
        #"{"event_id":"s1","event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","service_name":"a","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00000000000000f1","name":"root","kind":"server"}"#,
        #"{"event_id":"e1","event_type":"span_end","timestamp":"2026-03-01T12:00:01Z","service_name":"a","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00000000000000f1","name":"root","status":"error","error_message":"boom","attributes":{"events":[{"name":"x","timestamp":"2026-03-01T12:00:00.5Z","attributes":{"n":1}}]}}"#,
    ]
}
