/// Draws a ``TraceModel`` as a self-contained SVG waterfall: one row per
/// span, in tree order, with its name (indented by depth) on the left and a
/// bar on a shared time axis (ticks and grid lines, offsets from the run's
/// start) on the right, its duration after the bar.
///
/// Bars are `<rect class="bar …">`, one per span, coloured by kind (internal
/// blue, client purple, server green, producer orange, consumer teal), red
/// for status error; event leaves are lighter; an open span fades out and is
/// dashed up to the right edge, labelled `OPEN`; a parent never recorded is
/// a dashed outline over its children. The critical path has a dark outline
/// and a `*` before its name. Span events and attached records are small
/// circles on the bar. Each span's `<g>` has a `<title>` with its details
/// (hover). Text is XML-escaped; characters XML forbids become spaces. No
/// external resources.
public struct TraceSVGRenderer: Sendable {
    /// Geometry.
    public struct Options: Sendable {
        /// Width of the picture, in pixels (at least 640).
        public var width: Int
        /// Width of the name column, in pixels (at most half the width).
        public var labelWidth: Int

        /// Options; 1200 px wide with a 380 px name column by default.
        public init(width: Int = 1200, labelWidth: Int = 380) {
            self.width = max(width, 640)
            self.labelWidth = min(max(labelWidth, 160), self.width / 2)
        }
    }

    /// The geometry in force.
    public let options: Options

    /// A renderer with `options`.
    public init(options: Options = Options()) {
        self.options = options
    }

    static let rowHeight = 20
    static let rowsTop = 76
    static let charWidth = 7.2

    static let kindColours: [TraceSpanKind: String] = [
        .internal: "#4e79a7", .client: "#9467bd", .server: "#59a14f", .producer: "#f28e2b", .consumer: "#2ca7a0",
    ]
    static let errorColour = "#d62728"

    /// The SVG document, with its XML declaration.
    public func render(_ model: TraceModel) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + element(model)
    }

    /// The `<svg>` element alone (for embedding in HTML). With `style`, it
    /// carries its rules (`waterfall.css` of ``TraceAssets``) in a `<style>`
    /// element; without, the page that embeds it links that file (a page
    /// under `Content-Security-Policy: default-src 'self'` applies no inline style).
    public func element(_ model: TraceModel, style: Bool = true) -> String {
        let width = Double(options.width)
        let x0 = Double(options.labelWidth), x1 = width - 120
        let start = model.startNanoseconds
        let end = max(model.endNanoseconds, start + 1)
        let total = Double(end - start)
        func x(_ t: Int64) -> Double { x0 + Double(t - start) / total * (x1 - x0) }
        let rows = model.spans.count
        let rowsBottom = Self.rowsTop + rows * Self.rowHeight
        let height = rowsBottom + 64

        var out = ""
        out.reserveCapacity(rows * 700 + 4096)
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(options.width)\" height=\"\(height)\" "
        out += "viewBox=\"0 0 \(options.width) \(height)\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"12\">\n"
        if style { out += "<style>\n" + TraceHTMLRenderer.asset("waterfall.css") + "</style>\n" }
        out += "<defs>\n"
        for (kind, colour) in Self.kindColours.sorted(by: { $0.key.otlpValue < $1.key.otlpValue }) {
            out += Self.gradient("open-\(kind.rawValue)", colour)
        }
        out += Self.gradient("open-error", Self.errorColour)
        out += "</defs>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(options.width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"

        // Header.
        let s = model.summary
        var title = "run " + (s.runID ?? "?") + " — " + TraceText.duration(ms: s.durationMs)
        title += ", \(TraceText.grouped(s.spanCount)) spans, \(TraceText.grouped(s.recordCount)) events"
        if !s.failures.isEmpty { title += ", \(s.failures.count) error" + (s.failures.count == 1 ? "" : "s") }
        if s.openSpanCount > 0 { title += ", \(s.openSpanCount) open" }
        out += "<text class=\"title\" x=\"12\" y=\"22\">\(Self.escape(TraceText.truncate(title, to: Int(width / 9))))</text>\n"
        var sub: [String] = []
        if let session = s.sessionID { sub.append("session " + session) }
        if let trace = s.traceIDs.first { sub.append("trace \(trace)") }
        if s.totalTokens > 0 { sub.append("tokens \(TraceText.grouped(s.inputTokens)) in / \(TraceText.grouped(s.outputTokens)) out") }
        if !s.toolsUsed.isEmpty { sub.append("tools " + s.toolsUsed.joined(separator: ", ")) }
        out += "<text class=\"sub\" x=\"12\" y=\"40\">\(Self.escape(TraceText.truncate(sub.joined(separator: " · "), to: Int(width / 7.4))))</text>\n"

        // Axis, ticks, grid.
        let axisY = Self.rowsTop - 6
        out += "<g class=\"axis-group\">\n"
        out += "<line class=\"axis\" x1=\"\(Self.n(x0))\" y1=\"\(axisY)\" x2=\"\(Self.n(x1))\" y2=\"\(axisY)\"/>\n"
        let step = Self.tickStep(Int64(total))
        var tick: Int64 = 0
        while tick <= Int64(total) {
            let tx = x(start + tick)
            out += "<line class=\"grid\" x1=\"\(Self.n(tx))\" y1=\"\(axisY)\" x2=\"\(Self.n(tx))\" y2=\"\(rowsBottom)\"/>"
            out += "<line class=\"axis\" x1=\"\(Self.n(tx))\" y1=\"\(axisY - 4)\" x2=\"\(Self.n(tx))\" y2=\"\(axisY)\"/>"
            let label = tick == 0 ? "0" : TraceText.duration(nanoseconds: tick)
            out += "<text class=\"tick\" x=\"\(Self.n(tx))\" y=\"\(axisY - 8)\" text-anchor=\"middle\">\(Self.escape(label))</text>\n"
            tick += step
        }
        out += "<text class=\"tick\" x=\"12\" y=\"\(axisY - 8)\">span</text>\n"
        out += "</g>\n"

        // Rows.
        let traceEnd = model.endNanoseconds
        for span in model.spans {
            let top = Self.rowsTop + span.index * Self.rowHeight
            let barY = top + 4
            let colour = span.status == .error ? Self.errorColour : Self.kindColours[span.kind] ?? "#4e79a7"
            var classes = "span kind-\(span.kind.rawValue) status-\(span.status.rawValue) source-\(span.source.rawValue)"
            if span.isOpen { classes += " open" }
            if span.isOnCriticalPath { classes += " critical" }
            out += "<g class=\"\(classes)\" data-span-id=\"\(span.spanID)\">"
            out += "<title>\(Self.escape(Self.tooltip(span, model: model)))</title>"
            out += "<rect class=\"hl\(span.index % 2 == 1 ? " stripe" : "")\" x=\"0\" y=\"\(top)\" width=\"\(options.width)\" height=\"\(Self.rowHeight)\" fill=\"#000\" fill-opacity=\"\(span.index % 2 == 1 ? "0.025" : "0")\"/>"
            // Label.
            let indent = 12.0 + Double(min(span.depth, 20)) * 12
            let room = Int((x0 - 8 - indent) / Self.charWidth)
            let label = TraceText.truncate((span.isOnCriticalPath ? "* " : "") + span.name, to: max(room, 4))
            out += "<text class=\"label\" x=\"\(Self.n(indent))\" y=\"\(top + 14)\"\(span.source == .unrecorded ? " fill=\"#777\"" : "")>\(Self.escape(label))</text>"
            // Bar.
            let bx = x(span.startNanoseconds)
            let ex = span.isOpen ? x1 : max(x(span.displayEnd(traceEnd: traceEnd)), bx)
            let bw = max(ex - bx, 2)
            let stroke = span.isOnCriticalPath ? " stroke=\"#111\" stroke-width=\"1.5\"" : ""
            let geometry = "x=\"\(Self.n(bx))\" y=\"\(barY)\" width=\"\(Self.n(bw))\" height=\"12\" rx=\"2\""
            switch span.source {
            case .unrecorded:
                out += "<rect class=\"bar unrecorded\" \(geometry) fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
            case _ where span.isOpen:
                let fill = span.status == .error ? "open-error" : "open-\(span.kind.rawValue)"
                out += "<rect class=\"bar open\" \(geometry) fill=\"url(#\(fill))\" stroke=\"\(colour)\" stroke-dasharray=\"5 3\"/>"
                if span.isOnCriticalPath {
                    out += "<rect x=\"\(Self.n(bx))\" y=\"\(barY)\" width=\"\(Self.n(bw))\" height=\"12\" rx=\"2\" fill=\"none\"\(stroke) stroke-dasharray=\"5 3\"/>"
                }
            default:
                let opacity = span.source == .event ? " fill-opacity=\"0.72\"" : ""
                out += "<rect class=\"bar\" \(geometry) fill=\"\(colour)\"\(opacity)\(stroke)/>"
            }
            // Events on the bar.
            for event in span.events {
                let mx = x(event.timestampNanoseconds)
                let fill = event.isFailure ? Self.errorColour : event.source == .spanEvent ? "#ffd166" : "#ffffff"
                out += "<circle class=\"mark\" cx=\"\(Self.n(mx))\" cy=\"\(barY + 6)\" r=\"2.6\" fill=\"\(fill)\"/>"
            }
            // Duration.
            var duration = TraceTextRenderer.durationText(span, traceEnd: traceEnd)
            if span.isOpen { duration = "OPEN " + duration }
            if span.status == .error { duration += " ERROR" }
            out += "<text class=\"dur\" x=\"\(Self.n(ex + 4))\" y=\"\(top + 14)\"\(span.status == .error ? " fill=\"\(Self.errorColour)\"" : "")>\(Self.escape(duration))</text>"
            out += "</g>\n"
        }

        // Legend.
        var lx = 12.0
        let ly = rowsBottom + 28
        out += "<g class=\"legend-group\">"
        for (kind, colour) in Self.kindColours.sorted(by: { $0.key.otlpValue < $1.key.otlpValue }) {
            out += "<rect x=\"\(Self.n(lx))\" y=\"\(ly - 9)\" width=\"18\" height=\"10\" rx=\"2\" fill=\"\(colour)\"/>"
            out += "<text class=\"legend\" x=\"\(Self.n(lx + 22))\" y=\"\(ly)\">\(kind.rawValue)</text>"
            lx += 30 + Double(kind.rawValue.count) * 6.8
        }
        let extras: [(String, String)] = [
            ("fill=\"\(Self.errorColour)\"", "error"),
            ("fill=\"url(#open-internal)\" stroke=\"#4e79a7\" stroke-dasharray=\"5 3\"", "open (no end)"),
            ("fill=\"#4e79a7\" stroke=\"#111\" stroke-width=\"1.5\"", "* critical path"),
            ("fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\"", "not recorded"),
        ]
        for (paint, text) in extras {
            out += "<rect x=\"\(Self.n(lx))\" y=\"\(ly - 9)\" width=\"18\" height=\"10\" rx=\"2\" \(paint)/>"
            out += "<text class=\"legend\" x=\"\(Self.n(lx + 22))\" y=\"\(ly)\">\(Self.escape(text))</text>"
            lx += 30 + Double(text.count) * 6.8
        }
        out += "</g>\n</svg>\n"
        return out
    }

    // MARK: - Helpers

    private static func gradient(_ id: String, _ colour: String) -> String {
        "<linearGradient id=\"\(id)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\"><stop offset=\"0\" stop-color=\"\(colour)\" stop-opacity=\"0.9\"/>"
            + "<stop offset=\"1\" stop-color=\"\(colour)\" stop-opacity=\"0.04\"/></linearGradient>\n"
    }

    /// A tick spacing of 1, 2 or 5 × 10ⁿ nanoseconds giving at most about ten ticks over `total`.
    static func tickStep(_ total: Int64) -> Int64 {
        var step: Int64 = 1
        while true {
            for m: Int64 in [1, 2, 5] {
                let candidate = step * m
                if total / candidate <= 10 { return candidate }
            }
            if step > Int64.max / 100 { return step * 10 }
            step *= 10
        }
    }

    /// A pixel coordinate with at most one decimal.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// The hover text of a span: name, status, timing, ids, error, attributes, events.
    static func tooltip(_ span: TraceSpan, model: TraceModel) -> String {
        var lines = [span.name]
        var status = span.source == .unrecorded ? "not recorded (only named as a parent)" : span.isOpen ? "OPEN: started, no end recorded" : "status \(span.status.rawValue)"
        if span.isOnCriticalPath { status += " · critical path" }
        lines.append(status)
        let traceEnd = model.endNanoseconds
        lines.append("start " + TraceText.offset(nanoseconds: span.startNanoseconds - model.startNanoseconds)
                     + (span.hasRecordedStart || span.source != .span ? "" : " (derived)")
                     + " · duration " + TraceTextRenderer.durationText(span, traceEnd: traceEnd))
        lines.append("kind \(span.kind.rawValue) · span \(span.spanID)" + (span.parentSpanID.map { " · parent \($0)" } ?? ""))
        if let message = span.errorMessage { lines.append("error: " + message) }
        let keys = span.attributes.keys.sorted()
        for key in keys.prefix(24) { lines.append(key + " = " + TraceText.truncate(TraceText.value(span.attributes[key] ?? .null), to: 120)) }
        if keys.count > 24 { lines.append("… \(keys.count - 24) more attributes") }
        for event in span.events.prefix(12) {
            lines.append("• " + TraceText.offset(nanoseconds: event.timestampNanoseconds - model.startNanoseconds) + " " + event.name + " "
                         + TraceText.truncate(event.summary, to: 100))
        }
        if span.events.count > 12 { lines.append("… \(span.events.count - 12) more events") }
        return lines.joined(separator: "\n")
    }

    /// `text` escaped for XML text and attribute values; characters XML 1.0 forbids become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || v == 0x7F { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
