import Foundation
import Testing
import TorqTestSupport
import Tracing
@testable import TorqTracing
import TorqCollector

/// `TorqTracer` and `CollectorSpan`: spans written as `span_start`/`span_end`
/// events, through the tracer directly and through swift-distributed-tracing's
/// global API once bootstrapped.
@Suite("TorqTracer")
struct TorqTracerTests {
    @Test("a span writes span_start at start and span_end with duration, status, attributes and events at end")
    func spanEvents() throws {
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector, sessionID: "s-1")
        var context = ServiceContext.topLevel
        context.telemetryRunID = "run-42"
        let start = DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: 1_780_000_000_000_000_000)
        let span = tracer.startSpan("load_documents", context: context, ofKind: .client, at: start)

        // Open: only the start is written.
        let open = try writtenEvents(collector)
        #expect(open.count == 1)
        #expect(open.first?.string("event_type") == "span_start")
        #expect(open.first?.string("timestamp") == "2026-05-28T20:26:40.000000Z")
        #expect(open.first?.string("run_id") == "run-42")
        #expect(open.first?.string("session_id") == "s-1")
        #expect(open.first?.string("kind") == "client")
        #expect(open.first?.string("trace_id") == span.spanContext.traceID.description)
        #expect(open.first?["parent_span_id"] == nil)

        span.attributes["documents.count"] = 12
        span.attributes["source"] = "s3"
        span.attributes["ratio"] = 0.5
        span.attributes["cached"] = true
        span.attributes["tags"] = ["a", "b"]
        span.addEvent(SpanEvent(name: "cache_miss", at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: 1_780_000_000_001_000_000),
                                attributes: ["key": "doc-1"]))
        span.operationName = "load_documents_v2"
        span.setStatus(.init(code: .ok))
        span.end(at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: 1_780_000_000_002_500_000))
        span.end()  // a second end records nothing
        span.addEvent("after_end")

        let events = try writtenEvents(collector)
        #expect(events.count == 2)
        let end = try #require(events.last)
        #expect(end.string("event_type") == "span_end")
        #expect(end.string("name") == "load_documents_v2")
        #expect(end.string("status") == "ok")
        #expect(end["duration_ms"] as? Double == 2.5)
        #expect(end.string("span_id") == span.spanContext.spanID.description)
        #expect(end.string("run_id") == "run-42")
        let attributes = try #require(end["attributes"] as? [String: Any])
        #expect(attributes["documents.count"] as? Int == 12)
        #expect(attributes["source"] as? String == "s3")
        #expect(attributes["ratio"] as? Double == 0.5)
        #expect(attributes["cached"] as? Bool == true)
        #expect(attributes["tags"] as? [String] == ["a", "b"])
        let spanEvents = try #require(attributes["events"] as? [[String: Any]])
        #expect(spanEvents.count == 1)
        #expect(spanEvents.first?.string("name") == "cache_miss")
        #expect(spanEvents.first?.string("timestamp") == "2026-05-28T20:26:40.001000Z")
        #expect((spanEvents.first?["attributes"] as? [String: Any])?["key"] as? String == "doc-1")
        #expect(!span.isRecording)
    }

    @Test("status: unset by default; error takes its message, or the recorded error's")
    func status() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom at step 3" } }
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector)
        tracer.startSpan("plain").end()
        let explicit = tracer.startSpan("explicit")
        explicit.setStatus(.init(code: .error, message: "quota exceeded"))
        explicit.end()
        let recorded = tracer.startSpan("recorded")
        recorded.recordError(Boom())
        recorded.setStatus(.init(code: .error))
        recorded.end()

        let spans = recordedSpans(try writtenEvents(collector))
        #expect(try span(named: "plain", in: spans).status == "unset")
        #expect(try span(named: "plain", in: spans).end?["error_message"] == nil)
        #expect(try span(named: "explicit", in: spans).status == "error")
        #expect(try span(named: "explicit", in: spans).end?.string("error_message") == "quota exceeded")
        let failed = try span(named: "recorded", in: spans)
        #expect(failed.status == "error")
        #expect(failed.end?.string("error_message") == "boom at step 3")
        let exception = try #require(((failed.end?["attributes"] as? [String: Any])?["events"] as? [[String: Any]])?.first)
        #expect(exception.string("name") == "exception")
        #expect((exception["attributes"] as? [String: Any])?["exception.message"] as? String == "boom at step 3")
        #expect((exception["attributes"] as? [String: Any])?["exception.type"] as? String == "Boom")
    }

    @Test("a span that never ends stays open: a start with no end")
    func openSpan() throws {
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector)
        let finished = tracer.startSpan("finished")
        let hung = tracer.startSpan("hung", context: finished.context)
        finished.end()
        let spans = recordedSpans(try writtenEvents(collector))
        #expect(try span(named: "hung", in: spans).start != nil)
        #expect(try span(named: "hung", in: spans).end == nil)
        #expect(try span(named: "hung", in: spans).parentSpanID == finished.spanContext.spanID.description)
        #expect(hung.isRecording)
    }

    @Test("withSpan nests through task-locals: async let and task groups get the right parent")
    func nestingWithSpan() async throws {
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector)
        try await tracer.withSpan("root") { _ in
            async let a: Void = tracer.withSpan("left") { _ in
                try await tracer.withSpan("left.inner") { _ in try await Task.sleep(for: .milliseconds(1)) }
            }
            async let b: Void = tracer.withSpan("right") { _ in try await Task.sleep(for: .milliseconds(1)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<4 {
                    group.addTask { try await tracer.withSpan("worker-\(i)") { _ in try await Task.sleep(for: .milliseconds(1)) } }
                }
                try await group.waitForAll()
            }
            _ = try await (a, b)
        }
        let spans = recordedSpans(try writtenEvents(collector))
        #expect(spans.count == 8)
        let root = try span(named: "root", in: spans)
        #expect(root.parentSpanID == nil)
        for name in ["left", "right"] + (0..<4).map({ "worker-\($0)" }) {
            #expect(try span(named: name, in: spans).parentSpanID == root.spanID, "\(name)'s parent")
        }
        #expect(try span(named: "left.inner", in: spans).parentSpanID == span(named: "left", in: spans).spanID)
        #expect(Set(spans.values.compactMap(\.traceID)) == Set([root.traceID].compactMap { $0 }))
        #expect(spans.values.allSatisfy { $0.start != nil && $0.end != nil })
    }

    @Test("withSpan: a thrown error sets status error with the message, and is rethrown")
    func withSpanError() throws {
        struct Failure: Error {}
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector)
        #expect(throws: Failure.self) {
            try tracer.withSpan("fails") { _ in throw Failure() }
        }
        let failed = try span(named: "fails", in: recordedSpans(try writtenEvents(collector)))
        #expect(failed.status == "error")
        #expect(failed.end?.string("error_message") == "Failure()")
    }

    /// The one collector the global tracer writes to (the system can be bootstrapped once per process).
    static let bootstrapped: Result<TelemetryCollector, any Error> = Result {
        let collector = try memoryCollector()
        InstrumentationSystem.bootstrap(TorqTracer(collector: collector, sessionID: "bootstrapped"))
        return collector
    }

    @Test("InstrumentationSystem.bootstrap(TorqTracer): the generic withSpan API lands in the store; inject uses it")
    func bootstrap() throws {
        let collector = try Self.bootstrapped.get()
        let marker = "generic-\(UUID().uuidString)"
        let traceparent = withSpan(marker, ofKind: .server) { span in
            span.attributes["http.route"] = "/v1/agents"
            span.addEvent("parsed")
            var headers: [String: String] = [:]
            InstrumentationSystem.instrument.inject(ServiceContext.current ?? .topLevel, into: &headers, using: HeaderDictionaryInjector())
            withSpan("\(marker).child") { _ in }
            return headers["traceparent"]
        }
        let spans = recordedSpans(try writtenEvents(collector))
        let generic = try span(named: marker, in: spans)
        #expect(generic.start?.string("session_id") == "bootstrapped")
        #expect(generic.start?.string("kind") == "server")
        #expect(generic.status == "unset")
        #expect((generic.end?["attributes"] as? [String: Any])?["http.route"] as? String == "/v1/agents")
        #expect(traceparent == "00-\(generic.traceID ?? "")-\(generic.spanID ?? "")-01")
        #expect(try span(named: "\(marker).child", in: spans).parentSpanID == generic.spanID)
    }
}
