import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The viewer's read-only API of `torqlog serve`, against the commands that
/// read the same store (`trace`, `export`, `telemetry`), and its live tail.
@Suite("serve: the viewer API")
struct ViewerAPITests {
    private static func get(_ server: ServeProcess, _ path: String, headers: [(String, String)] = []) throws -> HTTPAnswer {
        try RawHTTPConnection.request(port: server.port, "GET", path, headers: headers)
    }

    /// A store with two demo runs, served; `body` gets the server and one run id.
    private func withDemoStore(_ options: [String] = [], _ body: (ServeProcess, String, String) throws -> Void) throws {
        try withTemporaryStore { store, _ in
            let demo = try TorqlogBinary.run(["--dir", store, "demo", "--runs", "2"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let runID = try #require(try storeEvents(store).compactMap { $0["run_id"] as? String }.first)
            let server = try ServeProcess(store: store, options)
            try body(server, store, runID)
            #expect(try server.terminate().succeeded)
        }
    }

    @Test("runs, trace, events and summary answer what trace --format json, export --run and telemetry --format json print")
    func answersAsTheCommands() throws {
        try withDemoStore { server, store, runID in
            let trace = try TorqlogBinary.run(["--dir", store, "trace", runID, "--format", "json"])
            let apiTrace = try Self.get(server, "/api/runs/\(runID)/trace")
            #expect(apiTrace.status == 200 && apiTrace.header("content-type") == "application/json")
            #expect(apiTrace.bodyText == trace.stdoutText)

            let summary = try Self.get(server, "/api/runs/\(runID)")
            #expect(summary.status == 200)
            let run = try #require(foundationObject(summary.bodyText))
            let fromTrace = try #require(foundationObject(trace.stdoutText)?["run"] as? [String: Any])
            #expect(NSDictionary(dictionary: run) == NSDictionary(dictionary: fromTrace))

            let events = try Self.get(server, "/api/runs/\(runID)/events")
            let export = try TorqlogBinary.run(["--dir", store, "export", "--run", runID])
            #expect(events.status == 200 && events.header("content-type") == "application/x-ndjson")
            #expect(events.bodyText == export.stdoutText && !export.stdoutText.isEmpty)

            let telemetry = try TorqlogBinary.run(["--dir", store, "telemetry", "--format", "json"])
            let apiSummary = try Self.get(server, "/api/summary")
            #expect(apiSummary.status == 200)
            #expect(NSDictionary(dictionary: try #require(foundationObject(apiSummary.bodyText)))
                    == NSDictionary(dictionary: try #require(foundationObject(telemetry.stdoutText))))
        }
    }

    @Test("compliance answers what compliance --format json prints; store has the figures of info --format json")
    func complianceAndStore() throws {
        try withDemoStore { server, store, _ in
            let compliance = try TorqlogBinary.run(["--dir", store, "compliance", "--format", "json"])
            let apiCompliance = try Self.get(server, "/api/compliance")
            #expect(apiCompliance.status == 200 && apiCompliance.header("content-type") == "application/json")
            #expect(apiCompliance.bodyText == compliance.stdoutText)

            let info = try #require(foundationObject(try TorqlogBinary.run(["--dir", store, "info", "--format", "json"]).stdoutText))
            let facts = try #require(foundationObject(try Self.get(server, "/api/store").bodyText))
            for key in ["events", "runs", "events_without_run", "bytes_on_disk", "payload_bytes", "sealed_bytes", "sealed_jsonl_bytes",
                        "first_event_time", "last_event_time"] {
                #expect("\(facts[key] ?? "nil")" == "\(info[key] ?? "nil")", "\(key)")
            }
            #expect(NSDictionary(dictionary: facts["types"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: info["types"] as? [String: Any] ?? ["": 0]))
            let names = { (o: [String: Any]) in (o["segments"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
            #expect(!names(facts).isEmpty && names(facts) == names(info))
        }
    }

    @Test("every GET path of docs/openapi.yaml is served, and every endpoint the server answers is in it")
    func openAPIDocumentMatches() throws {
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        let text = try String(contentsOf: document, encoding: .utf8)
        // Paths are the two-space-indented keys under `paths:`.
        let paths = text.components(separatedBy: "\npaths:\n").last?.split(separator: "\n")
            .filter { $0.hasPrefix("  /") && $0.hasSuffix(":") }.map { String($0.dropFirst(2).dropLast()) } ?? []
        let api = Set(paths.filter { $0.hasPrefix("/api/") })
        #expect(api == ["/api/runs", "/api/runs/{id}", "/api/runs/{id}/trace", "/api/runs/{id}/events", "/api/runs/{id}/otlp",
                        "/api/summary", "/api/timeline", "/api/compliance", "/api/store", "/api/tail"])
        #expect(Set(paths.filter { $0.hasPrefix("/v1/") }) == ["/v1/traces", "/v1/logs", "/v1/events"])
        try withDemoStore { server, _, runID in
            for path in api where path != "/api/tail" {
                let answer = try Self.get(server, path.replacingOccurrences(of: "{id}", with: runID))
                #expect(answer.status == 200, "\(path): \(answer.status)")
            }
        }
    }

    @Test("an unknown run is 404, a POST to the API 405, an unknown endpoint 404; a run id is percent-decoded")
    func errors() throws {
        try withDemoStore { server, _, runID in
            #expect(try Self.get(server, "/api/runs/no-such-run").status == 404)
            #expect(try Self.get(server, "/api/runs/no-such-run/trace").status == 404)
            #expect(try Self.get(server, "/api/nothing-here").status == 404)
            let post = try RawHTTPConnection.request(port: server.port, "POST", "/api/summary", body: Array("x".utf8))
            #expect(post.status == 405 && post.header("allow") == "GET")
            let encoded = runID.utf8.map { String(format: "%%%02X", $0) }.joined()
            #expect(try Self.get(server, "/api/runs/\(encoded)").status == 200, "every byte percent-encoded")
        }
    }

    @Test("--token guards the API as it guards the receiver; --no-ui serves no API")
    func tokenAndNoUI() throws {
        try withDemoStore(["--token", "t0ken"]) { (server: ServeProcess, _: String, _: String) throws in
            #expect(try Self.get(server, "/api/summary").status == 401)
            #expect(try Self.get(server, "/api/summary", headers: [("Authorization", "Bearer t0ken")]).status == 200)
            // A browser: the page opened once with ?token= sets an HttpOnly cookie and comes back without it.
            let opened = try Self.get(server, "/overview?token=t0ken")
            #expect(opened.status == 303 && opened.header("location") == "/overview", "\(opened)")
            let cookie = opened.header("set-cookie") ?? ""
            #expect(cookie.hasPrefix("torqlog_token=t0ken;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
            #expect(try Self.get(server, "/api/summary", headers: [("Cookie", "other=1; torqlog_token=t0ken")]).status == 200)
            #expect(try Self.get(server, "/overview", headers: [("Cookie", "torqlog_token=t0ken")]).status == 200)
            #expect(try Self.get(server, "/api/summary", headers: [("Cookie", "torqlog_token=wrong")]).status == 401)
            #expect(try Self.get(server, "/overview?token=wrong").status == 401, "a wrong token sets no cookie")
            // The cookie opens the read-only viewer only: writing still needs the header.
            let post = try RawHTTPConnection.request(port: server.port, "POST", "/v1/events",
                                                     headers: [("Content-Type", "application/x-ndjson"), ("Cookie", "torqlog_token=t0ken")],
                                                     body: Array("{\"a\":1}\n".utf8))
            #expect(post.status == 401)
        }
        try withDemoStore(["--no-ui"]) { (server: ServeProcess, _: String, _: String) throws in
            #expect(try Self.get(server, "/api/summary").status == 404)
        }
    }

    @Test("a token with bytes a cookie cannot hold (space, ;, %, quote, non-ASCII) still opens the viewer through its cookie")
    func awkwardTokenCookie() throws {
        let awkward = "a b;c%d\"é,\\z"
        try withDemoStore(["--token", awkward]) { (server: ServeProcess, _: String, _: String) throws in
            let query = awkward.utf8.map { String(format: "%%%02X", $0) }.joined()
            let opened = try Self.get(server, "/tail?token=\(query)")
            #expect(opened.status == 303 && opened.header("location") == "/tail", "\(opened)")
            let setCookie = try #require(opened.header("set-cookie"))
            let pair = try #require(setCookie.split(separator: ";").first.map(String.init))
            // RFC 6265 cookie-octets only: what a browser keeps and sends back unchanged.
            let value = pair.dropFirst("torqlog_token=".count)
            #expect(pair.hasPrefix("torqlog_token=") && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"\",;\\".utf8.contains($0) }, "\(setCookie)")
            #expect(try Self.get(server, "/api/summary", headers: [("Cookie", pair)]).status == 200)
            #expect(try Self.get(server, "/api/summary", headers: [("Cookie", "torqlog_token=a%20b")]).status == 401)
            #expect(try Self.get(server, "/api/summary", headers: [("Cookie", "torqlog_token=%zz")]).status == 401)
            #expect(try Self.get(server, "/api/summary", headers: [("Authorization", "Bearer \(awkward)")]).status == 200)
        }
    }

    @Test("trace?format=html is the trace page with its style and script linked (no inline code) under the CSP; svg as trace --format svg")
    func traceFormats() throws {
        try withDemoStore { server, store, runID in
            let page = try Self.get(server, "/api/runs/\(runID)/trace?format=html")
            #expect(page.status == 200 && page.header("content-type") == "text/html; charset=utf-8")
            #expect(page.header("content-security-policy") == "default-src 'self'")
            #expect(!page.bodyText.contains("<script>") && !page.bodyText.contains("<style"))
            #expect(page.bodyText.contains("<script src=\"/assets/trace.js\" defer></script>"))
            let cli = try TorqlogBinary.run(["--dir", store, "trace", runID, "--format", "html"])
            #expect(cli.succeeded && cli.stdoutText.contains("<script>"), "the command's page is one file that works alone")
            // The same drawing, but for its <style> (linked from the page, as waterfall.css).
            let drawing = { (page: String) in (page.components(separatedBy: "<defs>").last ?? "").components(separatedBy: "</svg>").first ?? "" }
            #expect(!drawing(page.bodyText).isEmpty && drawing(page.bodyText) == drawing(cli.stdoutText))
            #expect(page.bodyText.contains("<link rel=\"stylesheet\" href=\"/assets/waterfall.css\">") && cli.stdoutText.contains("<style>"))
            for (name, type) in [("trace.js", "text/javascript; charset=utf-8"), ("trace.css", "text/css; charset=utf-8"), ("waterfall.css", "text/css; charset=utf-8")] {
                let file = try Self.get(server, "/assets/\(name)")
                #expect(file.status == 200 && file.header("content-type") == type && !file.bodyText.isEmpty)
            }
            let drawn = try Self.get(server, "/api/runs/\(runID)/trace?format=svg")
            let svgCLI = try TorqlogBinary.run(["--dir", store, "trace", runID, "--format", "svg"])
            #expect(drawn.status == 200 && drawn.header("content-type") == "image/svg+xml")
            #expect(drawn.header("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'", "no script runs in the drawing")
            #expect(drawn.bodyText == svgCLI.stdoutText)
            #expect(try Self.get(server, "/api/runs/\(runID)/trace?format=pdf").status == 400)
            #expect(try Self.get(server, "/api/runs/no-such-run/trace?format=html").status == 404)
        }
    }

    @Test("/api/timeline counts every event once, by its time, with its failures; bad parameters are 400")
    func timeline() throws {
        try withDemoStore { server, store, _ in
            let events = try storeEvents(store)
            let answer = try Self.get(server, "/api/timeline?buckets=7")
            #expect(answer.status == 200 && answer.header("content-type") == "application/json")
            let object = try #require(foundationObject(answer.bodyText))
            let buckets = try #require(object["buckets"] as? [[String: Any]])
            #expect(!buckets.isEmpty && buckets.count <= 7)
            let total = buckets.map { $0["events"] as? Int ?? -1 }.reduce(0, +)
            let timed = events.filter { $0["timestamp"] is String }.count
            #expect(total == timed && total > 0)
            #expect(object["untimed"] as? Int == events.count - timed)
            let failed = events.filter { e in
                let status = (e["status"] as? String)?.lowercased() ?? ""
                return e["timestamp"] is String && ((e["success"] as? Bool) == false || ["failed", "error", "failure", "timeout", "timed_out"].contains(status))
            }.count
            #expect(buckets.map { $0["errors"] as? Int ?? -1 }.reduce(0, +) == failed)
            let seconds = try #require(object["bucket_seconds"] as? Int)
            let starts = buckets.compactMap { ($0["start"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } }
            #expect(starts.count == buckets.count && zip(starts, starts.dropFirst()).allSatisfy { Int($1.timeIntervalSince($0)) == seconds })
            #expect(try Self.get(server, "/api/timeline?buckets=0").status == 400)
            #expect(try Self.get(server, "/api/timeline?since=yesterday").status == 400)
            let future = try #require(foundationObject(try Self.get(server, "/api/timeline?since=2200-01-01T00:00:00Z").bodyText))
            #expect((future["buckets"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("/api/tail streams each event written from then on, byte for byte, filtered by type; SIGTERM ends it")
    func liveTail() throws {
        try withDemoStore { server, store, _ in
            let stream = try RawHTTPConnection(port: server.port, timeout: 10)
            #expect(stream.send(RawHTTPConnection.head("GET", "/api/tail?type=wanted", [])))
            var received: [UInt8] = []
            func read(until marker: String, seconds: Double) {
                let deadline = Date().addingTimeInterval(seconds)
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while Date() < deadline && !String(decoding: received, as: UTF8.self).contains(marker) {
                    var p = pollfd(fd: stream.fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&p, 1, 100) > 0 else { continue }
                    let n = chunk.withUnsafeMutableBytes { recv(stream.fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return }
                    received += chunk[0..<n]
                }
            }
            read(until: ": torqlog tail", seconds: 5)
            let head = String(decoding: received, as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 200") && head.lowercased().contains("content-type: text/event-stream"), "\(head.prefix(300))")
            let wanted = #"{"event_type":"wanted","note":"<script>alert(1)</script>","n":1}"#
            let written = try TorqlogBinary.run(["--dir", store, "ingest", "-q"],
                                                stdin: Data((#"{"event_type":"other"}"# + "\n" + wanted + "\n").utf8))
            #expect(written.succeeded, "ingest through the server: \(written.summary)")
            read(until: "alert(1)", seconds: 5)
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.contains("data: " + wanted + "\n\n"), "the stored JSON byte for byte: \(text.suffix(400))")
            #expect(!text.contains("\"other\""), "filtered by type")
        }
    }
}
