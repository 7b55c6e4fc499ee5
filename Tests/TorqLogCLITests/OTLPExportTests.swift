import Foundation
import Testing
import TorqTestSupport
import TorqLogStore
import TorqTelemetry
import TorqJSON

/// `torqlog export --format otlp-json`: every line checked against the
/// official OpenTelemetry protobuf definitions (Python's opentelemetry-proto),
/// counts against an independent count, and the GenAI mapping.
@Suite("OTLP export")
struct OTLPExportTests {
    /// Whether python3 and opentelemetry-proto are there (the check skips otherwise).
    static let protoAvailable: Bool = {
        guard let python = try? python3(),
              let result = try? Child.run(executable: python, ["-c", "import google.protobuf.json_format, opentelemetry.proto.collector.trace.v1.trace_service_pb2, opentelemetry.proto.collector.logs.v1.logs_service_pb2"])
        else { return false }
        return result.status == 0
    }()

    static let checker: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/check_otlp.py").path
    }()

    /// Runs Tests/Python/check_otlp.py on `path`; its JSON summary.
    static func check(_ path: String) throws -> [String: Any] {
        let result = try Child.run(executable: "/usr/bin/env", ["python3", checker, path])
        #expect(result.status == 0, "\(result.stdoutText.prefix(2000)) \(result.stderrText.prefix(2000))")
        return try #require(foundationObject(result.stdoutText), "\(result.stdoutText) \(result.stderrText)")
    }

    @Test("every line parses as an ExportTraceServiceRequest or ExportLogsServiceRequest; counts match",
          .enabled(if: protoAvailable, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func officialDefinitions() throws {
        let dir = TemporaryDirectory("otlp")
        let (generated, expected) = TraceFixture.generated(seed: 11, runs: 120)
        var sample = SampleWorkload(seed: 5)
        let demo = (0..<300).map { _ in String(decoding: sample.nextLine(), as: UTF8.self) }
        let input = try dir.write("in.jsonl", lines: TraceFixture.handRun + generated + demo)
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", input]).status == 0)
        let out = dir.file("otlp.jsonl")
        let export = try TorqlogBinary.run(["--dir", store, "export", "--format", "otlp-json", "-o", out])
        #expect(export.status == 0, "\(export.stderrText)")
        let summary = try Self.check(out)
        // Independent counts: spans are the distinct span ids of span records and of other records with a
        // trace id (as `trace` draws them); everything but span records is a log.
        var spanIDs = Set<String>(), starts = Set<String>(), ends = Set<String>()
        var logs = 0
        for line in TraceFixture.handRun + generated + demo {
            guard let object = foundationObject(line) else { continue }
            let type = object["event_type"] as? String
            if type == "span_start" || type == "span_end", let id = object["span_id"] as? String {
                spanIDs.insert(id)
                if type == "span_start" { starts.insert(id) } else { ends.insert(id) }
            } else {
                logs += 1
                if let id = object["span_id"] as? String, object["trace_id"] is String { spanIDs.insert(id) }
            }
        }
        #expect(summary["spans"] as? Int == spanIDs.count)
        #expect(summary["open_spans"] as? Int == starts.subtracting(ends).count)
        #expect(summary["open_spans"] as? Int == expected.reduce(0) { $0 + $1.openSpans } + 1)
        #expect(summary["logs"] as? Int == logs)
        #expect((summary["trace_lines"] as? Int ?? 0) + (summary["log_lines"] as? Int ?? 0) == summary["lines"] as? Int)
        #expect((summary["trace_lines"] as? Int ?? 0) >= 2, "more than 512 spans: several lines")
        // Lines hold one kind of request, at most 512 items.
        let text = try String(contentsOfFile: out, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let object = try #require(foundationObject(String(line)))
            #expect(object.count == 1)
            let items = line.components(separatedBy: "\"spanId\":").count - 1
            if object["resourceSpans"] != nil { #expect(items <= 512) }
        }
        // --run and --since filter as for jsonl; the run's spans only.
        let one = dir.file("r1.jsonl")
        #expect(try TorqlogBinary.run(["--dir", store, "export", "--format", "otlp-json", "--run", "r1", "-o", one]).status == 0)
        let r1 = try Self.check(one)
        #expect(r1["spans"] as? Int == 7, "six from span records, one from the web search's own span id")
        #expect(r1["logs"] as? Int == 6)
        #expect(r1["open_spans"] as? Int == 1)
    }

    @Test("the default format is unchanged: JSONL byte for byte")
    func jsonlDefault() throws {
        let dir = TemporaryDirectory("otlp-jsonl")
        let input = try dir.write("in.jsonl", lines: TraceFixture.handRun)
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", input]).status == 0)
        let plain = try TorqlogBinary.run(["--dir", store, "export"])
        let jsonl = try TorqlogBinary.run(["--dir", store, "export", "--format", "jsonl"])
        #expect(plain.stdout == jsonl.stdout)
        #expect(plain.stdoutText == TraceFixture.handRun.joined(separator: "\n") + "\n")
        #expect(try TorqlogBinary.run(["--dir", store, "export", "--format", "xml"]).status == 64)
    }

    static func encode(_ lines: [String], _ options: OTLPJSONEncoder.Options = .init()) throws -> [[String: Any]] {
        var encoder = OTLPJSONEncoder(options: options)
        for line in lines { try encoder.add(json: line) }
        encoder.finish()
        return try encoder.takeLines().map { try #require(foundationObject($0)) }
    }

    /// The attributes of the first log record or span of `request`, as key → AnyValue.
    static func attributes(_ item: [String: Any]) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for kv in item["attributes"] as? [[String: Any]] ?? [] {
            if let key = kv["key"] as? String, let value = kv["value"] as? [String: Any] { out[key] = value }
        }
        return out
    }

    static func logRecords(_ requests: [[String: Any]]) -> [[String: Any]] {
        requests.flatMap { ($0["resourceLogs"] as? [[String: Any]] ?? []) }
            .flatMap { ($0["scopeLogs"] as? [[String: Any]] ?? []) }
            .flatMap { ($0["logRecords"] as? [[String: Any]] ?? []) }
    }

    static func spans(_ requests: [[String: Any]]) -> [[String: Any]] {
        requests.flatMap { ($0["resourceSpans"] as? [[String: Any]] ?? []) }
            .flatMap { ($0["scopeSpans"] as? [[String: Any]] ?? []) }
            .flatMap { ($0["spans"] as? [[String: Any]] ?? []) }
    }

    @Test("GenAI mapping: model, tool, memory, routing, agent; typed values; content only when asked")
    func genAI() throws {
        let model = #"{"event_id":"m1","event_type":"model_interaction","timestamp":"2026-03-01T12:00:00Z","session_id":"s","run_id":"r","model_provider":"anthropic","model_name":"claude","prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"response_time_ms":120.5,"success":true}"#
        let tool = #"{"event_id":"t1","event_type":"tool_execution","timestamp":"2026-03-01T12:00:01Z","session_id":"s","tool_name":"web_search","tool_type":"search","status":"failed","success":false,"error_message":"boom","attributes":{"custom":[1,"two",{"three":3.5}]}}"#
        let memory = #"{"event_id":"x1","event_type":"memory_operation","timestamp":"2026-03-01T12:00:02Z","session_id":"s","memory_type":"episodic","memory_backend":"redis","operation_type":"read","operation_time_ms":2,"cache_hit":true}"#
        let routing = #"{"event_id":"q1","event_type":"routing_decision","timestamp":"2026-03-01T12:00:03Z","session_id":"s","query":"secret question","selected_agent":"a","routing_strategy":"rules","confidence_score":0.5,"candidate_agents":["a","b"]}"#
        let agent = #"{"event_id":"a1","event_type":"agent_run","timestamp":"2026-03-01T12:00:04Z","session_id":"s","agent_name":"helper","agent_type":"react","status":"completed","user_query":"secret question","tools_used":["web_search"]}"#
        let requests = try Self.encode([model, tool, memory, routing, agent])
        #expect(requests.count == 1)
        let records = Self.logRecords(requests)
        #expect(records.count == 5)
        let m = Self.attributes(records[0])
        #expect(m["gen_ai.operation.name"]?["stringValue"] as? String == "chat")
        #expect(m["gen_ai.provider.name"]?["stringValue"] as? String == "anthropic")
        #expect(m["gen_ai.request.model"]?["stringValue"] as? String == "claude")
        #expect(m["gen_ai.usage.input_tokens"]?["intValue"] as? String == "10")
        #expect(m["gen_ai.usage.output_tokens"]?["intValue"] as? String == "5")
        #expect(m["torq.usage.total_tokens"]?["intValue"] as? String == "15")
        #expect(m["torq.duration_ms"]?["doubleValue"] as? Double == 120.5)
        #expect(m["gen_ai.conversation.id"]?["stringValue"] as? String == "s")
        #expect(m["torq.run.id"]?["stringValue"] as? String == "r")
        #expect(m["torq.event.id"]?["stringValue"] as? String == "m1")
        #expect(records[0]["timeUnixNano"] as? String == String(RFC3339.parseNanoseconds("2026-03-01T12:00:00Z") ?? 0))
        #expect(records[0]["severityNumber"] as? Int == 9)
        #expect(records[0]["eventName"] as? String == "torq.model_interaction")
        let t = Self.attributes(records[1])
        #expect(t["gen_ai.operation.name"]?["stringValue"] as? String == "execute_tool")
        #expect(t["gen_ai.tool.name"]?["stringValue"] as? String == "web_search")
        #expect(t["gen_ai.tool.type"]?["stringValue"] as? String == "search")
        #expect(t["error.type"]?["stringValue"] as? String == "failed")
        #expect(t["torq.success"]?["boolValue"] as? Bool == false)
        #expect(records[1]["severityNumber"] as? Int == 17)
        let custom = try #require(t["custom"]?["arrayValue"] as? [String: Any])
        let values = try #require(custom["values"] as? [[String: Any]])
        #expect(values.count == 3)
        #expect(values[0]["intValue"] as? String == "1")
        #expect(values[1]["stringValue"] as? String == "two")
        #expect(((values[2]["kvlistValue"] as? [String: Any])?["values"] as? [[String: Any]])?.first?["key"] as? String == "three")
        let x = Self.attributes(records[2])
        #expect(x["gen_ai.operation.name"]?["stringValue"] as? String == "search_memory")
        #expect(x["db.system.name"]?["stringValue"] as? String == "redis")
        #expect(x["gen_ai.memory.store.id"]?["stringValue"] as? String == "redis")
        #expect(x["torq.memory.cache_hit"]?["boolValue"] as? Bool == true)
        let q = Self.attributes(records[3])
        #expect(q["gen_ai.operation.name"]?["stringValue"] as? String == "torq.route")
        #expect(q["torq.routing.selected_agent"]?["stringValue"] as? String == "a")
        #expect(q["torq.routing.confidence_score"]?["doubleValue"] as? Double == 0.5)
        #expect(q["torq.routing.query"] == nil, "content is opt-in")
        let a = Self.attributes(records[4])
        #expect(a["gen_ai.operation.name"]?["stringValue"] as? String == "invoke_agent")
        #expect(a["gen_ai.agent.name"]?["stringValue"] as? String == "helper")
        #expect(a["gen_ai.input.messages"] == nil, "content is opt-in")
        let withContent = Self.logRecords(try Self.encode([routing, agent], .init(includeContent: true)))
        #expect(Self.attributes(withContent[0])["torq.routing.query"]?["stringValue"] as? String == "secret question")
        let messages = try #require(Self.attributes(withContent[1])["gen_ai.input.messages"]?["stringValue"] as? String)
        #expect(messages == #"[{"role":"user","parts":[{"type":"text","content":"secret question"}]}]"#)
    }

    @Test("spans: ids, kind numbers, times as strings, status, events, open and start-less spans, service name")
    func spanMapping() throws {
        let requests = try Self.encode(TraceFixture.handRun)
        let spans = Self.spans(requests)
        #expect(spans.count == 7)
        let byName = Dictionary(spans.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let root = try #require(byName["agent.run support <main>"])
        #expect(root["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(root["spanId"] as? String == "00f067aa0ba902b7")
        #expect(root["parentSpanId"] == nil)
        #expect(root["kind"] as? Int == 2)
        #expect(root["startTimeUnixNano"] as? String == String(RFC3339.parseNanoseconds("2026-03-01T12:00:00Z") ?? 0))
        #expect(root["endTimeUnixNano"] as? String == String(RFC3339.parseNanoseconds("2026-03-01T12:00:02.5Z") ?? 0))
        #expect((root["status"] as? [String: Any])?["code"] as? Int == 1)
        let llm = try #require(byName["llm.chat claude"])
        #expect(llm["kind"] as? Int == 3)
        #expect(llm["parentSpanId"] as? String == "00f067aa0ba902b7")
        #expect((llm["events"] as? [[String: Any]])?.map { $0["name"] as? String } == ["first_token", "done"])
        #expect(Self.attributes(llm)["events"] == nil)
        let search = try #require(byName["tool.search \"docs\""])
        #expect((search["status"] as? [String: Any])?["code"] as? Int == 2)
        #expect((search["status"] as? [String: Any])?["message"] as? String == "search failed: timeout")
        let open = try #require(byName["tool.slow_export (never ended)"])
        #expect(open["startTimeUnixNano"] as? String == open["endTimeUnixNano"] as? String)
        #expect(Self.attributes(open)["torq.span.open"]?["boolValue"] as? Bool == true)
        #expect((open["status"] as? [String: Any])?["code"] as? Int == 0)
        // The web search names a span of its own: a span made from the record, marked so, listing it.
        let route = try #require(byName["execute_tool web_search"])
        #expect(route["spanId"] as? String == "3100000000000031")
        #expect(route["parentSpanId"] as? String == "3000000000000003")
        #expect(Self.attributes(route)["torq.span.derived"]?["stringValue"] as? String == "event")
        #expect(((Self.attributes(route)["torq.event.ids"]?["arrayValue"] as? [String: Any])?["values"] as? [[String: Any]])?
            .compactMap { $0["stringValue"] as? String } == ["e9"])
        #expect(Self.attributes(route)["gen_ai.operation.name"]?["stringValue"] as? String == "execute_tool")
        #expect((route["status"] as? [String: Any])?["code"] as? Int == 2)
        // The root's records travel as log records: listed, so that a receiver derives no second event.
        #expect(((Self.attributes(root)["torq.event.ids"]?["arrayValue"] as? [String: Any])?["values"] as? [[String: Any]])?
            .compactMap { $0["stringValue"] as? String } == ["e13", "e14"])
        let cache = try #require(byName["cache.lookup"])
        #expect(Self.attributes(cache)["torq.span.start_derived"]?["boolValue"] as? Bool == true)
        #expect(cache["startTimeUnixNano"] as? String == String(RFC3339.parseNanoseconds("2026-03-01T12:00:01.92Z") ?? 0))
        let services = requests.flatMap { ($0["resourceSpans"] as? [[String: Any]] ?? []) }.compactMap {
            Self.attributes(($0["resource"] as? [String: Any]) ?? [:])["service.name"]?["stringValue"] as? String
        }
        #expect(Set(services) == ["support-bot", "torqlog"])
        // Lines are one kind each, and batches split at the limit.
        let small = try Self.encode(TraceFixture.handRun, .init(maxSpansPerLine: 2, maxLogsPerLine: 4))
        #expect(small.allSatisfy { $0.count == 1 })
        #expect(Self.spans(small).count == 7)
        #expect(Self.logRecords(small).count == 6)
        #expect(small.filter { $0["resourceSpans"] != nil }.count == 4)
        #expect(small.filter { $0["resourceLogs"] != nil }.count == 2)
    }

    @Test("span links from attributes.links, as the tracer writes them")
    func links() throws {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736"
        let spans = Self.spans(try Self.encode([
            #"{"event_type":"span_end","timestamp":"2026-03-01T12:00:01Z","trace_id":"\#(t)","span_id":"00000000000000a1","name":"linked","status":"ok","duration_ms":5,"attributes":{"links":[{"trace_id":"\#(t)","span_id":"00000000000000b2","attributes":{"why":"retry"}}]}}"#,
            #"{"event_type":"span_end","timestamp":"2026-03-01T12:00:01Z","trace_id":"\#(t)","span_id":"00000000000000a2","name":"odd","status":"ok","attributes":{"links":"not a list"}}"#,
        ]))
        #expect(spans.count == 2)
        let links = try #require(spans[0]["links"] as? [[String: Any]])
        #expect(links.count == 1)
        #expect(links[0]["spanId"] as? String == "00000000000000b2")
        #expect(Self.attributes(links[0])["why"]?["stringValue"] as? String == "retry")
        #expect(Self.attributes(spans[0])["links"] == nil)
        #expect(spans[1]["links"] == nil)
        #expect(Self.attributes(spans[1])["links"]?["stringValue"] as? String == "not a list")
    }

    @Test("the demo's activity (spans from the tracer, events from the collector) exports valid OTLP",
          .enabled(if: protoAvailable, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func demo() throws {
        let dir = TemporaryDirectory("otlp-demo")
        let store = dir.file("store")
        let demo = try TorqlogBinary.run(["--dir", store, "demo"])
        #expect(demo.status == 0, "\(demo.stderrText)")
        let out = dir.file("demo.jsonl")
        let export = try TorqlogBinary.run(["--dir", store, "export", "--format", "otlp-json", "--include-content", "-o", out])
        #expect(export.status == 0, "\(export.stderrText)")
        let summary = try Self.check(out)
        let all = try TorqlogBinary.run(["--dir", store, "export"]).stdoutText.split(separator: "\n").compactMap { foundationObject(String($0)) }
        // Every span id `trace` draws: span records', and the collector events' own span ids.
        let spanIDs = Set(all.filter { ($0["event_type"] as? String)?.hasPrefix("span_") == true || $0["trace_id"] is String }
            .compactMap { $0["span_id"] as? String })
        #expect(summary["spans"] as? Int == spanIDs.count)
        #expect(summary["logs"] as? Int == all.count - all.filter { ($0["event_type"] as? String)?.hasPrefix("span_") == true }.count)
    }

    @Test("a bad record is reported on standard error, the rest exported, exit 65")
    func badRecord() throws {
        let dir = TemporaryDirectory("otlp-bad")
        let input = try dir.write("in.jsonl", lines: TraceFixture.handRun + [#"{"event_type":"span_start","timestamp":"2026-03-01T12:00:09Z","name":"no ids"}"#])
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", input]).status == 0)
        let result = try TorqlogBinary.run(["--dir", store, "export", "--format", "otlp-json"])
        #expect(result.status == 65)
        #expect(result.stderrText.contains("record at sequence 16: span_id: a span_start needs a span_id; not exported"))
        #expect(Self.spans(result.stdoutText.split(separator: "\n").compactMap { foundationObject(String($0)) }).count == 7)
    }
}

/// Spans from records that only carry span ids (JSONL from other programs): exported as `trace` draws them.
@Suite("OTLP export: spans from events")
struct OTLPExportEventSpanTests {
    /// `count` events in runs of 50, none a span record, every one naming a span: a root agent run, and
    /// tool, model and memory calls under it; some tools have a start and an end record with one span id.
    static func eventsWithSpanIDs(count: Int) -> [String] {
        var lines: [String] = []
        var run = 0
        let base = RFC3339.parseNanoseconds("2026-03-01T12:00:00Z") ?? 0
        func stamp(_ ns: Int64) -> String { RFC3339.format(nanoseconds: ns, fractionDigits: 6) }
        while lines.count < count {
            let trace = String(format: "%032x", 0xabc0_0000 + run)
            let root = String(format: "%016x", 0x1000_0000 + run * 1000)
            let t0 = base + Int64(run) * 60_000_000_000
            lines.append(#"{"event_id":"r\#(run)-start","event_type":"agent_run","timestamp":"\#(stamp(t0))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(root)","agent_name":"a","agent_type":"react","status":"started"}"#)
            for i in 1...48 where lines.count < count - 1 {
                let span = String(format: "%016x", 0x1000_0000 + run * 1000 + i)
                let t = t0 + Int64(i) * 100_000_000
                switch i % 4 {
                case 0:
                    lines.append(#"{"event_id":"r\#(run)-\#(i)","event_type":"model_interaction","timestamp":"\#(stamp(t))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(span)","parent_span_id":"\#(root)","model_provider":"openai","model_name":"gpt-4o","prompt_tokens":10,"completion_tokens":3,"response_time_ms":40.5,"success":true}"#)
                case 1:
                    lines.append(#"{"event_id":"r\#(run)-\#(i)a","event_type":"tool_execution","timestamp":"\#(stamp(t))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(span)","parent_span_id":"\#(root)","tool_name":"search","tool_type":"api","status":"started"}"#)
                    if lines.count < count - 1 {
                        lines.append(#"{"event_id":"r\#(run)-\#(i)b","event_type":"tool_execution","timestamp":"\#(stamp(t + 30_000_000))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(span)","parent_span_id":"\#(root)","tool_name":"search","tool_type":"api","status":"completed","execution_time_ms":30,"success":true}"#)
                    }
                case 2:
                    lines.append(#"{"event_id":"r\#(run)-\#(i)","event_type":"tool_execution","timestamp":"\#(stamp(t))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(span)","parent_span_id":"\#(root)","tool_name":"fetch","tool_type":"api","status":"failed","success":false,"error_message":"boom","execution_time_ms":12}"#)
                default:
                    lines.append(#"{"event_id":"r\#(run)-\#(i)","event_type":"memory_operation","timestamp":"\#(stamp(t))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(span)","parent_span_id":"\#(root)","memory_type":"episodic","memory_backend":"redis","operation_type":"read","operation_time_ms":2,"success":true}"#)
                }
            }
            lines.append(#"{"event_id":"r\#(run)-end","event_type":"agent_run","timestamp":"\#(stamp(t0 + 5_000_000_000))","session_id":"s","run_id":"run-\#(run)","trace_id":"\#(trace)","span_id":"\#(root)","agent_name":"a","agent_type":"react","status":"completed"}"#)
            run += 1
        }
        return lines
    }

    /// `trace --format json`'s spans of `run` (recorded or made from records), by span id:
    /// parent, start, end (the start while open), OTLP status code.
    static func traceSpans(store: String, run: String) throws -> [String: [String]] {
        let result = try TorqlogBinary.run(["--dir", store, "trace", run, "--format", "json"])
        #expect(result.status == 0, "\(result.stderrText)")
        let document = try #require(foundationObject(result.stdoutText))
        var out: [String: [String]] = [:]
        for span in document["spans"] as? [[String: Any]] ?? [] where span["source"] as? String != "unrecorded" {
            let id = span["span_id"] as? String ?? ""
            let start = span["start_unix_nano"] as? String ?? ""
            let code = ["unset": "0", "ok": "1", "error": "2"][span["status"] as? String ?? ""] ?? "?"
            out[id] = [span["parent_span_id"] as? String ?? "-", start, span["end_unix_nano"] as? String ?? start, code]
        }
        return out
    }

    /// The exported spans of `run` (by `torq.run.id`), as ``traceSpans(store:run:)`` gives them.
    static func exportedSpans(_ requests: [[String: Any]], run: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for span in OTLPExportTests.spans(requests)
        where OTLPExportTests.attributes(span)["torq.run.id"]?["stringValue"] as? String == run {
            let code = ((span["status"] as? [String: Any])?["code"] as? Int).map(String.init) ?? "?"
            out[span["spanId"] as? String ?? ""] = [span["parentSpanId"] as? String ?? "-", span["startTimeUnixNano"] as? String ?? "",
                                                  span["endTimeUnixNano"] as? String ?? "", code]
        }
        return out
    }

    @Test("a store of 5,000 events that only carry span ids exports a span per span id, as `trace` draws them; every line parses",
          .enabled(if: OTLPExportTests.protoAvailable, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func eventsThatNameSpansExportSpans() throws {
        let dir = TemporaryDirectory("otlp-event-spans")
        let lines = Self.eventsWithSpanIDs(count: 5_000)
        let input = try dir.write("in.jsonl", lines: lines)
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", input]).status == 0)
        let out = dir.file("otlp.jsonl")
        let export = try TorqlogBinary.run(["--dir", store, "export", "--format", "otlp-json", "-o", out])
        #expect(export.status == 0, "\(export.stderrText)")
        let summary = try OTLPExportTests.check(out)
        let spanIDs = Set(lines.compactMap { foundationObject($0)?["span_id"] as? String })
        #expect(spanIDs.count > 3_000)
        #expect(summary["spans"] as? Int == spanIDs.count)
        #expect(summary["logs"] as? Int == 5_000)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let requests = text.split(separator: "\n").compactMap { foundationObject(String($0)) }
        for run in ["run-0", "run-7", "run-42"] {
            let traced = try Self.traceSpans(store: store, run: run)
            #expect(traced.count >= 38)
            #expect(Self.exportedSpans(requests, run: run) == traced, "\(run)")
        }
    }
}
