import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tests/Python/otlp_endpoint.py: an OTLP/HTTP endpoint on the official protobuf messages.
final class PythonEndpoint {
    let child: Child
    let port: Int

    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/otlp_endpoint.py").path
    }()

    /// `otlp_endpoint.py serve ARGS`, once it says where it listens.
    init(_ args: [String]) throws {
        child = try Child(executable: "/usr/bin/env", ["python3", Self.script, "serve"] + args, stdin: .null)
        guard child.waitForStdout(timeout: 30, { $0.contains(0x0A) }),
              let match = String(decoding: child.stdout, as: UTF8.self).firstMatch(of: #/listening on (\d+)/#), let port = Int(match.1) else {
            child.signal(SIGKILL)
            throw HarnessError("otlp_endpoint.py did not start: \(String(decoding: child.stderr, as: UTF8.self).prefix(800))")
        }
        self.port = port
    }

    deinit { child.signal(SIGKILL) }

    var url: String { "http://127.0.0.1:\(port)" }

    /// What it received (see the script).
    func received() throws -> [String: Any] {
        let answer = try RawHTTPConnection.request(port: port, "GET", "/received", headers: [], body: [], timeout: 30)
        return try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
    }

    /// Whether python3 and opentelemetry-proto are there.
    static var available: Bool { OTLPExportTests.protoAvailable }
}

/// `torqlog forward`: store A to store B behind `torqlog serve`, exactly once through kills, 503s, outages and
/// a live store; a Python endpoint on the official messages; 401/403 stop it, 400 is counted, not retried.
@Suite("forward")
struct ForwardTests {
    /// Store A: generated runs (spans from span records, events in them) and events that only carry span ids.
    static func storeA(_ dir: TemporaryDirectory, runs: Int = 300, events: Int = 2_000) throws -> String {
        let (generated, _) = TraceFixture.generated(seed: 17, runs: runs)
        let lines = generated + OTLPExportEventSpanTests.eventsWithSpanIDs(count: events)
        let input = try dir.write("a.jsonl", lines: lines)
        let store = dir.file("A")
        let ingest = try TorqlogBinary.run(["--dir", store, "ingest", input])
        #expect(ingest.status == 0, "\(ingest.stderrText)")
        return store
    }

    /// B holds every record of A exactly once: the same event ids (span records keep theirs), each once;
    /// per span id the same span records; and `telemetry` says the same.
    static func expectExactlyOnce(_ a: String, _ b: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let aIDs = try StoreContents.eventIDs(a).sorted(), bIDs = try StoreContents.eventIDs(b).sorted()
        #expect(aIDs.count == bIDs.count, "A \(aIDs.count) records, B \(bIDs.count)", sourceLocation: sourceLocation)
        #expect(Set(bIDs).count == bIDs.count, "B holds copies", sourceLocation: sourceLocation)
        #expect(aIDs == bIDs, "the event ids differ", sourceLocation: sourceLocation)
        func spanRecords(_ store: String) throws -> [String: Int] {
            var out: [String: Int] = [:]
            for e in try storeEvents(store) {
                guard let type = e.string("event_type"), type.hasPrefix("span_"), let id = e.string("span_id") else { continue }
                out[type + " " + id, default: 0] += 1
            }
            return out
        }
        #expect(try spanRecords(a) == spanRecords(b), "span records per span id", sourceLocation: sourceLocation)
        let ta = try TorqlogBinary.run(["--dir", a, "telemetry", "--format", "json"]), tb = try TorqlogBinary.run(["--dir", b, "telemetry", "--format", "json"])
        #expect(ta.status == 0 && tb.status == 0)
        #expect(Self.withoutStore(ta.stdoutText) == Self.withoutStore(tb.stdoutText), "telemetry differs", sourceLocation: sourceLocation)
    }

    /// A telemetry document without the lines that name the store.
    static func withoutStore(_ text: String) -> String {
        text.split(separator: "\n").filter { !$0.contains("\"store\"") && !$0.contains("\"path\"") }.joined(separator: "\n")
    }

    /// The summary line of a finished forward.
    static func summary(_ result: CommandResult) -> String {
        result.stderrText.split(separator: "\n").last { $0.hasPrefix("torqlog forward: ") }.map(String.init) ?? ""
    }

    static func number(_ label: String, in summary: String) -> Int? {
        let words = summary.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" })
        guard let at = words.firstIndex(where: { $0 == label }), at > 0 else { return nil }
        return Int(words[at - 1])
    }

    @Test("A to B once through: every record and span exactly once, the cursor at A's end; a second run sends nothing")
    func plain() throws {
        let dir = TemporaryDirectory("forward-plain")
        let a = try Self.storeA(dir)
        let b = try ServeProcess(store: dir.file("B"))
        let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", b.endpoint])
        #expect(run.status == 0, "\(run.stderrText)")
        let summary = Self.summary(run)
        #expect(Self.number("retries", in: summary) == 0, "\(summary)")
        #expect(Self.number("rejected", in: summary) == 0, "\(summary)")
        let cursor = try String(contentsOfFile: a + "/cursor-default", encoding: .utf8)
        let records = try StoreContents.eventIDs(a).count
        #expect(cursor == "torqlog-cursor 1 \(records) 0\n")
        let again = try TorqlogBinary.run(["--dir", a, "forward", "--to", b.endpoint])
        #expect(again.status == 0)
        #expect(Self.summary(again).hasPrefix("torqlog forward: 0 records"), "\(Self.summary(again))")
        try Self.expectExactlyOnce(a, dir.file("B"))
        _ = try b.terminate()
    }

    @Test("killed with kill -9 mid-stream, then restarted: B ends with every record of A exactly once")
    func killedMidStream() throws {
        let dir = TemporaryDirectory("forward-kill")
        let a = try Self.storeA(dir, runs: 1_500, events: 8_000)
        let b = try ServeProcess(store: dir.file("B"))
        let total = try StoreContents.eventIDs(a).count
        // Small requests, one in flight: slow enough to be killed in the middle.
        let first = try Child(["--dir", a, "forward", "--to", b.endpoint, "--batch-items", "10", "--in-flight", "1"], stdin: .null)
        var killedAt: UInt64 = 0
        for _ in 0..<6_000 {
            if let text = try? String(contentsOfFile: a + "/cursor-default", encoding: .utf8),
               let sequence = text.split(separator: " ").dropFirst(2).first.flatMap({ UInt64($0) }), sequence > 500 {
                killedAt = sequence
                break
            }
            usleep(5_000)
        }
        first.signal(SIGKILL)
        let killed = try first.finish(timeout: 30)
        #expect(killed.signaled, "the forward ended before it was killed: \(killed.stderrText)")
        #expect(killedAt > 0 && killedAt < UInt64(total), "killed at \(killedAt) of \(total)")
        let second = try TorqlogBinary.run(["--dir", a, "forward", "--to", b.endpoint])
        #expect(second.status == 0, "\(second.stderrText)")
        try Self.expectExactlyOnce(a, dir.file("B"))
        _ = try b.terminate()
    }

    @Test("a peer answering 503 with Retry-After in bursts: retried, B ends exactly once",
          .enabled(if: PythonEndpoint.available, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func unavailableInBursts() throws {
        let dir = TemporaryDirectory("forward-503")
        let a = try Self.storeA(dir, runs: 100, events: 1_000)
        let b = try ServeProcess(store: dir.file("B"))
        let proxy = try PythonEndpoint(["--upstream", b.endpoint, "--bursts", "4:2"])
        let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", proxy.url, "--batch-items", "200"])
        #expect(run.status == 0, "\(run.stderrText)")
        let received = try proxy.received()
        let statuses = received["statuses"] as? [String: Int] ?? [:]
        #expect((statuses["503"] ?? 0) >= 2, "\(statuses)")
        #expect(Self.number("retries", in: Self.summary(run)) == statuses["503"], "\(Self.summary(run)) \(statuses)")
        #expect((received["errors"] as? [Any])?.isEmpty == true, "\(received["errors"] ?? "")")
        try Self.expectExactlyOnce(a, dir.file("B"))
        _ = try b.terminate()
    }

    @Test("the server down for a while: the forward waits, retrying, and completes once it is back")
    func serverDown() throws {
        let dir = TemporaryDirectory("forward-down")
        let a = try Self.storeA(dir, runs: 60, events: 500)
        let first = try ServeProcess(store: dir.file("B"))
        let port = first.port
        _ = try first.terminate()
        let forward = try Child(["--dir", a, "forward", "--to", "http://127.0.0.1:\(port)", "--max-backoff", "300"], stdin: .null)
        usleep(2_000_000)
        #expect(forward.wait(timeout: 0.1) == nil, "the forward ended while the server was down")
        let b = try ServeProcess(store: dir.file("B"), ["--listen", "127.0.0.1:\(port)"])
        let done = try forward.finish(timeout: 120)
        #expect(done.status == 0, "\(done.stderrText)")
        // Connections refused meanwhile are retried by the HTTP client's pool within the request's deadline,
        // or by the forward's back-off after it: either way nothing is lost or doubled.
        try Self.expectExactlyOnce(a, dir.file("B"))
        _ = try b.terminate()
    }

    @Test("--follow while A is still written: every record arrives, exactly once; SIGTERM saves the cursor")
    func followLiveStore() throws {
        let dir = TemporaryDirectory("forward-follow")
        let (generated, _) = TraceFixture.generated(seed: 23, runs: 200)
        let extra = OTLPExportEventSpanTests.eventsWithSpanIDs(count: 1_000)
        let lines = generated + extra
        let a = dir.file("A")
        let parts = stride(from: 0, to: lines.count, by: lines.count / 5 + 1).map { Array(lines[$0..<min($0 + lines.count / 5 + 1, lines.count)]) }
        #expect(try TorqlogBinary.run(["--dir", a, "ingest", try dir.write("p0.jsonl", lines: parts[0])]).status == 0)
        let b = try ServeProcess(store: dir.file("B"))
        let forward = try Child(["--dir", a, "forward", "--to", b.endpoint, "--follow", "--name", "live"], stdin: .null)
        for (i, part) in parts.enumerated().dropFirst() {
            usleep(300_000)
            #expect(try TorqlogBinary.run(["--dir", a, "ingest", try dir.write("p\(i).jsonl", lines: part)]).status == 0)
        }
        let total = lines.count
        _ = try waitForEvents(dir.file("B"), attempts: 600) { events in
            events.count >= total - (generated.filter { $0.contains("\"span_") }.count)
        }
        usleep(3_000_000)  // open spans are sent after 2 s
        forward.signal(SIGTERM)
        let done = try forward.finish(timeout: 60)
        #expect(done.status == 0, "\(done.stderrText)")
        try Self.expectExactlyOnce(a, dir.file("B"))
        #expect(FileManager.default.fileExists(atPath: a + "/cursor-live"))
        _ = try b.terminate()
    }

    @Test("the Python endpoint on the official messages: every request decodes; spans match trace --format json",
          .enabled(if: PythonEndpoint.available, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func pythonEndpointChecksSpans() throws {
        let dir = TemporaryDirectory("forward-python")
        let lines = OTLPExportEventSpanTests.eventsWithSpanIDs(count: 2_000) + TraceFixture.handRun
        let a = dir.file("A")
        #expect(try TorqlogBinary.run(["--dir", a, "ingest", try dir.write("a.jsonl", lines: lines)]).status == 0)
        let demo = try TorqlogBinary.run(["--dir", a, "demo"])
        #expect(demo.status == 0, "\(demo.stderrText)")
        let endpoint = try PythonEndpoint([])
        let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", endpoint.url])
        #expect(run.status == 0, "\(run.stderrText)")
        let received = try endpoint.received()
        #expect((received["errors"] as? [Any])?.isEmpty == true, "\(received["errors"] ?? "")")
        let stored = try storeEvents(a)
        #expect((received["logs"] as? [Any])?.count == stored.filter { !($0.string("event_type") ?? "").hasPrefix("span_") }.count)
        let receivedPath = dir.file("received.json")
        try JSONSerialization.data(withJSONObject: received).write(to: URL(fileURLWithPath: receivedPath))
        let runs = Set(try storeEvents(a).compactMap { $0.string("run_id") })
        var traces: [String] = []
        for (i, run) in runs.sorted().prefix(12).enumerated() {
            let trace = try TorqlogBinary.run(["--dir", a, "trace", run, "--format", "json"])
            #expect(trace.status == 0)
            let path = dir.file("trace-\(i).json")
            try trace.stdout.write(to: URL(fileURLWithPath: path))
            traces.append(path)
        }
        let check = try Child.run(executable: "/usr/bin/env", ["python3", PythonEndpoint.script, "check", receivedPath] + traces)
        #expect(check.status == 0, "\(check.stdoutText.prefix(3000)) \(check.stderrText.prefix(1000))")
        let result = try #require(foundationObject(check.stdoutText))
        #expect((result["checked"] as? Int ?? 0) > 400)
    }

    @Test("401 and 403 stop the forward with a clear error and exit 77; a 400 is counted as rejected, never retried",
          .enabled(if: PythonEndpoint.available, "python3 with opentelemetry-proto is missing: pip install opentelemetry-proto (make deps)"))
    func refusals() throws {
        let dir = TemporaryDirectory("forward-refused")
        let a = try Self.storeA(dir, runs: 20, events: 300)
        for status in [401, 403] {
            let endpoint = try PythonEndpoint(["--status", String(status)])
            let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", endpoint.url, "--name", "s\(status)"])
            #expect(run.status == 77, "\(run.stderrText)")
            #expect(run.stderrText.contains("answered \(status)"), "\(run.stderrText)")
            #expect(run.stderrText.contains("--header"), "\(run.stderrText)")
            #expect(!FileManager.default.fileExists(atPath: a + "/cursor-s\(status)"), "nothing was answered: no cursor moved")
        }
        let endpoint = try PythonEndpoint(["--status", "400"])
        let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", endpoint.url, "--name", "bad", "--batch-items", "100"])
        #expect(run.status == 0, "\(run.stderrText)")
        let summary = Self.summary(run)
        let received = try endpoint.received()
        let requests = received["requests"] as? Int ?? -1
        #expect(Self.number("retries", in: summary) == 0, "\(summary)")
        #expect(requests >= 2)
        #expect(run.stderrText.contains("answered 400"), "\(run.stderrText.prefix(500))")
        let events = try storeEvents(a)
        let logs = events.filter { !($0.string("event_type") ?? "").hasPrefix("span_") }.count
        #expect((Self.number("rejected", in: summary) ?? 0) > logs, "every span and log record rejected: \(summary)")
    }

    @Test("serve --forward (edge mode): what agents send to the edge reaches the central store exactly once, also after an outage")
    func edgeMode() throws {
        let dir = TemporaryDirectory("forward-edge")
        // The central server is down at first: the edge keeps what it receives and forwards it once it is back.
        let probe = try ServeProcess(store: dir.file("probe"))
        let port = probe.port
        _ = try probe.terminate()
        let edge = try ServeProcess(store: dir.file("E"), ["--forward", "http://127.0.0.1:\(port)", "--no-ui"])
        #expect(try edge.postEvents(eventLines("before", 0..<300)).status == 200)
        let spans = TraceFixture.handRun
        #expect(try edge.postEvents(spans).status == 200)
        usleep(1_000_000)
        let central = try ServeProcess(store: dir.file("B"), ["--listen", "127.0.0.1:\(port)"])
        #expect(try edge.postEvents(eventLines("after", 0..<300)).status == 200)
        _ = try waitForEvents(dir.file("B"), attempts: 600) { $0.count >= 600 + spans.count }
        usleep(500_000)
        let stopped = try edge.terminate()
        #expect(stopped.status == 0, "\(stopped.stderrText.suffix(1500))")
        #expect(FileManager.default.fileExists(atPath: dir.file("E") + "/cursor-upstream"))
        try Self.expectExactlyOnce(dir.file("E"), dir.file("B"))
        _ = try central.terminate()
    }

    @Test("retention keeps what a cursor has not passed, says so, and lets it go once the cursor passes")
    func retentionHoldsForCursors() throws {
        let dir = TemporaryDirectory("forward-retention")
        let a = dir.file("A")
        let input = try dir.write("a.jsonl", lines: eventLines("old", 0..<3_000))
        #expect(try TorqlogBinary.run(["--dir", a, "ingest", "--segment-size", "16384", input]).status == 0)
        // A cursor that has passed nothing yet.
        try "torqlog-cursor 1 0 0\n".write(toFile: a + "/cursor-slow", atomically: false, encoding: .utf8)
        let held = try TorqlogBinary.run(["--dir", a, "compact", "--max-bytes", "0"])
        #expect(held.status == 0, "\(held.stderrText)")
        #expect(held.stderrText.contains("kept"), "\(held.stdoutText) \(held.stderrText)")
        #expect(held.stderrText.contains("cursor slow"), "\(held.stderrText)")
        #expect(try StoreContents.eventIDs(a).count == 3_000)
        // Once forwarded, the cursor has passed them: retention removes them.
        let b = try ServeProcess(store: dir.file("B"))
        #expect(try TorqlogBinary.run(["--dir", a, "forward", "--to", b.endpoint, "--name", "slow"]).status == 0)
        let freed = try TorqlogBinary.run(["--dir", a, "compact", "--max-bytes", "0"])
        #expect(freed.status == 0)
        #expect(!freed.stderrText.contains("kept"), "\(freed.stderrText)")
        #expect(try StoreContents.eventIDs(a).count < 3_000)
        #expect(try StoreContents.eventIDs(dir.file("B")).count == 3_000)
        _ = try b.terminate()
    }

    @Test("a cursor below what retention already removed: the forward says how many records were never sent, and counts them")
    func droppedBeforeForwarding() throws {
        let dir = TemporaryDirectory("forward-dropped")
        let a = dir.file("A")
        let input = try dir.write("a.jsonl", lines: eventLines("gone", 0..<3_000))
        #expect(try TorqlogBinary.run(["--dir", a, "ingest", "--segment-size", "16384", input]).status == 0)
        #expect(try TorqlogBinary.run(["--dir", a, "compact", "--max-bytes", "0"]).status == 0)  // no cursor yet: removed
        let left = try StoreContents.eventIDs(a).count
        #expect(left < 3_000)
        let b = try ServeProcess(store: dir.file("B"))
        let run = try TorqlogBinary.run(["--dir", a, "forward", "--to", b.endpoint])
        #expect(run.status == 0, "\(run.stderrText)")
        #expect(run.stderrText.contains("WARNING: \(3_000 - left) records"), "\(run.stderrText)")
        #expect(run.stderrText.contains("\(3_000 - left) records removed by retention before they were sent"), "\(run.stderrText)")
        let cursor = try String(contentsOfFile: a + "/cursor-default", encoding: .utf8)
        #expect(cursor == "torqlog-cursor 1 3000 \(3_000 - left)\n")
        _ = try b.terminate()
    }
}
