import Foundation
import Testing
import TorqTestSupport

/// The viewer in a real browser: headless Chromium driven by selenium
/// (Tests/Python/viewer_browser.py) against `torqlog serve` on a demo store
/// with a run whose fields hold markup and script.
@Suite("serve: the viewer in headless Chromium")
struct ViewerBrowserTests {
    /// Whether chromium, chromedriver and python3's selenium are installed (`make deps` installs them).
    static let browserAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
              let python = try? python3(),
              let result = try? Child.run(executable: python, ["-c", "import selenium"]) else { return false }
        return result.status == 0
    }()

    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/viewer_browser.py").path
    }()

    @Test("runs, a run's waterfall (click a span: its details), a hostile run and the live tail, with no injected script running",
          .enabled(if: browserAvailable, "needs chromium, chromium-driver and python3 selenium: make deps"))
    func pagesInABrowser() throws {
        try withTemporaryDirectory { dir in
            let store = dir + "/store"
            let demo = try TorqlogBinary.run(["--dir", store, "demo", "--runs", "3"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let hostile = #"<script>window.__xss=1</script><img src=x onerror="window.__xss=1"><b id="injected">x</b>"#
            let escaped = hostile.replacingOccurrences(of: "\"", with: "\\\"")
            let lines = [
                #"{"event_id":"h1","event_type":"agent_run","timestamp":"2026-12-01T10:00:00Z","session_id":"s","run_id":"hostile-run","agent_name":"\#(escaped)","status":"completed"}"#,
                #"{"event_id":"h2","event_type":"span_start","timestamp":"2026-12-01T10:00:00Z","session_id":"s","run_id":"hostile-run","trace_id":"0123456789abcdef0123456789abcdef","span_id":"0123456789abcdef","name":"\#(escaped)"}"#,
                #"{"event_id":"h3","event_type":"span_end","timestamp":"2026-12-01T10:00:01Z","session_id":"s","run_id":"hostile-run","trace_id":"0123456789abcdef0123456789abcdef","span_id":"0123456789abcdef","name":"\#(escaped)","status":"error","error_message":"\#(escaped)","attributes":{"\#(escaped)":"\#(escaped)"}}"#,
            ]
            let ingest = try TorqlogBinary.run(["--dir", store, "ingest", "-q"], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
            try #require(ingest.succeeded, "ingest: \(ingest.summary)")
            let runs = try storeEvents(store).filter { $0["event_type"] as? String == "agent_run" }.compactMap { $0["run_id"] as? String }
            let newest = try #require(runs.filter { $0 != "hostile-run" }.last)

            let server = try ServeProcess(store: store)
            let shots = ProcessInfo.processInfo.environment["TORQLOG_SCREENSHOTS"] ?? dir + "/screenshots"
            let result = try Child.run(executable: try python3(), [Self.script, server.endpoint, newest, "hostile-run", shots], timeout: 120)
            #expect(try server.terminate().succeeded)
            try #require(result.status == 0, "the browser script: \(result.summary) \(result.stderrText.suffix(2000))")
            let seen = try #require(foundationObject(result.stdoutText), "no JSON from the browser script: \(result.stdoutText)")

            #expect((seen["runs_text"] as? String ?? "").contains(newest), "the newest run listed on /")
            #expect(seen["waterfall_svg"] as? Bool == true)
            #expect((seen["rows"] as? Int ?? 0) > 0, "span rows drawn")
            #expect(!(seen["details_title"] as? String ?? "").isEmpty, "a click shows the span's details")
            #expect(seen["hostile_text_shown"] as? Bool == true, "hostile fields are shown as text")
            #expect((seen["static_tip_text"] as? String ?? "").contains("<script>"), "the static trace page's script runs under the CSP and shows a span's details as text")
            #expect(seen["static_styled"] as? Bool == true, "the static trace page's linked style applies")
            #expect((seen["overview_timeline_columns"] as? Int ?? 0) > 0, "the overview draws the events over time")
            if let errors = seen["console_errors"] as? [String] {
                #expect(errors.filter { $0.contains("Content Security Policy") }.isEmpty, "\(errors)")
            }
            for key in ["injected_run", "injected_hostile_run", "injected_tail", "injected_static"] {
                #expect(seen[key] as? Bool == false, "\(key): injected markup ran or was inserted")
            }
            #expect(seen["tail_shows_event"] as? Bool == true && seen["tail_post_status"] as? Int == 200, "the live tail showed the written event")
            #expect((seen["overview_compliance"] as? String ?? "").contains("compliance score"), "the overview shows the compliance score")
            #expect((seen["overview_store"] as? String ?? "").contains("bytes on disk"), "the overview shows the store's facts")
            for name in ["runs.png", "run.png", "tail.png", "overview.png"] {
                #expect(FileManager.default.fileExists(atPath: shots + "/" + name), "screenshot \(name)")
            }
        }
    }
}
