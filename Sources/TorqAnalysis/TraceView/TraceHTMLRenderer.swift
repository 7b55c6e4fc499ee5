import TorqLogStore
import TorqJSON

/// An HTML page of a ``TraceModel``: the run's figures, its errors, and the
/// ``TraceSVGRenderer`` waterfall inline. Hovering a span's row shows its
/// details (from the SVG's `<title>` elements, which stay the fallback without
/// scripts) in a box that follows the pointer.
///
/// The page's style and script are the files `trace.css`, `waterfall.css`
/// (the SVG's rules) and `trace.js` (``TraceAssets``, compiled into the binary). How the page gets them is the
/// renderer's ``Assets``: copied into the page, so that one file opens from
/// disk (`torqlog trace --format html`), or linked, so that a server can send
/// the page under `Content-Security-Policy: default-src 'self'`, which runs no
/// inline code. Either way nothing loads from elsewhere: no fonts, images or
/// scripts from the network. Every value from the store is escaped.
public struct TraceHTMLRenderer: Sendable {
    /// How the page gets its style and script.
    public enum Assets: Sendable, Equatable {
        /// `trace.css` and `trace.js` copied into the page: one file that works alone.
        case embedded
        /// `<link href="PREFIX/trace.css">` and `<script src="PREFIX/trace.js">`,
        /// for a server that serves those files under PREFIX (for example `/assets`).
        case linked(prefix: String)
    }

    /// The waterfall's geometry.
    public let svg: TraceSVGRenderer
    /// How the page gets its style and script.
    public let assets: Assets

    /// A renderer drawing the waterfall with `svg`, its style and script got as `assets`.
    public init(svg: TraceSVGRenderer = TraceSVGRenderer(), assets: Assets = .embedded) {
        self.svg = svg
        self.assets = assets
    }

    /// The text of the file `name` of ``TraceAssets``.
    static func asset(_ name: String) -> String {
        TraceAssets.files[name].map { $0.bytes.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } } ?? ""
    }

    /// The page.
    public func render(_ model: TraceModel) -> String {
        let s = model.summary
        let e = TraceSVGRenderer.escape
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>torqlog trace \(e(s.runID ?? "?"))</title>\n"
        switch assets {
        case .embedded:
            out += "<style>\n" + Self.asset("trace.css") + "</style>\n"
        case .linked(let prefix):
            out += "<link rel=\"stylesheet\" href=\"\(e(prefix))/trace.css\">\n"
            out += "<link rel=\"stylesheet\" href=\"\(e(prefix))/waterfall.css\">\n"
            out += "<script src=\"\(e(prefix))/trace.js\" defer></script>\n"
        }
        out += "</head>\n<body>\n"
        out += "<h1>Run \(e(s.runID ?? "?"))</h1>\n<dl>\n"
        func row(_ term: String, _ value: String) { out += "<dt>\(e(term))</dt><dd>\(e(value))</dd>\n" }
        if !s.sessionIDs.isEmpty { row("session", s.sessionIDs.joined(separator: ", ")) }
        if !s.traceIDs.isEmpty { row("trace", s.traceIDs.map(\.description).joined(separator: ", ")) }
        if let start = s.startNanoseconds { row("start", RFC3339.format(nanoseconds: start, fractionDigits: 3)) }
        row("duration", TraceText.duration(ms: s.durationMs))
        row("events", TraceText.grouped(s.recordCount) + " (" + s.eventCounts.keys.sorted().map { "\($0) \(s.eventCounts[$0] ?? 0)" }.joined(separator: ", ") + ")")
        row("spans", TraceText.grouped(s.spanCount) + (s.openSpanCount > 0 ? " (\(s.openSpanCount) open)" : ""))
        if s.totalTokens > 0 {
            row("tokens", "\(TraceText.grouped(s.inputTokens)) in, \(TraceText.grouped(s.outputTokens)) out, \(TraceText.grouped(s.totalTokens)) total")
        }
        if !s.toolsUsed.isEmpty { row("tools", s.toolsUsed.joined(separator: ", ")) }
        row("errors", s.failures.isEmpty ? "none" : String(s.failures.count))
        out += "</dl>\n"
        if !s.failures.isEmpty {
            out += "<ul class=\"errors\">\n"
            for f in s.failures.prefix(50) {
                out += "<li>" + e(TraceText.offset(nanoseconds: f.timestampNanoseconds - model.startNanoseconds) + " " + f.subject + ": " + f.message) + "</li>\n"
            }
            if s.failures.count > 50 { out += "<li>… \(s.failures.count - 50) more</li>\n" }
            out += "</ul>\n"
        }
        if !model.warnings.isEmpty {
            out += "<ul class=\"warn\">\n"
            for w in model.warnings { out += "<li>warning: " + e(w) + "</li>\n" }
            out += "</ul>\n"
        }
        if !model.unattachedEvents.isEmpty {
            let n = model.unattachedEvents.count
            out += "<p>\(TraceText.grouped(n)) " + (n == 1 ? "event names no span and is" : "events name no span and are") + " not drawn (torqlog trace --events lists them).</p>\n"
        }
        out += "<div class=\"wrap\">\n" + svg.element(model, style: assets == .embedded) + "</div>\n"
        out += "<div id=\"tip\" hidden></div>\n"
        if assets == .embedded {
            out += "<script>\n" + Self.asset("trace.js") + "</script>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }
}
