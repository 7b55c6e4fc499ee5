import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve` refuses what it must with the right status, and goes on serving:
/// bad bodies, bodies over --max-body (as sent and once inflated), media types and
/// codings it does not take, wrong methods and paths, missing tokens, slow clients.
@Suite("serve: bad requests, limits, tokens, slow clients")
struct ServeLimitTests {
    static let span: TestSpan = {
        let ids = TestSpan.ids(trace: 1, span: 1)
        return TestSpan(traceID: ids.trace, spanID: ids.span, name: "limits")
    }()

    /// Checks `answer`'s status, with `label` and the answer in the message.
    static func expectStatus(_ answer: HTTPAnswer, _ status: Int, _ label: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == status, "\(label): expected \(status), got \(answer)", sourceLocation: sourceLocation)
    }

    /// The store holds the events `events` (by id) and `span`'s span_start and span_end, nothing else.
    static func expectStored(_ store: String, events: [String], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let records = try storeEvents(store)
        let spanTypes: Set<String> = ["span_start", "span_end"]
        let spanRecords = records.filter { spanTypes.contains($0.string("event_type") ?? "") }
        let others = records.filter { !spanTypes.contains($0.string("event_type") ?? "") }
        #expect(others.compactMap { $0.string("event_id") }.sorted() == events.sorted(), "\(label): events", sourceLocation: sourceLocation)
        #expect(spanRecords.map { $0.string("event_type") ?? "?" }.sorted() == ["span_end", "span_start"]
                    && spanRecords.allSatisfy { $0.string("span_id") == "fedcba9800000001" },
                "\(label): the good span once, as span_start and span_end: \(spanRecords)", sourceLocation: sourceLocation)
        #expect(try StoreContents.validRecords(store, sourceLocation: sourceLocation) == records.count, sourceLocation: sourceLocation)
    }

    @Test("every bad request gets its status code (400, 413, 415, 405, 404), and a good request after them all gets 200")
    func everyBadRequestGetsItsStatusAndTheServerKeepsServing() throws {
        try withTemporaryStore { store, _ in
            let limit = 1 << 20
            let server = try ServeProcess(store: store, ["--max-body", String(limit)])
            let protobuf = OTLPRequestBodies.tracesProtobuf([Self.span])
            let gzip = [("Content-Encoding", "gzip")]

            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", [0xFF, 0xFF, 0xFF, 0xFF]), 400, "invalid protobuf")
            Self.expectStatus(try server.post("/v1/logs", "application/x-protobuf", [0x0A, 0x7F, 0x01]), 400, "truncated protobuf on /v1/logs")
            let badJSON = try server.post("/v1/traces", "application/json", Array(#"{"resourceSpans":[{"#.utf8))
            Self.expectStatus(badJSON, 400, "invalid JSON")
            #expect(badJSON.header("content-type")?.hasPrefix("application/json") == true, "a JSON request's error is JSON: \(badJSON)")
            let compressed = try gzipped(protobuf)
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", Array(compressed.prefix(compressed.count / 2)), headers: gzip),
                              400, "truncated gzip")
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", Array("not gzip at all".utf8), headers: gzip),
                              400, "a body that is not gzip")

            let bomb = try gzipped([UInt8](repeating: 0, count: 64 << 20))
            #expect(bomb.count < limit, "the bomb itself is under --max-body (\(bomb.count) bytes)")
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", bomb, headers: gzip), 413, "gzip bomb (64 MiB of zeros)")
            Self.expectStatus(try server.post("/v1/events", "application/x-ndjson", bomb, headers: gzip), 413, "gzip bomb on /v1/events")

            let over = [UInt8](repeating: 0x0A, count: limit + 1)
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", over), 413, "body over --max-body, Content-Length")
            Self.expectStatus(try RawHTTPConnection.request(port: server.port, "POST", "/v1/traces", headers: [("Content-Type", "application/x-protobuf")],
                                                            body: over, chunked: true),
                              413, "body over --max-body, chunked")
            Self.expectStatus(try server.post("/v1/events", "application/x-ndjson", over), 413, "events body over --max-body")
            // A declared length over the limit is answered at once, before any body byte is sent.
            let connection = try RawHTTPConnection(port: server.port, timeout: 10)
            connection.send(RawHTTPConnection.head("POST", "/v1/traces", [("Content-Type", "application/x-protobuf"),
                                                                          ("Content-Length", String(1 << 30))]))
            Self.expectStatus(try connection.readAnswer(), 413, "declared Content-Length of 1 GiB, no body sent")

            Self.expectStatus(try server.post("/v1/traces", "text/html", protobuf), 415, "Content-Type: text/html")
            Self.expectStatus(try server.post("/v1/events", "text/html", Array("{}\n".utf8)), 415, "Content-Type: text/html on /v1/events")
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", protobuf, headers: [("Content-Encoding", "br")]),
                              415, "Content-Encoding: br")
            let get = try RawHTTPConnection.request(port: server.port, "GET", "/v1/traces")
            Self.expectStatus(get, 405, "GET /v1/traces")
            #expect(get.header("allow") == "POST", "405 names the allowed method: \(get.headers)")
            Self.expectStatus(try RawHTTPConnection.request(port: server.port, "PUT", "/v1/events", body: [0x7B, 0x7D]), 405, "PUT /v1/events")
            Self.expectStatus(try server.post("/v2/traces", "application/x-protobuf", protobuf), 404, "unknown path")
            let allRejected = try server.postEvents(["not json", "{\"unclosed\":"])
            Self.expectStatus(allRejected, 400, "events whose every line is rejected")
            let rejected = foundationObject(allRejected.bodyText)?["rejected"] as? [[String: Any]]
            #expect(rejected?.map { $0["line"] as? Int } == [1, 2], "\(allRejected)")

            // Still serving: a good request of each kind.
            let traces = try server.post("/v1/traces", "application/x-protobuf", compressed, headers: gzip)
            Self.expectStatus(traces, 200, "good gzipped protobuf after the bad requests")
            #expect(traces.header("content-type") == "application/x-protobuf")
            let json = try server.post("/v1/traces", "application/json", OTLPRequestBodies.tracesJSON([Self.span]))
            Self.expectStatus(json, 200, "good JSON after the bad requests")
            #expect(foundationObject(json.bodyText) != nil, "an ExportTraceServiceResponse in JSON: \(json)")
            let events = try server.postEvents(eventLines("after", 0..<3))
            Self.expectStatus(events, 200, "good events after the bad requests")
            #expect(foundationObject(events.bodyText)?["stored"] as? Int == 3, "\(events)")

            let exit = try server.terminate()
            #expect(exit.succeeded, "serve after SIGTERM: \(exit.summary)")
            try Self.expectStored(store, events: ["after-0", "after-1", "after-2"], "nothing of the refused requests is stored")
        }
    }

    @Test("with --token: no token or a wrong one is 401, the right one 200")
    func tokenIsRequiredWhenSet() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--token", "s3cret-token"])
            let body = Array((eventLines("token", 0..<1)[0] + "\n").utf8)
            let missing = try server.post("/v1/events", "application/x-ndjson", body)
            Self.expectStatus(missing, 401, "no Authorization")
            #expect(missing.header("www-authenticate")?.hasPrefix("Bearer") == true, "\(missing.headers)")
            Self.expectStatus(try server.post("/v1/events", "application/x-ndjson", body, headers: [("Authorization", "Bearer wrong")]),
                              401, "wrong token")
            Self.expectStatus(try server.post("/v1/events", "application/x-ndjson", body, headers: [("Authorization", "Basic s3cret-token")]),
                              401, "right token, wrong scheme")
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", OTLPRequestBodies.tracesProtobuf([Self.span])),
                              401, "no Authorization on /v1/traces")
            let auth = [("Authorization", "Bearer s3cret-token")]
            Self.expectStatus(try server.post("/v1/events", "application/x-ndjson", body, headers: auth), 200, "right token")
            Self.expectStatus(try server.post("/v1/traces", "application/x-protobuf", OTLPRequestBodies.tracesProtobuf([Self.span]), headers: auth),
                              200, "right token on /v1/traces")
            #expect(try server.terminate().succeeded)
            try Self.expectStored(store, events: ["token-0"], "nothing of the refused requests is stored")
        }
    }

    @Test("listening beyond loopback without --token refuses to start (exit 64, a message); with --token it serves")
    func nonLoopbackNeedsAToken() throws {
        try withTemporaryStore { store, _ in
            let refused = try TorqlogBinary.run(["--dir", store, "serve", "--listen", "0.0.0.0:0"], timeout: 30)
            #expect(!refused.signaled && refused.status == 64, "\(refused.summary)")
            #expect(refused.stdout.isEmpty, "it never said it listens: \(refused.stdoutText)")
            #expect(refused.stderrText.contains("--token"), "the message names --token: \(refused.stderrText)")

            let child = try Child(["--dir", store, "serve", "--listen", "0.0.0.0:0", "--token", "t0ken"], stdin: .null)
            defer { child.signal(SIGKILL) }
            #expect(child.waitForStdout(timeout: 30) { $0.contains(0x0A) }, "\(String(decoding: child.stderr, as: UTF8.self))")
            let line = String(decoding: child.stdout, as: UTF8.self)
            let port = try #require(line.firstMatch(of: #/listening on http://0\.0\.0\.0:(\d+) /#).flatMap { Int($0.1) }, "\(line)")
            let answer = try RawHTTPConnection.request(port: port, "POST", "/v1/events",
                                                       headers: [("Content-Type", "application/x-ndjson"), ("Authorization", "Bearer t0ken")],
                                                       body: Array((eventLines("wide", 0..<1)[0] + "\n").utf8))
            Self.expectStatus(answer, 200, "with the token, over loopback")
            child.signal(SIGTERM)
            #expect(try child.finish(timeout: 30).succeeded)
        }
    }

    @Test("a client sending one body byte a second is cut off after --read-timeout while others are served")
    func slowClientIsCutOffWhileOthersAreServed() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--read-timeout", "2"])
            let slow = try RawHTTPConnection(port: server.port, timeout: 10)
            let started = Date()
            #expect(slow.send(RawHTTPConnection.head("POST", "/v1/events", [("Content-Type", "application/x-ndjson"), ("Content-Length", "100")])))
            // One byte a second from a thread; it notes when the server closed the connection.
            let cut = SlowSender(slow)
            // Meanwhile others are answered at once.
            var answered = 0
            var slowest = 0.0
            for n in 0..<12 {
                let before = Date()
                let answer = try server.postEvents(eventLines("busy", n..<(n + 1)))
                slowest = max(slowest, Date().timeIntervalSince(before))
                if answer.status == 200 { answered += 1 }
                usleep(300_000)
            }
            let cutAfter = cut.wait(timeout: 10)
            #expect(answered == 12, "the other requests were answered 200")
            #expect(slowest < 1.5, "another request waited \(slowest) s while the slow client held its connection")
            let seconds = try #require(cutAfter, "the slow client was never cut off (waited \(Date().timeIntervalSince(started)) s)")
            #expect(seconds >= 1.5 && seconds < 6, "cut off after \(seconds) s with --read-timeout 2")
            #expect(cut.bytesSent < 100, "the body was never complete: \(cut.bytesSent) bytes sent")
            #expect(try server.terminate().succeeded)
            #expect(try StoreContents.eventIDs(store).count == 12, "nothing of the slow request is stored")
        }
    }
}

/// Sends one byte a second on a connection, from a thread, until the server closes it;
/// `wait` gives the seconds from the start to the close.
final class SlowSender: @unchecked Sendable {
    // @unchecked: the vars are guarded by `condition`; the connection is used by the thread only.
    private let condition = NSCondition()
    private var closedAfter: Double?
    private var finished = false
    private var sent = 0

    /// The body bytes sent so far.
    var bytesSent: Int { condition.lock(); defer { condition.unlock() }; return sent }

    init(_ connection: RawHTTPConnection) {
        let started = Date()
        Thread { [self] in
            var count = 0
            while count < 20 {
                // Wait up to a second for the server to close (end of file or reset).
                var p = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 1000) > 0 {
                    var byte: UInt8 = 0
                    if recv(connection.fd, &byte, 1, 0) <= 0 { break }
                }
                if !connection.send([0x20]) { break }
                count += 1
                condition.lock(); sent = count; condition.unlock()
            }
            condition.lock()
            closedAfter = count < 20 ? Date().timeIntervalSince(started) : nil
            finished = true
            condition.broadcast()
            condition.unlock()
        }.start()
    }

    /// Seconds from the start until the server closed; nil if it did not within 20 bytes or `timeout`.
    func wait(timeout: Double) -> Double? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !finished { if !condition.wait(until: deadline) { break } }
        return closedAfter
    }
}
