import Foundation
import Testing
import TorqTestSupport
import TorqTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog demo --live`: the collector as a service in a service group,
/// stopped gracefully by SIGTERM, or killed outright.
@Suite("demo --live: graceful shutdown and crashes")
struct DemoServiceTests {
    static func spanStarts(_ events: [[String: Any]]) -> Int {
        events.filter { $0.string("event_type") == "span_start" }.count
    }

    @Test("SIGKILL leaves open spans (a start, no end) and a store that verifies clean")
    func killed() throws {
        let dir = TemporaryDirectory("live-kill")
        let store = dir.file("store")
        let child = try Child(["demo", "--live", "--dir", store], stdin: .null)
        let before = try waitForEvents(store) { Self.spanStarts($0) >= 10 }
        child.signal(SIGKILL)
        let exit = try child.finish(timeout: 60)
        try #require(Self.spanStarts(before) >= 10, "the demo wrote span_start events before the kill; stderr: \(exit.stderrText)")
        #expect(exit.signaled && exit.status == SIGKILL)

        let verify = try TorqlogBinary.run(["verify", "--dir", store])
        #expect(verify.status == 0, "verify after SIGKILL: \(verify.stdoutText) \(verify.stderrText)")
        let events = try storeEvents(store)
        let spans = recordedSpans(events)
        let open = spans.values.filter { $0.start != nil && $0.end == nil }
        #expect(!open.isEmpty, "spans cut off by the kill are open")
        #expect(open.contains { $0.name == "demo.live" }, "the live session's span never ended")
        #expect(spans.values.allSatisfy { $0.start != nil || $0.end == nil }, "no end without its start")
        let info = try TorqlogBinary.run(["info", "--dir", store, "--format", "json"])
        #expect(foundationObject(info.stdoutText)?["events"] as? Int == events.count)
    }

    @Test("SIGTERM: exit 0, every accepted event is in the store, no span left open")
    func terminated() throws {
        let dir = TemporaryDirectory("live-term")
        let store = dir.file("store")
        let child = try Child(["demo", "--live", "--dir", store], stdin: .null)
        let before = try waitForEvents(store) { Self.spanStarts($0) >= 10 }
        child.signal(SIGTERM)
        let exit = try child.finish(timeout: 60)
        try #require(Self.spanStarts(before) >= 10, "the demo wrote span_start events before SIGTERM; stderr: \(exit.stderrText)")
        #expect(!exit.signaled && exit.status == 0, "demo --live after SIGTERM: \(exit.how), stderr: \(exit.stderrText)")

        let line = try #require(exit.stderrText.firstMatch(of: #/(?m)^demo: accepted (\d+) events, written (\d+), dropped (\d+)$/#),
                                "stderr: \(exit.stderrText)")
        let accepted = try #require(Int(line.1)), written = try #require(Int(line.2)), dropped = try #require(Int(line.3))
        let events = try storeEvents(store)
        #expect(accepted == events.count, "accepted events are all in the store")
        #expect(written == events.count)
        #expect(dropped == 0)
        let spans = recordedSpans(events)
        #expect(spans.values.allSatisfy { $0.start != nil && $0.end != nil }, "the runs under way finished, the session span ended")
        #expect(try span(named: "demo.live", in: spans).status == "ok")
        #expect(try TorqlogBinary.run(["verify", "--dir", store]).status == 0)
        #expect(exit.stdoutText.contains("Wrote \(written) events of "))
    }

    @Test("SIGINT stops it gracefully too")
    func interrupted() throws {
        let dir = TemporaryDirectory("live-int")
        let store = dir.file("store")
        let child = try Child(["demo", "--live", "--dir", store], stdin: .null)
        _ = try waitForEvents(store) { Self.spanStarts($0) >= 3 }
        child.signal(SIGINT)
        let exit = try child.finish(timeout: 60)
        #expect(!exit.signaled && exit.status == 0, "stderr: \(exit.stderrText)")
        let line = try #require(exit.stderrText.firstMatch(of: #/demo: accepted (\d+) events/#))
        #expect(Int(line.1) == (try storeEvents(store)).count)
    }
}
