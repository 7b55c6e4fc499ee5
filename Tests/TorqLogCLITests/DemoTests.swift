import Foundation
import Testing
import TorqTestSupport

/// `torqlog demo`: writes sample agent activity, then shows `info` and a replay.
@Suite("demo")
struct DemoTests {
    static let types: Set<String> = ["agent_run", "tool_execution", "model_interaction", "memory_operation", "routing_decision"]

    @Test("demo writes runs, prints info and a replay; the store verifies and reads back")
    func demo() throws {
        try withTemporaryStore { store, _ in
            let r = try TorqlogBinary.run(["demo", "--dir", store])
            #expect(r.succeeded, "demo: \(r.summary)")
            let out = r.stdoutText
            let wrote = try #require(out.firstMatch(of: #/Wrote (\d+) events of (\d+) agent runs to (.+)\n/#), "demo output: \(out)")
            let events = try #require(Int(wrote.1))
            #expect(wrote.2 == "12")
            #expect(wrote.3 == store)
            // The info part.
            #expect(out.contains("events       \(events)"), "info in demo output: \(out)")
            #expect(out.contains("runs         12"), "info in demo output: \(out)")
            #expect(out.contains("segment files"))
            // The replay part: a timeline ending in the run's footer.
            let replay = try #require(out.firstMatch(of: #/\$ torqlog replay (\S+)\n/#), "demo output: \(out)")
            let run = String(replay.1)
            let footer = try #require(out.firstMatch(of: #/-- run (\S+): (\d+) events, sequence (\d+)…(\d+)\n/#), "demo output: \(out)")
            #expect(footer.1 == replay.1)
            let runEvents = try #require(Int(footer.2))
            #expect(runEvents >= 5)
            #expect(Self.types.allSatisfy { out.contains($0) }, "the replay shows each event type")

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify after demo: \(verify.summary)")

            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            #expect(json["events"] as? Int == events)
            #expect(json["runs"] as? Int == 12)
            #expect(json["events_without_run"] as? Int == 0)

            // Every event is a JSON object of one of the five types, or a span's start or end (the demo
            // records through the tracing facade), with its run's id.
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            let lines = splitLines(export.stdout)
            #expect(lines.count == events)
            let facts = try EventFacts.of(lines)
            #expect(Set(facts.compactMap(\.type)) == Self.types.union(["span_start", "span_end"]))
            #expect(facts.allSatisfy { $0.runID != nil && $0.time != nil })
            #expect(Set(facts.compactMap(\.runID)).count == 12)

            let jsonlReplay = try TorqlogBinary.run(["--dir", store, "replay", run, "--format", "jsonl"])
            #expect(jsonlReplay.succeeded)
            let runLines = zip(lines, facts).filter { $0.1.runID == run }.map(\.0)
            #expect(runLines.count == runEvents)
            expectJSONL(jsonlReplay.stdout, equals: runLines, "replay of the demo's run")
        }
    }

    @Test("demo --runs and a second demo append to the same store")
    func demoAppends() throws {
        try withTemporaryStore { store, _ in
            let a = try TorqlogBinary.run(["--dir", store, "demo", "--runs", "3"])
            #expect(a.succeeded, "demo --runs 3: \(a.summary)")
            let b = try TorqlogBinary.run(["demo", "--runs", "2"], env: ["TORQLOG_DIR": store])
            #expect(b.succeeded, "demo with TORQLOG_DIR: \(b.summary)")
            let n = try [a, b].map { r in
                let m = try #require(r.stdoutText.firstMatch(of: #/Wrote (\d+) events of (\d+) agent runs/#), "demo output: \(r.stdoutText)")
                return try #require(Int(m.1))
            }
            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            #expect(json["events"] as? Int == n[0] + n[1])
            #expect(json["runs"] as? Int == 5)
            #expect(try TorqlogBinary.run(["--dir", store, "verify"]).succeeded)
        }
    }
}
