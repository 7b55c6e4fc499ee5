import Foundation
import Testing
import TorqTestSupport

/// `GET /api/runs` of `torqlog serve`: the runs list, against a count made
/// from `torqlog export`, over sealed segments and the active WAL.
@Suite("serve: the runs list API")
struct RunsAPITests {
    private static func get(_ server: ServeProcess, _ path: String) throws -> HTTPAnswer {
        try RawHTTPConnection.request(port: server.port, "GET", path)
    }

    /// Every run of `store`'s export: run id → (events, input, output, tool calls, errors, agent).
    private static func exportCount(_ store: String) throws -> [String: [String: Any]] {
        var runs: [String: [String: Any]] = [:]
        for o in try storeEvents(store) {
            guard let id = o["run_id"] as? String else { continue }
            var r = runs[id] ?? ["events": 0, "input_tokens": 0, "output_tokens": 0, "tool_calls": 0, "errors": 0]
            func bump(_ k: String, _ n: Int) { r[k] = (r[k] as! Int) + n }
            bump("events", 1)
            let type = o["event_type"] as? String
            if type == "model_interaction" {
                bump("input_tokens", (o["prompt_tokens"] as? Int) ?? 0)
                bump("output_tokens", (o["completion_tokens"] as? Int) ?? 0)
            }
            if type == "tool_execution" { bump("tool_calls", 1) }
            if type == "agent_run", r["agent"] == nil, let a = o["agent_name"] as? String { r["agent"] = a }
            let status = (o["status"] as? String)?.lowercased() ?? ""
            if (o["success"] as? Bool) == false || ["failed", "error", "failure", "timeout", "timed_out"].contains(status) { bump("errors", 1) }
            runs[id] = r
        }
        return runs
    }

    @Test("/api/runs lists every run once, newest first, paged, with the figures an export counts; filters select; bad parameters are 400")
    func runsList() throws {
        try withTemporaryStore { store, _ in
            let demo = try TorqlogBinary.run(["--dir", store, "demo", "--runs", "40"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let expected = try Self.exportCount(store)
            try #require(expected.count >= 40)
            let server = try ServeProcess(store: store, [])
            var seen: [[String: Any]] = []
            var path = "/api/runs?limit=7"
            while true {
                let answer = try Self.get(server, path)
                try #require(answer.status == 200 && answer.header("content-type") == "application/json", "\(answer.bodyText)")
                let document = try #require(foundationObject(answer.bodyText))
                let page = try #require(document["runs"] as? [[String: Any]])
                #expect(page.count <= 7)
                seen += page
                guard let before = document["next_before"] as? String, let run = document["next_before_run"] as? String else { break }
                let encode = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
                path = "/api/runs?limit=7&before=\(encode(before))&before_run=\(encode(run))"
            }
            #expect(seen.count == expected.count)
            #expect(Set(seen.compactMap { $0["run_id"] as? String }).count == expected.count)
            let starts = seen.compactMap { $0["start"] as? String }
            #expect(starts == starts.sorted(by: >), "newest first")
            for row in seen {
                let id = try #require(row["run_id"] as? String)
                let want = try #require(expected[id])
                for key in ["events", "input_tokens", "output_tokens", "tool_calls", "errors"] {
                    #expect(row[key] as? Int == want[key] as? Int, "\(id) \(key)")
                }
                #expect(row["agent"] as? String == want["agent"] as? String)
            }
            let agent = try #require(seen.first?["agent"] as? String)
            let byAgent = try #require(foundationObject(try Self.get(server, "/api/runs?limit=1000&agent=\(agent.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").bodyText)?["runs"] as? [[String: Any]])
            #expect(byAgent.count == seen.filter { $0["agent"] as? String == agent }.count && !byAgent.isEmpty)
            let id = try #require(seen[3]["run_id"] as? String)
            let byText = try #require(foundationObject(try Self.get(server, "/api/runs?q=\(id.suffix(8))").bodyText)?["runs"] as? [[String: Any]])
            #expect(byText.contains { $0["run_id"] as? String == id })
            #expect(try Self.get(server, "/api/runs?limit=0").status == 400)
            #expect(try Self.get(server, "/api/runs?before=yesterday").status == 400)
            #expect(try server.terminate().succeeded)
        }
    }

    @Test("serve writes the summary of each segment it seals; the list then reads sealed segments from them and agrees with an export")
    func sealedByServe() throws {
        try withTemporaryStore { source, _ in
            let demo = try TorqlogBinary.run(["--dir", source, "demo", "--runs", "30"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let lines = try TorqlogBinary.run(["--dir", source, "export"]).stdoutText.split(separator: "\n").map(String.init)
            try withTemporaryStore { store, _ in
                let server = try ServeProcess(store: store, ["--segment-size", "16384"])
                for chunk in stride(from: 0, to: lines.count, by: 100) {
                    #expect(try server.postEvents(Array(lines[chunk..<min(chunk + 100, lines.count)])).status == 200)
                }
                let names = { (ext: String) in ((try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []).filter { $0.hasSuffix(ext) }.sorted() }
                // Sealing is in the background: wait until every sealed segment has its summary.
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline && (names(".lz4").isEmpty || names(".lz4").map { $0.dropLast(4) } != names(".runs").map { $0.dropLast(5) }) {
                    usleep(50_000)
                }
                #expect(names(".lz4").count >= 2)
                #expect(names(".lz4").map { $0.dropLast(4) } == names(".runs").map { $0.dropLast(5) })
                let answer = try Self.get(server, "/api/runs?limit=1000")
                let rows = try #require(foundationObject(answer.bodyText)?["runs"] as? [[String: Any]])
                let expected = try Self.exportCount(store)
                #expect(rows.count == expected.count && rows.count >= 30)
                for row in rows {
                    let id = try #require(row["run_id"] as? String)
                    for key in ["events", "input_tokens", "output_tokens", "tool_calls", "errors"] {
                        #expect(row[key] as? Int == expected[id]?[key] as? Int, "\(id) \(key)")
                    }
                }
                #expect(try server.terminate().succeeded)
            }
        }
    }
}
