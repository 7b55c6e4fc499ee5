import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve` with what the store itself exports, with spans that arrive
/// open then closed, and at its request limit.
@Suite("serve: round trips, open spans, back-pressure")
struct ServeRoundTripTests {
    private static let typed: Set<String> = ["tool_execution", "model_interaction", "agent_run", "memory_operation", "routing_decision"]

    @Test("store → export --format otlp-json → POST → store: every event comes back as itself, every span with its ids, name, status and duration")
    func exportedStoreRoundTrips() throws {
        try withTemporaryDirectory { dir in
            let source = dir + "/a", target = dir + "/b"
            let demo = try TorqlogBinary.run(["--dir", source, "demo", "--runs", "3"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let export = try TorqlogBinary.run(["--dir", source, "export", "--format", "otlp-json", "--include-content"])
            try #require(export.succeeded, "export: \(export.summary)")
            let server = try ServeProcess(store: target)
            var requests = 0
            for line in export.stdoutText.split(separator: "\n") {
                let path = line.hasPrefix("{\"resourceSpans\"") ? "/v1/traces" : "/v1/logs"
                let answer = try server.post(path, "application/json", Array(line.utf8))
                #expect(answer.status == 200, "\(path): \(answer)")
                #expect(!answer.bodyText.contains("partialSuccess"), "nothing rejected: \(answer.bodyText)")
                requests += 1
            }
            #expect(requests >= 2, "spans and logs were exported")
            #expect(try server.terminate().succeeded)

            let before = try storeEvents(source), after = try storeEvents(target)
            let events = { (all: [[String: Any]]) -> [String: NSDictionary] in
                Dictionary(uniqueKeysWithValues: all.filter { Self.typed.contains($0["event_type"] as? String ?? "") }
                    .map { ($0["event_id"] as? String ?? "", $0 as NSDictionary) })
            }
            let (a, b) = (events(before), events(after))
            #expect(a.count > 10 && a.count == b.count, "typed events: \(a.count) stored, \(b.count) back")
            for (id, event) in a {
                #expect(b[id] == event, "event \(id) came back different:\n\(event)\n\(b[id].map { "\($0)" } ?? "missing")")
            }
            // Spans: the same ids, names, statuses and durations (new event ids, the resource added).
            let spans = { (all: [[String: Any]]) -> [String: [String: Any]] in
                Dictionary(all.filter { $0["event_type"] as? String == "span_end" }
                    .map { (($0["trace_id"] as? String ?? "") + "/" + ($0["span_id"] as? String ?? ""), $0) }, uniquingKeysWith: { x, _ in x })
            }
            let (sa, sb) = (spans(before), spans(after))
            #expect(!sa.isEmpty && sa.count == sb.count, "span_end records: \(sa.count) stored, \(sb.count) back")
            for (key, span) in sa {
                let back = try #require(sb[key], "span \(key) missing")
                for field in ["name", "status", "parent_span_id", "run_id", "session_id", "timestamp"] {
                    #expect((span[field] as? String) == (back[field] as? String), "span \(key) \(field)")
                }
                let (d1, d2) = (span["duration_ms"] as? Double ?? -1, back["duration_ms"] as? Double ?? -2)
                #expect(abs(d1 - d2) < 0.001, "span \(key) duration \(d1) vs \(d2)")
            }
        }
    }

    @Test("a span sent open, then closed, then closed again: one span_start, one span_end, one typed event")
    func openThenClosedSpan() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            let ids = TestSpan.ids(trace: 9, span: 1)
            var span = TestSpan(traceID: ids.trace, spanID: ids.span, name: "chat gpt-4o",
                                attributes: [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o")])
            let closedEnd = span.endNanoseconds
            span.endNanoseconds = 0
            #expect(try server.post("/v1/traces", "application/x-protobuf", OTLPRequestBodies.tracesProtobuf([span])).status == 200)
            span.endNanoseconds = closedEnd
            for _ in 0..<2 {
                #expect(try server.post("/v1/traces", "application/x-protobuf", OTLPRequestBodies.tracesProtobuf([span])).status == 200)
            }
            #expect(try server.terminate().succeeded)
            let types = try storeEvents(store).compactMap { $0["event_type"] as? String }
            #expect(types.sorted() == ["model_interaction", "span_end", "span_start"], "\(types)")
        }
    }

    @Test("at --max-requests, the next request is answered 503 with Retry-After, and served once a slot is free")
    func requestLimitAnswers503() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--max-requests", "1"])
            let line = Array("{\"event_id\":\"held\",\"event_type\":\"x\"}\n".utf8)
            // A request whose body is half sent holds the only slot.
            let held = try RawHTTPConnection(port: server.port)
            #expect(held.send(RawHTTPConnection.head("POST", "/v1/events", [("Content-Type", "application/x-ndjson"), ("Content-Length", String(line.count))])))
            #expect(held.send(line.prefix(10)))
            usleep(300_000)
            let refused = try server.postEvents(["{\"event_id\":\"refused\"}"])
            #expect(refused.status == 503, "\(refused)")
            #expect(refused.header("Retry-After") == "1")
            // The held request completes and is stored; then the slot serves again.
            #expect(held.send(line.dropFirst(10)))
            let answer = try held.readAnswer()
            #expect(answer.status == 200, "\(answer)")
            let later = try server.postEvents(["{\"event_id\":\"later\"}"])
            #expect(later.status == 200, "\(later)")
            #expect(try server.terminate().succeeded)
            let ids = try storeEvents(store).compactMap { $0["event_id"] as? String }
            #expect(ids == ["held", "later"], "\(ids)")
        }
    }

    @Test("an address already taken: exit 69 (EX_UNAVAILABLE) with the address and errno, the store left as it was")
    func addressInUse() throws {
        try withTemporaryDirectory { dir in
            let first = try ServeProcess(store: dir + "/a")
            let second = try TorqlogBinary.run(["--dir", dir + "/b", "serve", "--listen", "127.0.0.1:\(first.port)", "--log-level", "critical"])
            #expect(second.status == 69, "\(second.summary)")
            #expect(second.stderrText.contains("cannot listen on 127.0.0.1:\(first.port): Address already in use (errno 98)"), "\(second.stderrText)")
            #expect(try first.terminate().succeeded)
            let verify = try TorqlogBinary.run(["--dir", dir + "/b", "verify"])
            #expect(verify.succeeded, "\(verify.summary)")
        }
    }
}
