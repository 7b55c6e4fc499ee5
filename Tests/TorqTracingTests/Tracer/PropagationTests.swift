import Foundation
import Testing
import TorqTestSupport
import Tracing
@testable import TorqTracing

/// W3C Trace Context across boundaries: header dictionaries through the
/// swift-distributed-tracing `Injector`/`Extractor` protocols, and the
/// `TRACEPARENT`/`TRACESTATE` environment variables of child processes.
@Suite("trace context propagation")
struct PropagationTests {
    @Test("headers: inject writes the current span; extract makes it the parent of new spans")
    func headerRoundTrip() throws {
        let collector = try memoryCollector()
        let tracer = TorqTracer(collector: collector)
        let client = tracer.startSpan("call_service", ofKind: .client)
        var headers: [String: String] = ["Content-Type": "application/json"]
        tracer.inject(client.context, into: &headers, using: HeaderDictionaryInjector())
        let sent = try #require(headers["traceparent"])
        #expect(sent == "00-\(client.spanContext.traceID)-\(client.spanContext.spanID)-01")
        #expect(headers["tracestate"] == nil)
        #expect(headers["Content-Type"] == "application/json")

        // The receiving side: header names in any case.
        let received = ["TraceParent": sent, "TRACESTATE": "vendor=abc,other=1"]
        var context = ServiceContext.topLevel
        tracer.extract(received, into: &context, using: HeaderDictionaryExtractor())
        let remote = try #require(context.telemetrySpan)
        #expect(remote.isRemote)
        #expect(remote.traceID == client.spanContext.traceID)
        #expect(remote.spanID == client.spanContext.spanID)
        #expect(remote.traceState?.description == "vendor=abc,other=1")
        let server = tracer.startSpan("handle_request", context: context, ofKind: .server)
        #expect(server.spanContext.traceID == client.spanContext.traceID)
        #expect(server.spanContext.parentSpanID == client.spanContext.spanID)
        #expect(server.spanContext.spanID != client.spanContext.spanID)

        // Injecting the server's context passes the trace state on.
        var outgoing: [String: String] = [:]
        tracer.inject(server.context, into: &outgoing, using: HeaderDictionaryInjector())
        #expect(outgoing["traceparent"] == "00-\(server.spanContext.traceID)-\(server.spanContext.spanID)-01")
        #expect(outgoing["tracestate"] == "vendor=abc,other=1")
        server.end()
        client.end()

        let spans = recordedSpans(try writtenEvents(collector))
        let handled = try span(named: "handle_request", in: spans)
        #expect(handled.parentSpanID == client.spanContext.spanID.description)
        #expect(handled.start?.string("kind") == "server")
        #expect(try span(named: "call_service", in: spans).start?.string("kind") == "client")
    }

    @Test("headers: a malformed traceparent is ignored (the context stays as it was), a bad tracestate dropped", arguments: [
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "garbage",
    ])
    func malformedHeaders(_ value: String) throws {
        let tracer = TorqTracer(collector: try memoryCollector())
        var context = ServiceContext.topLevel
        context.telemetrySessionID = "kept"
        tracer.extract(["traceparent": value, "tracestate": "a=1"], into: &context, using: HeaderDictionaryExtractor())
        #expect(context.telemetrySpan == nil)
        #expect(context.telemetrySessionID == "kept")

        tracer.extract(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "tracestate": "Bad Key=1"],
                       into: &context, using: HeaderDictionaryExtractor())
        let span = try #require(context.telemetrySpan)
        #expect(span.traceState == nil)
        #expect(!span.sampled)
        // A child of an unsampled parent stays unsampled downstream.
        let child = tracer.startSpan("child", context: context)
        var headers: [String: String] = [:]
        tracer.inject(child.context, into: &headers, using: HeaderDictionaryInjector())
        #expect(headers["traceparent"]?.hasSuffix("-00") == true)
        child.end()
    }

    @Test("headers: nothing is injected outside a span; injection replaces a header of another case")
    func injectWithoutSpan() throws {
        let tracer = TorqTracer(collector: try memoryCollector())
        var headers: [String: String] = [:]
        tracer.inject(.topLevel, into: &headers, using: HeaderDictionaryInjector())
        #expect(headers.isEmpty)
        let span = tracer.startSpan("x")
        headers = ["TRACEPARENT": "stale"]
        tracer.inject(span.context, into: &headers, using: HeaderDictionaryInjector())
        #expect(headers.count == 1)
        #expect(headers["traceparent"] == span.spanContext.traceParent.description)
        span.end()
    }

    @Test("environment: the variables for a child, and a child's pick-up of them")
    func environment() throws {
        let tracer = TorqTracer(collector: try memoryCollector())
        #expect(TraceEnvironment.variables(for: nil).isEmpty)
        #expect(TraceEnvironment.variables(for: .topLevel).isEmpty)
        var parentContext = ServiceContext.topLevel
        tracer.extract(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "congo=t61"],
                       into: &parentContext, using: HeaderDictionaryExtractor())
        let span = tracer.startSpan("spawn_worker", context: parentContext)
        let variables = ServiceContext.withValue(span.context) { TraceEnvironment.variables() }
        #expect(variables == ["TRACEPARENT": "00-4bf92f3577b34da6a3ce929d0e0e4736-\(span.spanContext.spanID)-01", "TRACESTATE": "congo=t61"])
        span.end()

        let child = try #require(TraceEnvironment.context(from: variables.merging(["PATH": "/usr/bin"]) { a, _ in a }))
        #expect(child.telemetrySpan?.traceID == span.spanContext.traceID)
        #expect(child.telemetrySpan?.spanID == span.spanContext.spanID)
        #expect(child.telemetrySpan?.traceState?["congo"] == "t61")
        #expect(TraceEnvironment.context(from: ["TRACEPARENT": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]) == nil)
        #expect(TraceEnvironment.context(from: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]) == nil,
                "environment variables are upper case")
        #expect(TraceEnvironment.context(from: [:]) == nil)
    }
}
