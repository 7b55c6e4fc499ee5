import Foundation
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqAnalysis
import TorqJSON

/// ``TraceBuilder``: the tree, parent links, open and start-less spans,
/// event leaves, unrecorded parents, the critical path and the summary.
@Suite("trace builder")
struct TraceBuilderTests {
    static func build(_ lines: [String], runID: String? = nil) throws -> TraceModel {
        var builder = TraceBuilder(runID: runID)
        for line in lines { try builder.add(json: line) }
        return builder.build()
    }

    static func span(_ model: TraceModel, _ name: String) throws -> TraceSpan {
        try #require(model.spans.first { $0.name == name }, "no span named \(name)")
    }

    static func ns(_ stamp: String) -> Int64 { RFC3339.parseNanoseconds(stamp) ?? -1 }

    @Test("the hand-written run: tree, parent links, depth-first order")
    func tree() throws {
        let model = try Self.build(TraceFixture.handRun)
        #expect(model.spans.map(\.name) == [
            "agent.run support <main>", "plan & route", "llm.chat claude", "tool.search \"docs\"", "execute_tool web_search",
            "cache.lookup", "tool.slow_export (never ended)",
        ])
        #expect(model.rootIndices == [0])
        for span in model.spans {
            #expect(span.index == model.spans.firstIndex(of: span))
            if let p = span.parentIndex {
                #expect(model.spans[p].childIndices.contains(span.index))
                #expect(model.spans[p].spanID == span.parentSpanID)
                #expect(span.depth == model.spans[p].depth + 1)
                #expect(p < span.index, "a parent comes before its children")
            } else {
                #expect(span.depth == 0)
            }
        }
        let root = try Self.span(model, "agent.run support <main>")
        #expect(root.kind == .server)
        #expect(root.status == .ok)
        #expect(root.childIndices.count == 5)
        #expect(root.attributes["service.name"] == .string("support-bot"))
        let leaf = try Self.span(model, "execute_tool web_search")
        #expect(leaf.source == .event)
        #expect(leaf.eventType == "tool_execution")
        #expect(leaf.parentIndex.map { model.spans[$0].name } == "tool.search \"docs\"")
        #expect(leaf.endNanoseconds == Self.ns("2026-03-01T12:00:01.800Z"))
        #expect(leaf.startNanoseconds == Self.ns("2026-03-01T12:00:01.350Z"), "ends at its timestamp, lasts execution_time_ms")
        #expect(leaf.status == .error)
        #expect(leaf.errorMessage == "timeout after 450 ms")
        let search = try Self.span(model, "tool.search \"docs\"")
        #expect(search.status == .error)
        #expect(search.errorMessage == "search failed: timeout")
    }

    @Test("an open span: no end, unset, drawn to the trace's end, counted")
    func openSpan() throws {
        let model = try Self.build(TraceFixture.handRun)
        let open = try Self.span(model, "tool.slow_export (never ended)")
        #expect(open.isOpen)
        #expect(open.endNanoseconds == nil)
        #expect(open.durationMs == nil)
        #expect(open.status == .unset)
        #expect(open.kind == .client)
        #expect(open.displayEnd(traceEnd: model.endNanoseconds) == Self.ns("2026-03-01T12:00:02.900Z"))
        #expect(model.summary.openSpanCount == 1)
        #expect(model.spans.filter(\.isOpen).count == 1)
    }

    @Test("an end without a start: start from duration_ms, flagged; without duration_ms, an instant")
    func endWithoutStart() throws {
        let model = try Self.build(TraceFixture.handRun)
        let cache = try Self.span(model, "cache.lookup")
        #expect(!cache.isOpen)
        #expect(!cache.hasRecordedStart)
        #expect(cache.hasRecordedEnd)
        #expect(cache.endNanoseconds == Self.ns("2026-03-01T12:00:02.000Z"))
        #expect(cache.startNanoseconds == Self.ns("2026-03-01T12:00:01.920Z"))
        #expect(cache.durationMs == 80)
        let bare = try Self.build([#"{"event_type":"span_end","timestamp":"2026-03-01T12:00:00Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"0000000000000009","name":"x","status":"ok"}"#])
        #expect(bare.spans.count == 1)
        #expect(bare.spans[0].startNanoseconds == bare.spans[0].endNanoseconds)
        #expect(!bare.spans[0].hasRecordedStart)
    }

    @Test("records attach to the span their span_id names; without one, to their parent; else unattached")
    func attachedRecords() throws {
        let model = try Self.build(TraceFixture.handRun)
        let root = try Self.span(model, "agent.run support <main>")
        #expect(root.events.map(\.name) == ["memory_operation", "agent_run"])
        let llm = try Self.span(model, "llm.chat claude")
        // By time; at equal times span events (listed at the end) before records.
        #expect(llm.events.map(\.name) == ["first_token", "done", "model_interaction"])
        #expect(llm.events.filter { $0.source == .spanEvent }.map(\.name) == ["first_token", "done"])
        #expect(llm.events.first { $0.name == "first_token" }?.attributes["latency_ms"] == .int(340))
        #expect(llm.attributes["events"] == nil, "span events move out of the attributes")
        #expect(llm.attributes["gen_ai.request.model"] == .string("claude-3-5-sonnet"), "the start's attributes")
        #expect(llm.attributes["gen_ai.usage.output_tokens"] == .int(300), "the end's attributes add to them")
        #expect(model.unattachedEvents.map(\.name) == ["agent_run"])
        let orphan = try Self.build([
            #"{"event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"000000000000000a","name":"p"}"#,
            #"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:01Z","parent_span_id":"000000000000000a","agent_name":"a","status":"started"}"#,
        ])
        #expect(orphan.spans.count == 1)
        #expect(orphan.spans[0].events.map(\.name) == ["agent_run"])
        #expect(orphan.unattachedEvents.isEmpty)
    }

    @Test("a parent never recorded stands over its children, spanning them; demo-style runs")
    func unrecordedParent() throws {
        let lines = (0..<4).map { i in
            #"{"event_type":"tool_execution","timestamp":"2026-03-01T12:00:0\#(i + 1).000Z","run_id":"d","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00000000000000b\#(i)","parent_span_id":"00000000000000ff","tool_name":"t\#(i)","status":"completed","execution_time_ms":500}"#
        }
        let model = try Self.build(lines)
        #expect(model.spans.count == 5)
        let parent = model.spans[0]
        #expect(parent.source == .unrecorded)
        #expect(parent.spanID.description == "00000000000000ff")
        #expect(parent.childIndices.count == 4)
        #expect(parent.startNanoseconds == Self.ns("2026-03-01T12:00:00.500Z"))
        #expect(parent.endNanoseconds == Self.ns("2026-03-01T12:00:04.000Z"))
        #expect(model.summary.openSpanCount == 0)
        #expect(model.criticalPath.map { model.spans[$0].name } == [parent.name, "execute_tool t3"])
        // Records sharing a span id make one leaf spanning them.
        let pair = try Self.build([
            #"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:00Z","span_id":"00000000000000c1","agent_name":"a","status":"started"}"#,
            #"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:03Z","span_id":"00000000000000c1","agent_name":"a","status":"failed","error_message":"boom"}"#,
        ])
        #expect(pair.spans.count == 1)
        #expect(pair.spans[0].durationMs == 3000)
        #expect(pair.spans[0].status == .error)
        #expect(pair.spans[0].errorMessage == "boom")
        #expect(pair.spans[0].events.count == 2)
    }

    @Test("critical path: from the root, at each level the child finishing last (open spans finish at the trace's end)")
    func criticalPath() throws {
        let model = try Self.build(TraceFixture.handRun)
        #expect(model.criticalPath.map { model.spans[$0].name } == ["agent.run support <main>", "tool.slow_export (never ended)"])
        #expect(model.spans.filter(\.isOnCriticalPath).count == 2)
        // Without the open span, cache.lookup ends last (02.000).
        let closed = try Self.build(TraceFixture.handRun.filter { !$0.contains("slow_export") })
        #expect(closed.criticalPath.map { closed.spans[$0].name } == ["agent.run support <main>", "cache.lookup"])
        // Nested: the path goes down through the child finishing last at each level, not the longest.
        func start(_ id: String, _ parent: String?, _ t: String) -> String {
            #"{"event_type":"span_start","timestamp":"2026-03-01T12:00:\#(t)Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"\#(id)","name":"\#(id)""# + (parent.map { #","parent_span_id":"\#($0)""# } ?? "") + "}"
        }
        func end(_ id: String, _ t: String) -> String {
            #"{"event_type":"span_end","timestamp":"2026-03-01T12:00:\#(t)Z","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"\#(id)","name":"\#(id)","status":"ok"}"#
        }
        let nested = try Self.build([
            start("000000000000000a", nil, "00"),
            start("000000000000000b", "000000000000000a", "01"), end("000000000000000b", "08"),   // long, ends at 08
            start("000000000000000c", "000000000000000a", "05"),
            start("000000000000000d", "000000000000000c", "06"), end("000000000000000d", "07"),
            start("000000000000000e", "000000000000000c", "06"), end("000000000000000e", "09"),
            end("000000000000000c", "09"),
            end("000000000000000a", "10"),
        ])
        #expect(nested.criticalPath.map { nested.spans[$0].name } == ["000000000000000a", "000000000000000c", "000000000000000e"])
    }

    @Test("summary against an independent count, over generated runs")
    func summary() throws {
        let (lines, expected) = TraceFixture.generated(seed: 7, runs: 12)
        var byRun: [String: [String]] = [:]
        for line in lines {
            let run = try #require(foundationObject(line)?["run_id"] as? String)
            byRun[run, default: []].append(line)
        }
        for e in expected {
            let model = try Self.build(byRun[e.runID] ?? [], runID: e.runID)
            let s = model.summary
            #expect(s.runID == e.runID)
            #expect(s.recordCount == e.records)
            #expect(s.eventCounts == e.counts)
            #expect(s.spanCount == e.spans)
            #expect(model.spans.count == e.spans)
            #expect(s.openSpanCount == e.openSpans)
            #expect(model.spans.filter { $0.source == .span && !$0.hasRecordedStart }.count == e.startlessSpans)
            #expect(s.inputTokens == e.inputTokens)
            #expect(s.outputTokens == e.outputTokens)
            #expect(s.totalTokens == e.inputTokens + e.outputTokens)
            #expect(s.toolsUsed == e.tools)
            #expect(s.failures.count == e.failures)
            #expect(s.sessionIDs.count == 1)
            #expect(model.unattachedEvents.isEmpty)
            #expect(model.warnings.isEmpty, "\(model.warnings)")
            #expect(model.rootIndices.count == 1)
            let first = try #require(foundationObject(byRun[e.runID]?.first ?? "")?["timestamp"] as? String)
            let last = try #require(foundationObject(byRun[e.runID]?.last ?? "")?["timestamp"] as? String)
            #expect(s.startNanoseconds == Self.ns(first))
            #expect(s.endNanoseconds == Self.ns(last))
            #expect(abs(s.durationMs - Double(Self.ns(last) - Self.ns(first)) / 1e6) < 1e-6)
            // Every record of the five types is under a span: as an event, or as the event of its leaf.
            let attached = model.spans.reduce(0) { $0 + $1.events.filter { $0.source == .record }.count }
            #expect(attached == e.nonSpanRecords)
        }
    }

    @Test("tree detail (simdjson, no attributes) gives the same tree, times, statuses and summary as full detail")
    func treeDetail() throws {
        let (generated, _) = TraceFixture.generated(seed: 21, runs: 3)
        for lines in [TraceFixture.handRun, generated] {
            let full = try Self.build(lines)
            var builder = TraceBuilder(detail: .tree)
            for line in lines { try builder.add(json: line) }
            let tree = builder.build()
            #expect(tree.detail == .tree)
            #expect(tree.summary == full.summary)
            #expect(tree.criticalPath == full.criticalPath)
            #expect(tree.rootIndices == full.rootIndices)
            #expect(tree.spans.count == full.spans.count)
            for (a, b) in zip(tree.spans, full.spans) {
                #expect(a.name == b.name)
                #expect(a.spanID == b.spanID && a.parentIndex == b.parentIndex && a.childIndices == b.childIndices)
                #expect(a.startNanoseconds == b.startNanoseconds && a.endNanoseconds == b.endNanoseconds)
                #expect(a.status == b.status && a.kind == b.kind && a.errorMessage == b.errorMessage && a.source == b.source)
                #expect(a.attributes.isEmpty && a.events.isEmpty)
            }
        }
        var builder = TraceBuilder(detail: .tree)
        #expect(throws: TraceInputError.self) { try builder.add(json: #"{"event_type":"x","timestamp":"2026-03-01T12:00:00Z","span_id":"abc"}"#) }
        #expect(throws: TraceInputError.self) { try builder.add(json: #"{"event_type":"x","timestamp":"2026-03-01T12:00:00Z","trace_id":"00000000000000000000000000000000"}"#) }
        #expect(throws: TraceInputError.self) { try builder.add(json: "{\"event_type\":\"x\",") }
        #expect(throws: TraceInputError.self) { try builder.add(json: #"{"event_type":"x","timestamp":"soon"}"#) }
        #expect(builder.count == 0)
    }

    @Test("the simdjson fast path reads every record exactly as the full decoding does")
    func scannerMatchesFullDecoding() throws {
        var sample = SampleWorkload(seed: 9)
        let odd = [
            #"{"event_type":"x","timestamp":"2026-03-01T12:00:00Z","attributes":null,"event_id":7,"n":1e300,"big":18446744073709551615,"tools_used":"one"}"#,
            #"{"event_type":"x","timestamp":"2026-03-01T12:00:00Z","attributes":{},"a":"1","a":"2","name":"é \"q\" \u0001"}"#,
            #"{"event_type":"x","timestamp":"2026-03-01T12:00:00Z","attributes":"text","span_id":null,"parent_span_id":""}"#,
        ]
        let lines = TraceFixture.handRun + TraceFixture.generated(seed: 4, runs: 3).lines + odd
            + (0..<200).map { _ in String(decoding: sample.nextLine(), as: UTF8.self) }
        let scanner = try #require(TraceRecordScanner(keepAll: true))
        for line in lines {
            let bytes = Array(line.utf8)
            let full = try bytes.withUnsafeBufferPointer { try TraceRecord(json: $0) }
            let fast = try bytes.withUnsafeBytes { try scanner.scan($0) }
            #expect(fast.eventType == full.eventType && fast.timestamp == full.timestamp, "\(line)")
            #expect(fast.eventID == full.eventID && fast.runID == full.runID && fast.sessionID == full.sessionID, "\(line)")
            #expect(fast.traceID == full.traceID && fast.spanID == full.spanID && fast.parentSpanID == full.parentSpanID, "\(line)")
            #expect(fast.attributes == full.attributes, "\(line)")
            let a = Dictionary(fast.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            let b = Dictionary(full.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            #expect(a == b, "\(line)")
            #expect(fast.fields.map(\.key).count == a.count, "each key once")
        }
    }

    @Test("bad records throw, naming the field, and change nothing")
    func badInput() throws {
        var builder = TraceBuilder()
        let cases: [(String, String?)] = [
            ("not json", nil),
            ("[1,2]", nil),
            (#"{"timestamp":"2026-03-01T12:00:00Z"}"#, "event_type"),
            (#"{"event_type":"agent_run"}"#, "timestamp"),
            (#"{"event_type":"agent_run","timestamp":"yesterday"}"#, "timestamp"),
            (#"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:00Z","span_id":"XYZ"}"#, "span_id"),
            (#"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:00Z","trace_id":"00000000000000000000000000000000"}"#, "trace_id"),
            (#"{"event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","name":"x"}"#, "span_id"),
        ]
        for (line, field) in cases {
            #expect(throws: TraceInputError.self, "\(line)") { try builder.add(json: line) }
            do {
                try builder.add(json: line)
            } catch {
                #expect(error.field == field, "\(line): \(error)")
                #expect(!error.description.isEmpty)
            }
        }
        #expect(builder.count == 0)
        #expect(builder.build().summary.recordCount == 0)
        #expect(builder.build().spans.isEmpty)
    }

    @Test("oddities are warnings, not drops: repeated starts, cycles, unknown kind and status, malformed span events")
    func warnings() throws {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736"
        let model = try Self.build([
            #"{"event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","trace_id":"\#(t)","span_id":"000000000000000a","parent_span_id":"000000000000000b","name":"a","kind":"sideways"}"#,
            #"{"event_type":"span_start","timestamp":"2026-03-01T12:00:01Z","trace_id":"\#(t)","span_id":"000000000000000b","parent_span_id":"000000000000000a","name":"b"}"#,
            #"{"event_type":"span_start","timestamp":"2026-03-01T12:00:02Z","trace_id":"\#(t)","span_id":"000000000000000b","name":"b again"}"#,
            #"{"event_type":"span_end","timestamp":"2026-03-01T12:00:03Z","trace_id":"\#(t)","span_id":"000000000000000b","name":"b","status":"meh","attributes":{"events":[{"name":"e"}]}}"#,
        ])
        #expect(model.spans.count == 2)
        #expect(model.rootIndices.count == 1, "the cycle is cut once")
        let a = try Self.span(model, "a"), b = try Self.span(model, "b")
        #expect(a.kind == .internal)
        #expect(b.status == .unset)
        #expect(b.attributes["events"] != nil, "malformed span events stay an attribute")
        let text = model.warnings.joined(separator: "\n")
        #expect(text.contains("span_start repeated"))
        #expect(text.contains("loops back"))
        #expect(text.contains("unknown kind \"sideways\""))
        #expect(text.contains("unknown status \"meh\""))
        #expect(text.contains("attributes.events"))
    }
}
