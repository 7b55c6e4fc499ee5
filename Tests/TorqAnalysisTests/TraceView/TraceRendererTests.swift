import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqAnalysis

/// The four renderers of a trace: text, JSON, SVG and HTML.
@Suite("trace renderers")
struct TraceRendererTests {
    static func model(_ lines: [String] = TraceFixture.handRun) throws -> TraceModel {
        var builder = TraceBuilder()
        for line in lines { try builder.add(json: line) }
        return builder.build()
    }

    /// Terminal columns, counted here independently: East Asian wide characters take 2.
    static func columns(_ line: Substring) -> Int {
        line.unicodeScalars.reduce(0) { n, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v) || (0x1F300...0x1F64F).contains(v)
            return n + (wide ? 2 : 1)
        }
    }

    /// A run with long and wide names, a deep chain, and nasty characters.
    static let awkward: [String] = {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736"
        var lines: [String] = []
        var parent: String?
        var names: [String] = []
        for depth in 0..<30 {
            let id = String(format: "%016x", depth + 1)
            var name = depth == 3 ? "翻訳 the onboarding guide to 日本語 and then some more words to overflow" : "level \(depth) " + String(repeating: "x", count: depth * 3)
            if depth == 5 { name = "a <b> & \\\"c\\\" 'd' \\u0007 bell" }
            names.append(name)
            lines.append(#"{"event_type":"span_start","timestamp":"2026-03-01T12:00:\#(String(format: "%02d", depth)).000Z","trace_id":"\#(t)","span_id":"\#(id)","name":"\#(name)""# + (parent.map { #","parent_span_id":"\#($0)""# } ?? "") + #","attributes":{"k":"\#(String(repeating: "v", count: 200))"}}"#)
            parent = id
        }
        for depth in (0..<30).reversed() where depth % 2 == 0 {
            let id = String(format: "%016x", depth + 1)
            lines.append(#"{"event_type":"span_end","timestamp":"2026-03-01T12:01:\#(String(format: "%02d", 30 - depth)).000Z","trace_id":"\#(t)","span_id":"\#(id)","name":"\#(names[depth])","status":"\#(depth == 4 ? "error" : "ok")","error_message":"m"}"#)
        }
        return lines
    }()

    @Test("text: every line fits 80 columns, names cut with …, no ANSI without colour")
    func textFits() throws {
        for lines in [TraceFixture.handRun, Self.awkward] {
            let model = try Self.model(lines)
            for options in [TraceTextRenderer.Options(), .init(showEvents: true), .init(showSpanDetails: true), .init(showEvents: true, showSpanDetails: true)] {
                let text = TraceTextRenderer(options: options).render(model)
                #expect(!text.contains("\u{1B}"))
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    #expect(Self.columns(line) <= 80, "\(Self.columns(line)) columns: \(line)")
                    #expect(!line.unicodeScalars.contains { $0.value < 0x20 }, "control character in \(line)")
                }
            }
        }
        let awkward = try Self.model(Self.awkward)
        #expect(awkward.warnings.isEmpty, "\(awkward.warnings)")
        let deep = TraceTextRenderer().render(awkward)
        #expect(deep.contains("…"))
        #expect(deep.split(separator: "\n").filter { $0.contains("level") || $0.contains("翻訳") || $0.contains("<b>") }.count == 31, "30 rows and the error line of the header")
    }

    @Test("text: the tree, durations, statuses, the critical path, events and details")
    func textContent() throws {
        let model = try Self.model()
        let text = TraceTextRenderer().render(model)
        let lines = text.split(separator: "\n").map(String.init)
        let rows = lines.drop { !$0.hasPrefix("  span ") }.dropFirst()
        func row(_ name: String) -> String? { rows.first { $0.contains(name) } }
        #expect(text.hasPrefix("run r1  session s1\n"))
        #expect(text.contains("errors 2"))
        #expect(text.contains("tokens 1,200 in, 300 out, 1,500 total"))
        #expect(row("agent.run support <main>")?.hasPrefix("* agent.run") == true)
        #expect(row("plan & route")?.hasPrefix("  ├─ plan & route") == true)
        #expect(row("execute_tool web_search")?.hasPrefix("  │  └─ execute_tool") == true)
        #expect(row("tool.slow_export")?.hasPrefix("* └─ tool.slow_export") == true)
        #expect(row("tool.slow_export")?.hasSuffix("≥800 ms  OPEN") == true)
        #expect(row("tool.search")?.hasSuffix("550 ms  ERROR") == true)
        #expect(row("cache.lookup")?.hasSuffix("+1.920s    80.0 ms  ok") == true)
        #expect(!text.contains("memory_operation  write"), "events only with showEvents")
        let withEvents = TraceTextRenderer(options: .init(showEvents: true)).render(model)
        #expect(withEvents.contains("· +2.300s memory_operation  write episodic redis"))
        #expect(withEvents.contains("◆ +0.400s first_token  latency_ms=340"))
        #expect(withEvents.contains("events in no span:"))
        let details = TraceTextRenderer(options: .init(showSpanDetails: true)).render(model)
        #expect(details.contains("id 00f067aa0ba902b7  kind server  source span"))
        #expect(details.contains("gen_ai.request.model = claude-3-5-sonnet"))
        #expect(details.contains("no end (open)"))
        #expect(details.contains("(derived)"))
        let colour = TraceTextRenderer(options: .init(colour: true)).render(model)
        #expect(colour.contains("\u{1B}[1;31mERROR\u{1B}[0m"))
        let stripped = colour.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == text, "colour changes nothing but the escapes")
    }

    @Test("JSON: one document with the summary, spans with parent links, events")
    func json() throws {
        let model = try Self.model()
        let text = TraceJSONRenderer().render(model)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["run_id"] as? String == "r1")
        #expect(run["records"] as? Int == 16)
        #expect((run["event_counts"] as? [String: Int])?["span_start"] == 5)
        #expect((run["errors"] as? [Any])?.count == 2)
        #expect(run["open_spans"] as? Int == 1)
        let spans = try #require(object["spans"] as? [[String: Any]])
        #expect(spans.count == 7)
        let ids = Set(spans.compactMap { $0["span_id"] as? String })
        for span in spans {
            if let parent = span["parent_span_id"] as? String { #expect(ids.contains(parent)) }
        }
        let open = try #require(spans.first { $0["open"] as? Bool == true })
        #expect(open["end"] is NSNull)
        #expect(open["name"] as? String == "tool.slow_export (never ended)")
        let llm = try #require(spans.first { $0["name"] as? String == "llm.chat claude" })
        #expect((llm["events"] as? [[String: Any]])?.map { $0["name"] as? String } == ["first_token", "done", "model_interaction"])
        #expect((object["critical_path"] as? [String]) == ["00f067aa0ba902b7", "5000000000000005"])
        #expect((object["unattached_events"] as? [Any])?.count == 1)
    }

    /// Collects the SVG's elements and text as Foundation's XML parser sees them.
    final class SVGCollector: NSObject, XMLParserDelegate {
        var bars: [[String: String]] = []
        var texts: [String] = []
        var titles: [String] = []
        var elements = 0
        private var current = ""
        private var inTitle = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements += 1
            current = ""
            inTitle = name == "title"
            if name == "rect", (attributes["class"] ?? "").split(separator: " ").contains("bar") { bars.append(attributes) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { texts.append(current) }
            if name == "title" { titles.append(current) }
            current = ""
        }
    }

    static func parseSVG(_ text: String) throws -> SVGCollector {
        let parser = XMLParser(data: Data(text.utf8))
        let collector = SVGCollector()
        parser.delegate = collector
        let ok = parser.parse()
        #expect(ok, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
        return collector
    }

    @Test("SVG: well-formed XML, one bar per span, escaped labels, open spans dashed to the edge")
    func svg() throws {
        for lines in [TraceFixture.handRun, Self.awkward] {
            let model = try Self.model(lines)
            let text = TraceSVGRenderer().render(model)
            #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
            let svg = try Self.parseSVG(text)
            #expect(svg.bars.count == model.spans.count)
            #expect(svg.titles.count == model.spans.count)
        }
        let model = try Self.model()
        let text = TraceSVGRenderer().render(model)
        #expect(!text.contains("<main>"), "raw < in text")
        #expect(text.contains("&lt;main&gt;"))
        let svg = try Self.parseSVG(text)
        #expect(svg.texts.contains("* agent.run support <main>"))
        #expect(svg.texts.contains("plan & route"))
        #expect(svg.texts.contains("tool.search \"docs\""))
        let open = svg.bars.filter { ($0["class"] ?? "").contains("open") }
        #expect(open.count == 1)
        #expect(open.first?["stroke-dasharray"] != nil)
        let rightEdge = Double(TraceSVGRenderer().options.width - 120)
        if let x = open.first?["x"].flatMap(Double.init), let w = open.first?["width"].flatMap(Double.init) {
            #expect(abs(x + w - rightEdge) < 0.2, "the open bar reaches the right edge")
        }
        #expect(svg.bars.filter { $0["fill"] == TraceSVGRenderer.errorColour }.count == 2)
        #expect(svg.texts.contains { $0.hasPrefix("OPEN ≥") })
        #expect(svg.texts.contains("0"), "the axis starts at 0")
        #expect(svg.texts.contains("1.00 s"), "a tick every 500 ms")
        // The awkward run: the bell character is gone, quotes survive.
        let awkward = try Self.parseSVG(TraceSVGRenderer().render(try Self.model(Self.awkward)))
        #expect(awkward.texts.contains { $0.contains("a <b> & \"c\" 'd'") })
        #expect(!awkward.texts.joined().unicodeScalars.contains { $0.value == 7 })
    }

    @Test("HTML: the SVG inline, hover details, nothing external")
    func html() throws {
        let model = try Self.model()
        let html = TraceHTMLRenderer().render(model)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains(TraceSVGRenderer().element(model)))
        // Embedded: trace.css and trace.js copied in, so that the one file works alone.
        #expect(html.contains("<script>\n" + TraceHTMLRenderer.asset("trace.js") + "</script>"))
        #expect(html.contains("<style>\n" + TraceHTMLRenderer.asset("trace.css") + "</style>"))
        #expect(TraceHTMLRenderer.asset("trace.js").contains("textContent"))
        #expect(html.contains("<title>torqlog trace r1</title>"))
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for external in ["http:", "https:", "//cdn", "<link", "@import", " src=", "href="] {
            #expect(!withoutNamespace.contains(external), "\(external)")
        }
        #expect(!withoutNamespace.replacingOccurrences(of: "url(#", with: "").contains("url("))
    }

    @Test("HTML, linked: no inline script or style (for default-src 'self'), the files linked under the prefix, the same body")
    func htmlLinked() throws {
        let model = try Self.model()
        let linked = TraceHTMLRenderer(assets: .linked(prefix: "/assets")).render(model)
        #expect(!linked.contains("<style") && !linked.contains("<script>") && !linked.contains(" style="))
        #expect(linked.range(of: " on[a-z]+=", options: .regularExpression) == nil, "no inline event handler")
        #expect(linked.contains("<link rel=\"stylesheet\" href=\"/assets/trace.css\">"))
        #expect(linked.contains("<script src=\"/assets/trace.js\" defer></script>"))
        #expect(linked.contains("<link rel=\"stylesheet\" href=\"/assets/waterfall.css\">"))
        #expect(linked.contains(TraceSVGRenderer().element(model, style: false)))
        #expect(TraceSVGRenderer().element(model).contains("<style>\n" + TraceHTMLRenderer.asset("waterfall.css") + "</style>"))
        let embedded = TraceHTMLRenderer().render(model)
        let body = { (page: String) in
            page.components(separatedBy: "<body>").last?
                .replacingOccurrences(of: "<script>\n" + TraceHTMLRenderer.asset("trace.js") + "</script>\n", with: "")
                .replacingOccurrences(of: "<style>\n" + TraceHTMLRenderer.asset("waterfall.css") + "</style>\n", with: "")
        }
        #expect(body(linked) == body(embedded))
    }
}

/// The HTML trace page's style and script as compiled into the binary (``TraceAssets``).
@Suite("trace assets")
struct TraceAssetsTests {
    @Test("TraceAssets.swift holds Sources/TorqAnalysis/TraceView/Assets byte for byte (else run scripts/embed-viewer-assets.py)")
    func generatedTableIsUpToDate() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/TorqAnalysis/TraceView/Assets")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        #expect(Set(names) == Set(TraceAssets.files.keys) && Set(names) == ["trace.css", "trace.js", "waterfall.css"])
        for name in names {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            #expect(TraceAssets.files[name].map { $0.bytes.withUTF8Buffer { Array($0) } } == bytes, "\(name): run scripts/embed-viewer-assets.py")
        }
    }
}
