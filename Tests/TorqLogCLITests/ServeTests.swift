import Foundation
import Synchronization
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve` end to end: what real OTLP clients send is what the store's
/// readers (`export`, `telemetry`, `trace`, `verify`) find, ids as lowercase hex,
/// and a retried request stores nothing twice.
@Suite("serve: OTLP/HTTP and JSONL into the store")
struct ServeTests {
    /// Whether python3 has the OpenTelemetry SDK and its OTLP/HTTP exporter.
    static let sdkAvailable: Bool = {
        guard let python = try? python3(),
              let result = try? Child.run(executable: python, ["-c", "import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter"])
        else { return false }
        return result.status == 0
    }()

    /// Tests/Python/otel_agent.py: GenAI spans through the SDK's BatchSpanProcessor and OTLPSpanExporter (protobuf, gzip).
    static let agentScript: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/otel_agent.py").path
    }()

    /// The store's records of `event_type` `type`.
    static func records(_ events: [[String: Any]], _ type: String) -> [[String: Any]] {
        events.filter { $0.string("event_type") == type }
    }

    @Test("four OpenTelemetry SDK agents at once (protobuf, gzip): export, telemetry and trace show every span, model, token and tool they sent",
          .enabled(if: sdkAvailable, "python3 with opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http is missing: make deps"))
    func concurrentSDKAgentsAreStoredAsSent() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            let agents = 4, runs = 25
            let python = try python3()
            let results = Mutex<[Int: Result<CommandResult, HarnessError>]>([:])
            let endpoint = server.endpoint, script = Self.agentScript
            DispatchQueue.concurrentPerform(iterations: agents) { i in
                let result = Result { () throws(HarnessError) -> CommandResult in
                    do { return try Child.run(executable: python, [script, endpoint, String(i), String(runs)], timeout: 120) }
                    catch let error as HarnessError { throw error }
                    catch { throw HarnessError("\(error)") }
                }
                results.withLock { $0[i] = result }
            }
            let exit = try server.terminate()
            #expect(exit.succeeded, "serve after SIGTERM: \(exit.summary)")

            // What the agents say they sent.
            var spans = Set<String>()                       // "trace/span"
            var traces: [String: [String: Any]] = [:]       // trace id → {span_ids, input_tokens, output_tokens}
            var models: [String: (calls: Int, input: Int, output: Int)] = [:]
            var tools: [String: Int] = [:]
            var agentRuns = 0
            var logRecords = 0
            for i in 0..<agents {
                let run = try #require(results.withLock { $0[i] }).get()
                #expect(run.status == 0, "agent \(i): \(run.summary) \(run.stdoutText.prefix(500))")
                let sent = try #require(foundationObject(run.stdoutText), "agent \(i) printed no JSON: \(run.summary)")
                #expect(sent["exported_spans"] as? Int == sent["spans"] as? Int, "agent \(i): \(run.stdoutText.prefix(500))")
                for (traceID, value) in sent["traces"] as? [String: [String: Any]] ?? [:] {
                    traces[traceID] = value
                    for spanID in value["span_ids"] as? [String] ?? [] { spans.insert(traceID + "/" + spanID) }
                }
                for (model, value) in sent["models"] as? [String: [String: Int]] ?? [:] {
                    let row = models[model] ?? (0, 0, 0)
                    models[model] = (row.calls + (value["calls"] ?? 0), row.input + (value["input_tokens"] ?? 0), row.output + (value["output_tokens"] ?? 0))
                }
                for (tool, calls) in sent["tools"] as? [String: Int] ?? [:] { tools[tool, default: 0] += calls }
                agentRuns += sent["agent_runs"] as? Int ?? 0
                logRecords += sent["log_records"] as? Int ?? 0
            }
            #expect(traces.count == agents * runs && spans.count == agents * runs * 5, "the agents sent \(traces.count) traces, \(spans.count) spans")

            // export: a span_start and a span_end per span, ids as sent, the run id the trace id.
            let events = try storeEvents(store)
            try #require(!Self.records(events, "span_start").isEmpty, "no span_start record in the store (\(events.count) records): the OTLP mapping stored nothing")
            for type in ["span_start", "span_end"] {
                let records = Self.records(events, type)
                let stored = records.map { ($0.string("trace_id") ?? "?") + "/" + ($0.string("span_id") ?? "?") }
                #expect(stored.count == spans.count && Set(stored) == spans,
                        "\(type): \(stored.count) records, \(Set(stored).intersection(spans).count) of the \(spans.count) spans sent")
                #expect(records.allSatisfy { $0.string("run_id") == $0.string("trace_id") }, "\(type): run_id is the trace id")
            }
            let chats = Self.records(events, "model_interaction")
            #expect(chats.count == models.values.reduce(0) { $0 + $1.calls }, "model_interaction events")
            for (model, sent) in models {
                let mine = chats.filter { $0.string("model_name") == model }
                #expect(mine.count == sent.calls, "\(model): calls")
                #expect(mine.reduce(0) { $0 + ($1["prompt_tokens"] as? Int ?? 0) } == sent.input, "\(model): prompt_tokens")
                #expect(mine.reduce(0) { $0 + ($1["completion_tokens"] as? Int ?? 0) } == sent.output, "\(model): completion_tokens")
            }
            let toolEvents = Self.records(events, "tool_execution")
            #expect(Dictionary(grouping: toolEvents, by: { $0.string("tool_name") ?? "?" }).mapValues(\.count) == tools, "tool_execution by tool_name")
            #expect(Self.records(events, "agent_run").count == agentRuns, "agent_run events")
            // The GenAI log events (SDK LoggerProvider → /v1/logs, protobuf, gzip) are stored as events
            // in their span's context, and add no second typed event (model_interaction counted above).
            let details = Self.records(events, "gen_ai.client.inference.operation.details")
            #expect(logRecords > 0 && details.count == logRecords, "log events: \(details.count) stored of \(logRecords) sent")
            #expect(details.allSatisfy { $0["span_id"] is String && $0["trace_id"] is String }, "each log event keeps its span's ids")

            // telemetry --format json: the same models, tokens and tools.
            let telemetry = try TorqlogBinary.run(["--dir", store, "telemetry", "--format", "json"])
            #expect(telemetry.succeeded, "telemetry: \(telemetry.summary)")
            let summary = try #require(try JSONSerialization.jsonObject(with: telemetry.stdout) as? [String: Any], "telemetry: \(telemetry.stdoutText.prefix(500))")
            let modelRows = summary["models"] as? [[String: Any]] ?? []
            for (model, sent) in models {
                let row = modelRows.first { $0.string("model_name") == model }
                #expect(row?["calls"] as? Int == sent.calls, "telemetry \(model): calls in \(modelRows)")
                #expect(row?["prompt_tokens"] as? Int == sent.input, "telemetry \(model): prompt_tokens")
                #expect(row?["completion_tokens"] as? Int == sent.output, "telemetry \(model): completion_tokens")
            }
            let toolRows = summary["tools"] as? [[String: Any]] ?? []
            for (tool, calls) in tools {
                #expect(toolRows.first { $0.string("tool_name") == tool }?["calls"] as? Int == calls, "telemetry \(tool): calls in \(toolRows)")
            }

            // trace TRACE_ID --format json: the trace's spans, closed, and its tokens (the first trace of each agent).
            for traceID in traces.keys.sorted().prefix(agents) {
                let sent = traces[traceID] ?? [:]
                let trace = try TorqlogBinary.run(["--dir", store, "trace", traceID, "--format", "json"])
                #expect(trace.succeeded, "trace \(traceID): \(trace.summary)")
                guard trace.succeeded, let document = try JSONSerialization.jsonObject(with: trace.stdout) as? [String: Any] else { continue }
                let run = document["run"] as? [String: Any] ?? [:]
                #expect(run["trace_ids"] as? [String] == [traceID], "trace \(traceID): trace_ids \(String(describing: run["trace_ids"]))")
                #expect(run["open_spans"] as? Int == 0, "trace \(traceID): open spans")
                let treeSpans = (document["spans"] as? [[String: Any]] ?? []).filter { $0.string("source") == "span" }
                #expect(Set(treeSpans.compactMap { $0.string("span_id") }) == Set(sent["span_ids"] as? [String] ?? []), "trace \(traceID): span ids")
                let tokens = run["tokens"] as? [String: Any] ?? [:]
                #expect(tokens["input"] as? Int == sent["input_tokens"] as? Int, "trace \(traceID): input tokens")
                #expect(tokens["output"] as? Int == sent["output_tokens"] as? Int, "trace \(traceID): output tokens")
            }
            #expect(try StoreContents.validRecords(store) == events.count)
        }
    }

    /// A root and a child span whose ids have hex letters (upper and lower case differ).
    static let pair: [TestSpan] = {
        let root = TestSpan.ids(trace: 0x2A, span: 0xA1), child = TestSpan.ids(trace: 0x2A, span: 0xB2)
        return [
            TestSpan(traceID: root.trace, spanID: root.span, name: "invoke_agent planner",
                     attributes: [("gen_ai.operation.name", "invoke_agent"), ("gen_ai.agent.name", "planner")]),
            TestSpan(traceID: child.trace, spanID: child.span, parentSpanID: root.span, name: "execute_tool web_search",
                     startNanoseconds: 1_772_366_400_050_000_000, endNanoseconds: 1_772_366_400_200_000_000,
                     attributes: [("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "web_search")]),
        ]
    }()

    @Test("OTLP/JSON with UPPERCASE hex traceId, spanId and parentSpanId: the store has them in lowercase hex")
    func uppercaseHexIDsAreStoredLowercase() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            let body = OTLPRequestBodies.tracesJSON(Self.pair, uppercase: true)
            #expect(String(decoding: body, as: UTF8.self).contains("\"traceId\":\"ABCDEF")) // the request really is uppercase
            let answer = try server.post("/v1/traces", "application/json", body)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.header("content-type") == "application/json", "\(answer.headers)")
            #expect(foundationObject(answer.bodyText) != nil, "an ExportTraceServiceResponse as JSON: \(answer)")
            #expect(try server.terminate().succeeded)

            let traceID = "abcdef" + String(repeating: "0", count: 24) + "2a"
            let events = try storeEvents(store)
            let starts = Self.records(events, "span_start")
            try #require(starts.count == 2, "span_start records: \(events.count) records in all")
            #expect(Set(starts.compactMap { $0.string("trace_id") }) == [traceID], "\(starts)")
            #expect(Set(starts.compactMap { $0.string("span_id") }) == ["fedcba98000000a1", "fedcba98000000b2"])
            let child = starts.first { $0.string("span_id") == "fedcba98000000b2" }
            #expect(child?.string("parent_span_id") == "fedcba98000000a1", "\(String(describing: child))")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(!export.stdoutText.contains("ABCDEF") && !export.stdoutText.contains("FEDCBA"), "no uppercase ids anywhere: \(export.stdoutText.prefix(600))")
            // The run is the trace (no torq.run_id attribute): replay finds it by the lowercase trace id.
            let replay = try TorqlogBinary.run(["--dir", store, "replay", traceID, "--format", "jsonl"])
            #expect(replay.succeeded && countNewlines(replay.stdout) == events.count, "replay \(traceID): \(replay.summary)")
        }
    }

    @Test("a retried request stores nothing twice: the same spans (as protobuf, then as JSON) and the same events")
    func retriedRequestsStoreNothingTwice() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--fsync", "always"])
            let traces = try gzipped(OTLPRequestBodies.tracesProtobuf(Self.pair))
            let gzip = [("Content-Encoding", "gzip")]
            #expect(try server.post("/v1/traces", "application/x-protobuf", traces, headers: gzip).status == 200)
            let firstEvents = try storeEvents(store)
            let afterFirst = firstEvents.count
            #expect(Self.records(firstEvents, "span_start").count == 2 && Self.records(firstEvents, "span_end").count == 2,
                    "a span_start and a span_end per span after the first request: \(afterFirst) records")
            #expect(try server.post("/v1/traces", "application/x-protobuf", traces, headers: gzip).status == 200)
            #expect(try server.post("/v1/traces", "application/json", OTLPRequestBodies.tracesJSON(Self.pair, uppercase: true)).status == 200)
            #expect(try storeEvents(store).count == afterFirst, "the retried spans were stored again")

            let lines = eventLines("retry", 0..<5)
            let first = try server.postEvents(lines)
            #expect(first.status == 200 && foundationObject(first.bodyText)?["stored"] as? Int == 5, "\(first)")
            let again = try server.postEvents(lines)
            let againJSON = foundationObject(again.bodyText)
            #expect(again.status == 200 && againJSON?["stored"] as? Int == 0 && againJSON?["duplicates"] as? Int == 5, "\(again)")
            // Lines without an event_id are retried by their bytes.
            let anonymous = [#"{"event_type":"agent_run","timestamp":"2026-03-01T12:00:00Z","run_id":"anon","agent_name":"a"}"#]
            #expect(foundationObject(try server.postEvents(anonymous).bodyText)?["stored"] as? Int == 1)
            #expect(foundationObject(try server.postEvents(anonymous).bodyText)?["duplicates"] as? Int == 1)
            // A retry with one more line stores that line only.
            let more = try server.postEvents(lines + eventLines("retry", 5..<6))
            #expect(foundationObject(more.bodyText)?["stored"] as? Int == 1, "\(more)")

            #expect(try server.terminate().succeeded)
            #expect(try StoreContents.validRecords(store) == afterFirst + 7)
            #expect(try StoreContents.eventIDs(store).filter { $0.hasPrefix("retry-") }.sorted() == (0..<6).map { "retry-\($0)" })
        }
    }
}
