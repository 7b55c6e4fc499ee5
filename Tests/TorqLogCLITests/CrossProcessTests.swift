import Foundation
import Testing
import TorqTestSupport
import TorqTelemetry

/// Trace context across a real process boundary: the built `torqlog demo`,
/// started with `TRACEPARENT`, joins the parent's trace.
@Suite("cross-process trace propagation")
struct CrossProcessTests {
    @Test("torqlog demo with TRACEPARENT: every event is in the parent's trace; the runs' spans are children of the parent span")
    func childJoinsTrace() throws {
        let dir = TemporaryDirectory("xproc")
        let store = dir.file("store")
        // The parent: a span of this process, passed on as a child process would get it.
        let collector = try memoryCollector()
        let parentSpan = TorqTracer(collector: collector).startSpan("spawn_demo")
        let variables = TraceEnvironment.variables(for: parentSpan.context)
        #expect(variables.keys.sorted() == ["TRACEPARENT"])
        let result = try TorqlogBinary.run(["demo", "--runs", "3", "--dir", store], env: variables.mapValues { $0 })
        parentSpan.end()
        #expect(result.status == 0, "demo: \(result.stderr)")

        let events = try storeEvents(store)
        #expect(!events.isEmpty)
        let trace = parentSpan.spanContext.traceID.description
        #expect(events.allSatisfy { $0.string("trace_id") == trace }, "every event of the child carries the parent's trace id")
        let spans = recordedSpans(events)
        let roots = spans.values.filter { $0.name?.hasPrefix("invoke_agent ") == true }
        #expect(roots.count == 3)
        #expect(roots.allSatisfy { $0.parentSpanID == parentSpan.spanContext.spanID.description },
                "each run's span has the parent process's span as parent")
        // Every other span and event hangs off a span recorded by the child.
        for event in events where event.string("parent_span_id") != parentSpan.spanContext.spanID.description {
            let parent = try #require(event.string("parent_span_id"), "\(event)")
            #expect(spans[parent] != nil, "parent \(parent) of \(event.string("event_type") ?? "?") is a span of the child")
        }
        #expect(spans.values.allSatisfy { $0.start != nil && $0.end != nil })
    }

    @Test("torqlog demo with an invalid TRACEPARENT ignores it and starts its own traces")
    func invalidParentIgnored() throws {
        let dir = TemporaryDirectory("xproc-bad")
        let store = dir.file("store")
        let bad = "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let result = try TorqlogBinary.run(["demo", "--runs", "2", "--dir", store], env: ["TRACEPARENT": bad])
        #expect(result.status == 0, "demo: \(result.stderr)")
        let events = try storeEvents(store)
        let traces = Set(events.compactMap { $0.string("trace_id") })
        #expect(traces.count == 2, "one new trace per run")
        #expect(!traces.contains("4bf92f3577b34da6a3ce929d0e0e4736"))
        #expect(recordedSpans(events).values.filter { $0.name?.hasPrefix("invoke_agent ") == true }.allSatisfy { $0.parentSpanID == nil })
    }
}
