import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TorqTestSupport
import TorqLogStore
import TorqTelemetry

/// `torqlog trace`, run as a user would, on a real store.
@Suite("trace command")
struct TraceCommandTests {
    /// A store holding the hand-written run `r1` among generated runs; sealed when `seal`.
    static func store(_ dir: TemporaryDirectory, seal: Bool = false, extra: [String] = []) throws -> String {
        let (generated, _) = TraceFixture.generated(seed: 3, runs: 6)
        var lines: [String] = []
        // Interleave r1 with the others, as concurrent runs would be.
        var g = generated[...]
        for line in TraceFixture.handRun + extra {
            lines.append(line)
            lines.append(contentsOf: g.prefix(5))
            g = g.dropFirst(5)
        }
        lines.append(contentsOf: g)
        let input = try dir.write("in.jsonl", lines: lines)
        let store = dir.file("store")
        let ingest = try TorqlogBinary.run(["--dir", store, "ingest", input])
        #expect(ingest.status == 0, "\(ingest.stderrText)")
        if seal { #expect(try TorqlogBinary.run(["--dir", store, "seal"]).status == 0) }
        return store
    }

    @Test("text: the tree of the run, in 80 columns, no colour into a file or pipe; the same after sealing")
    func text() throws {
        for seal in [false, true] {
            let dir = TemporaryDirectory("trace-text")
            let store = try Self.store(dir, seal: seal)
            let result = try TorqlogBinary.run(["--dir", store, "trace", "r1"])
            #expect(result.status == 0, "\(result.stderrText)")
            let out = result.stdoutText
            #expect(out.hasPrefix("run r1  session s1\n"))
            #expect(out.contains("16 events  7 spans (1 open)"))
            #expect(out.contains("* agent.run support <main>"))
            #expect(out.contains("OPEN"))
            #expect(out.contains("│  └─ execute_tool web_search"))
            #expect(!out.contains("\u{1B}["))
            for line in out.split(separator: "\n") { #expect(line.unicodeScalars.count <= 80, "\(line)") }
            #expect(result.stderrText.isEmpty)
        }
    }

    @Test("--events and --spans")
    func eventsAndSpans() throws {
        let dir = TemporaryDirectory("trace-events")
        let store = try Self.store(dir)
        let events = try TorqlogBinary.run(["--dir", store, "trace", "r1", "--events"])
        #expect(events.stdoutText.contains("· +1.800s tool_execution  web_search failed 450 ms"))
        #expect(events.stdoutText.contains("events in no span:"))
        let spans = try TorqlogBinary.run(["trace", "--dir", store, "r1", "--spans"])
        #expect(spans.stdoutText.contains("id 5000000000000005  parent 00f067aa0ba902b7  kind client  source span"))
        #expect(spans.stdoutText.contains("service.name = support-bot"))
    }

    @Test("--format json, svg and html, to standard output and to --output")
    func formats() throws {
        let dir = TemporaryDirectory("trace-formats")
        let store = try Self.store(dir, seal: true)
        let json = try TorqlogBinary.run(["--dir", store, "trace", "r1", "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect((object["spans"] as? [Any])?.count == 7)
        #expect((object["run"] as? [String: Any])?["records"] as? Int == 16)

        let svgPath = dir.file("r1.svg")
        let svg = try TorqlogBinary.run(["--dir", store, "trace", "r1", "--format", "svg", "--output", svgPath])
        #expect(svg.status == 0)
        #expect(svg.stdout.isEmpty)
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: svgPath)))
        #expect(parser.parse(), "the SVG file is well-formed XML")
        let svgText = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(svgText.components(separatedBy: "class=\"bar").count - 1 == 7)

        let html = try TorqlogBinary.run(["--dir", store, "trace", "r1", "--format", "html", "-o", dir.file("r1.html")])
        #expect(html.status == 0)
        let page = try String(contentsOfFile: dir.file("r1.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    }

    @Test("the demo's runs (spans from the tracer): every run traces, with no warnings, one root, the JSON agreeing with the store")
    func demo() throws {
        let dir = TemporaryDirectory("trace-demo")
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "demo"]).status == 0)
        let records = try TorqlogBinary.run(["--dir", store, "export"]).stdoutText.split(separator: "\n").compactMap { foundationObject(String($0)) }
        let runs = Set(records.compactMap { $0["run_id"] as? String })
        #expect(!runs.isEmpty)
        for run in runs.sorted().prefix(5) {
            let mine = records.filter { $0["run_id"] as? String == run }
            let text = try TorqlogBinary.run(["--dir", store, "trace", run])
            #expect(text.status == 0)
            #expect(!text.stdoutText.contains("warning:"), "\(text.stdoutText)")
            let json = try TorqlogBinary.run(["--dir", store, "trace", run, "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
            let summary = try #require(object["run"] as? [String: Any])
            #expect(summary["records"] as? Int == mine.count)
            let recorded = Set(mine.filter { ($0["event_type"] as? String)?.hasPrefix("span_") == true }.compactMap { $0["span_id"] as? String })
            let spans = try #require(object["spans"] as? [[String: Any]])
            #expect(spans.filter { $0["source"] as? String == "span" }.count == recorded.count)
            #expect(spans.filter { $0["parent_span_id"] is NSNull }.count >= 1)
        }
    }

    @Test("an unknown run: a clear error and exit 1; a missing store too")
    func unknownRun() throws {
        let dir = TemporaryDirectory("trace-unknown")
        let store = try Self.store(dir)
        let result = try TorqlogBinary.run(["--dir", store, "trace", "no-such-run"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrText.contains("no events for run \"no-such-run\""))
        #expect(try TorqlogBinary.run(["--dir", dir.file("nothing"), "trace", "r1"]).status == 1)
        #expect(try TorqlogBinary.run(["--dir", store, "trace", "r1", "--format", "png"]).status == 64)
    }

    @Test("a record that cannot be read is reported with its sequence and left out, not dropped silently")
    func badRecord() throws {
        let dir = TemporaryDirectory("trace-bad")
        let bad = #"{"event_type":"tool_execution","timestamp":"not a time","run_id":"r1","tool_name":"x"}"#
        let store = try Self.store(dir, extra: [bad])
        let result = try TorqlogBinary.run(["--dir", store, "trace", "r1"])
        #expect(result.status == 0)
        #expect(result.stderrText.contains("run \"r1\", record at sequence"))
        #expect(result.stderrText.contains("timestamp: not an RFC 3339 timestamp"))
        #expect(result.stdoutText.contains("1 record could not be read (see standard error)"))
        #expect(result.stdoutText.contains("16 events"), "the other records are all there")
    }
}
