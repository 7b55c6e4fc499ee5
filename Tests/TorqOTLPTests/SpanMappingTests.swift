import Foundation
import Testing
import TorqEvents
import TorqJSON
import TorqOTLPProto
@testable import TorqOTLP

@Suite("OTLP spans become the tracer's span records and typed GenAI events")
struct SpanMappingTests {
    typealias F = OTLPFixtures

    @Test("a closed span gives span_start on first sight, and span_end plus the typed event on close")
    func closedSpanGivesStartEndAndTypedEvent() throws {
        let item = try F.mapOne(F.span(name: "chat gpt-4o", attributes: [
            ("gen_ai.operation.name", .string("chat")), ("gen_ai.request.model", .string("gpt-4o")),
            ("gen_ai.provider.name", .string("openai")), ("gen_ai.usage.input_tokens", .int(120)),
            ("gen_ai.usage.output_tokens", .int(30)), ("custom.flag", .bool(true)),
        ]))
        #expect(item.isClosed)
        #expect(item.firstSight.map(\.type) == ["span_start"])
        #expect(item.onClose.map(\.type) == ["span_end", "model_interaction"])
        guard case .spanStart(let start) = try F.event(item.firstSight[0]) else { Issue.record("not a span_start"); return }
        #expect(start.name == "chat gpt-4o")
        #expect(start.kind == "client")
        #expect(start.header.traceID?.description == F.traceHex)
        #expect(start.header.spanID?.description == F.spanHex)
        #expect(start.header.parentSpanID?.description == "b1b2b3b4b5b6b7b8")
        #expect(start.header.timestamp == Int64(F.start))
        #expect(item.firstSight[0].time == Int64(F.start))
        guard case .spanEnd(let end) = try F.event(item.onClose[0]) else { Issue.record("not a span_end"); return }
        #expect(end.header.timestamp == Int64(F.end))
        #expect(end.status == "unset")
        #expect(end.durationMs == 250)
        #expect(end.errorMessage == nil)
        #expect(end.header.attributes["custom.flag"] == .bool(true))
        #expect(end.header.attributes["gen_ai.request.model"] == .string("gpt-4o"), "span_end keeps every span attribute")
        // Three records, three different ids.
        let ids = try (item.firstSight + item.onClose).map { try F.event($0).header.eventID }
        #expect(Set(ids).count == 3)
    }

    @Test("a span with end_time_unix_nano 0 is open: only span_start, with its attributes, and no typed event")
    func openSpanGivesOnlySpanStart() throws {
        let item = try F.mapOne(F.span(attributes: [("gen_ai.operation.name", .string("chat")), ("k", .string("v"))], end: 0))
        #expect(!item.isClosed)
        #expect(item.firstSight.map(\.type) == ["span_start"])
        #expect(item.onClose.isEmpty)
        #expect(try F.event(item.firstSight[0]).header.attributes["k"] == .string("v"))
    }

    @Test("the same span mapped twice has the same key and the same records; open and closed share the key and the start")
    func retriesMapToTheSameKeysAndIDs() throws {
        let closed = F.span(attributes: [("gen_ai.operation.name", .string("execute_tool")), ("gen_ai.tool.name", .string("search"))])
        var open = closed
        open.endTimeUnixNano = 0
        let a = try F.mapOne(closed), b = try F.mapOne(closed), c = try F.mapOne(open)
        #expect(a == b)
        #expect(a.key == c.key)
        #expect(try F.event(a.firstSight[0]).header.eventID == F.event(c.firstSight[0]).header.eventID)
        var other = closed
        other.spanID = Data([1, 2, 3, 4, 5, 6, 7, 9])
        #expect(try F.mapOne(other).key != a.key)
        #expect(try F.mapOne(other).key.low == 0x0102_0304_0506_0709)
    }

    @Test("every GenAI operation name gives its typed event")
    func everyOperationNameGivesItsTypedEvent() throws {
        let expected: [String: EventType] = [
            "chat": .modelInteraction, "text_completion": .modelInteraction, "generate_content": .modelInteraction,
            "embeddings": .modelInteraction, "execute_tool": .toolExecution, "invoke_agent": .agentRun, "create_agent": .agentRun,
            "invoke_workflow": .agentRun, "create_memory": .memoryOperation, "search_memory": .memoryOperation,
            "update_memory": .memoryOperation, "upsert_memory": .memoryOperation, "delete_memory": .memoryOperation,
            "retrieval": .memoryOperation,
        ]
        for (operation, type) in expected {
            let event = try F.typedEvent([("gen_ai.operation.name", .string(operation))])
            #expect(event.eventType == type, "\(operation)")
        }
        let plain = try F.mapOne(F.span(attributes: [("gen_ai.operation.name", .string("something_else"))]))
        #expect(plain.onClose.map(\.type) == ["span_end"])
    }

    @Test("model_interaction: model, provider (with the older gen_ai.system), tokens, latency and status")
    func modelInteractionFields() throws {
        let event = try F.typedEvent([
            ("gen_ai.operation.name", .string("chat")), ("gen_ai.response.model", .string("claude-x")),
            ("gen_ai.system", .string("anthropic")), ("gen_ai.usage.input_tokens", .int(100)), ("gen_ai.usage.output_tokens", .int(20)),
            ("gen_ai.conversation.id", .string("conv-1")), ("extra", .string("kept")),
        ])
        guard case .modelInteraction(let m) = event else { Issue.record("\(event)"); return }
        #expect(m.modelName == "claude-x")
        #expect(m.modelProvider == "anthropic")
        #expect(m.promptTokens == 100)
        #expect(m.completionTokens == 20)
        #expect(m.totalTokens == 120)
        #expect(m.responseTimeMs == 250)
        #expect(m.success == true)
        #expect(m.header.sessionID == "conv-1")
        #expect(m.header.spanID?.description == F.spanHex)
        #expect(m.header.attributes["extra"] == .string("kept"))
        #expect(m.header.attributes["gen_ai.response.model"] == nil, "read into model_name")
        #expect(m.header.attributes["gen_ai.operation.name"] == .string("chat"))
        // gen_ai.request.model wins over gen_ai.response.model, which is then kept.
        let both = try F.typedEvent([("gen_ai.operation.name", .string("chat")), ("gen_ai.request.model", .string("asked")),
                                     ("gen_ai.response.model", .string("served"))])
        guard case .modelInteraction(let m2) = both else { return }
        #expect(m2.modelName == "asked")
        #expect(m2.header.attributes["gen_ai.response.model"] == .string("served"))
    }

    @Test("a span with status ERROR gives status failed, success false and the error message; exception events fill in")
    func errorStatusFails() throws {
        let event = try F.typedEvent([("gen_ai.operation.name", .string("execute_tool")), ("gen_ai.tool.name", .string("web_search")),
                                      ("gen_ai.tool.call.id", .string("call-7"))], status: .error, message: "timeout after 30s")
        guard case .toolExecution(let t) = event else { Issue.record("\(event)"); return }
        #expect(t.toolName == "web_search")
        #expect(t.status == .failed)
        #expect(t.success == false)
        #expect(t.executionTimeMs == 250)
        #expect(t.header.attributes["gen_ai.tool.call.id"] == .string("call-7"))
        #expect(t.header.extraFields[EventField.errorMessage.key] == .string("timeout after 30s"))

        var span = F.span(attributes: [("gen_ai.operation.name", .string("execute_tool"))], status: .error)
        var exception = Opentelemetry_Proto_Trace_V1_Span.Event()
        exception.name = "exception"
        exception.timeUnixNano = F.start + 1000
        exception.attributes = F.keyValues([("exception.message", .string("disk full"))])
        span.events = [exception]
        let item = try F.mapOne(span)
        guard case .spanEnd(let end) = try F.event(item.onClose[0]) else { return }
        #expect(end.status == "error")
        #expect(end.errorMessage == "disk full")
        let events = end.header.attributes["events"]
        #expect(events == .array([.object([EventField.name.key: "exception", EventField.timestamp.key: "2026-01-01T00:00:00.000001Z",
                                           EventField.attributes.key: .object(["exception.message": "disk full"])])]))
        #expect(try F.event(item.onClose[1]).header.extraFields[EventField.errorMessage.key] == .string("disk full"))
    }

    @Test("agent_run and memory_operation take their fields, with the span name and the operation as fallbacks")
    func agentAndMemoryFields() throws {
        guard case .agentRun(let a) = try F.typedEvent([("gen_ai.operation.name", .string("invoke_agent")),
                                                          ("gen_ai.agent.name", .string("researcher"))]) else { Issue.record("agent"); return }
        #expect(a.agentName == "researcher")
        #expect(a.agentType == "invoke_agent")
        #expect(a.status == .completed)
        guard case .memoryOperation(let m) = try F.typedEvent([("gen_ai.operation.name", .string("create_memory")),
                                                                ("db.system.name", .string("redis")), ("torq.memory.type", .string("episodic"))])
        else { Issue.record("memory"); return }
        #expect(m.memoryBackend == "redis")
        #expect(m.memoryType == "episodic")
        #expect(m.operationType == "write")
        #expect(m.operationTimeMs == 250)
        #expect(m.success == true)
    }

    @Test("OpenInference span kinds map the same way; CHAIN gives no typed event")
    func openInferenceKinds() throws {
        guard case .modelInteraction(let llm) = try F.typedEvent([
            ("openinference.span.kind", .string("LLM")), ("llm.model_name", .string("gpt-4o-mini")), ("llm.provider", .string("openai")),
            ("llm.token_count.prompt", .int(11)), ("llm.token_count.completion", .int(5)),
        ]) else { Issue.record("LLM"); return }
        #expect(llm.modelName == "gpt-4o-mini")
        #expect(llm.modelProvider == "openai")
        #expect(llm.promptTokens == 11)
        #expect(llm.completionTokens == 5)
        guard case .modelInteraction(let embedding) = try F.typedEvent([("openinference.span.kind", .string("EMBEDDING")),
                                                                         ("llm.system", .string("cohere"))]) else { Issue.record("EMBEDDING"); return }
        #expect(embedding.modelProvider == "cohere")
        guard case .toolExecution(let tool) = try F.typedEvent([("openinference.span.kind", .string("TOOL")), ("tool.name", .string("calc"))])
        else { Issue.record("TOOL"); return }
        #expect(tool.toolName == "calc")
        guard case .agentRun(let agent) = try F.typedEvent([("openinference.span.kind", .string("AGENT"))], name: "planner")
        else { Issue.record("AGENT"); return }
        #expect(agent.agentName == "planner", "the span name when there is no agent.name")
        guard case .agentRun(let named) = try F.typedEvent([("openinference.span.kind", .string("AGENT")), ("agent.name", .string("boss"))])
        else { return }
        #expect(named.agentName == "boss")
        guard case .memoryOperation(let retriever) = try F.typedEvent([("openinference.span.kind", .string("RETRIEVER"))])
        else { Issue.record("RETRIEVER"); return }
        #expect(retriever.operationType == "search")
        for kind in ["CHAIN", "RERANKER", "GUARDRAIL", "EVALUATOR"] {
            #expect(try F.mapOne(F.span(attributes: [("openinference.span.kind", .string(kind))])).onClose.map(\.type) == ["span_end"], "\(kind)")
        }
    }

    @Test("run_id is torq.run_id or torq.run.id, else the trace id; session_id is session.id or gen_ai.conversation.id, else the run_id")
    func runAndSessionFallbacks() throws {
        func header(_ attributes: [(String, F.Value)]) throws -> EventHeader {
            try F.event(F.mapOne(F.span(attributes: attributes)).onClose[0]).header
        }
        let bare = try header([])
        #expect(bare.runID == F.traceHex)
        #expect(bare.sessionID == F.traceHex)
        let ours = try header([("torq.run.id", .string("run-1")), ("session.id", .string("sess-1"))])
        #expect(ours.runID == "run-1")
        #expect(ours.sessionID == "sess-1")
        #expect(ours.attributes["torq.run.id"] == nil && ours.attributes["session.id"] == nil, "read into the header")
        let theirs = try header([("torq.run_id", .string("run-2")), ("gen_ai.conversation.id", .string("conv-2"))])
        #expect(theirs.runID == "run-2")
        #expect(theirs.sessionID == "conv-2")
        let item = try F.mapOne(F.span(attributes: [("torq.run_id", .string("run-3"))]))
        #expect((item.firstSight + item.onClose).allSatisfy { $0.runKey == "run-3" })
    }

    @Test("every record carries service.name and the scope; the span_end the whole resource")
    func resourceOnEveryRecord() throws {
        let item = try F.mapOne(F.span(attributes: [("gen_ai.operation.name", .string("chat"))]))
        for record in item.firstSight + item.onClose {
            let attributes = try F.event(record).header.attributes
            #expect(attributes["service.name"] == .string("research-agent"), "\(record.type)")
            let resource: TelemetryValue? = record.type == "span_end" ? .object(["service.name": "research-agent", "deployment.environment": "test"]) : nil
            #expect(attributes["resource"] == resource, "\(record.type)")
            #expect(attributes["otel.scope.name"] == .string("openinference.instrumentation"), "\(record.type)")
            #expect(attributes["otel.scope.version"] == .string("1.2.3"), "\(record.type)")
        }
    }

    @Test("span links are kept as the tracer writes them")
    func linksAreKept() throws {
        var span = F.span()
        var link = Opentelemetry_Proto_Trace_V1_Span.Link()
        link.traceID = Data(F.traceBytes)
        link.spanID = Data(F.parentBytes)
        link.attributes = F.keyValues([("why", .string("retry"))])
        span.links = [link]
        guard case .spanEnd(let end) = try F.event(F.mapOne(span).onClose[0]) else { return }
        #expect(end.header.attributes["links"] == .array([.object([
            EventField.traceID.key: .string(F.traceHex), EventField.spanID.key: "b1b2b3b4b5b6b7b8",
            EventField.attributes.key: .object(["why": "retry"]),
        ])]))
    }

    @Test("invalid spans are rejected and counted, with their position; valid ones beside them are kept")
    func invalidSpansAreRejectedWithPosition() {
        var request = F.traces([
            F.span(),
            F.span(trace: Array(repeating: 1, count: 24)),
            F.span(span: Array(repeating: 0, count: 8)),
            F.span(start: F.end, end: F.start),
            F.span(parent: [1, 2, 3]),
        ])
        var second = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        second.spans = [F.span(trace: Array(repeating: 0, count: 16))]
        request.resourceSpans[0].scopeSpans.append(second)
        let mapped = OTLPTraceMapper().map(request)
        #expect(mapped.items.count == 1)
        #expect(mapped.rejected == 5)
        let message = mapped.rejectionMessage
        #expect(message.contains("resourceSpans[0].scopeSpans[0].spans[1]: trace_id is 24 bytes, expected 16"), "\(message)")
        #expect(message.contains("resourceSpans[0].scopeSpans[0].spans[2]: span_id is all zero"), "\(message)")
        #expect(message.contains("resourceSpans[0].scopeSpans[0].spans[3]: end_time_unix_nano is before start_time_unix_nano"), "\(message)")
        #expect(message.contains("resourceSpans[0].scopeSpans[0].spans[4]: parent_span_id is 3 bytes"), "\(message)")
        #expect(message.contains("resourceSpans[0].scopeSpans[1].spans[0]: trace_id is all zero"), "\(message)")
        #expect(mapped.recordCount == 2, "span_start and span_end of the valid span")
    }
}
