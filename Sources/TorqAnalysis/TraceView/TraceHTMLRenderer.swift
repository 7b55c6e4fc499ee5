import TorqLogStore
import TorqJSON

/// A self-contained HTML page of a ``TraceModel``: the run's figures, its
/// errors, and the ``TraceSVGRenderer`` waterfall inline. Hovering a span's
/// row shows its details (from the SVG's `<title>` elements, which stay the
/// fallback without scripts) in a box that follows the pointer; a few lines
/// of inline script do it. No external resources: no links, fonts, images or
/// scripts from elsewhere.
public struct TraceHTMLRenderer: Sendable {
    /// The waterfall's geometry.
    public let svg: TraceSVGRenderer

    /// A renderer drawing the waterfall with `svg`.
    public init(svg: TraceSVGRenderer = TraceSVGRenderer()) {
        self.svg = svg
    }

    /// The page.
    public func render(_ model: TraceModel) -> String {
        let s = model.summary
        let e = TraceSVGRenderer.escape
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>torqlog trace \(e(s.runID ?? "?"))</title>\n"
        out += "<style>\n"
        out += "body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}\n"
        out += "h1{font-size:18px;margin:0 0 8px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0 0 12px}\n"
        out += "dt{color:#666}dd{margin:0}.errors{color:#b00}.warn{color:#965}.wrap{overflow-x:auto;border:1px solid #ddd}\n"
        out += "#tip{position:fixed;pointer-events:none;background:#222;color:#fff;font:12px/1.35 ui-monospace,monospace;"
        out += "padding:6px 8px;border-radius:4px;white-space:pre;max-width:640px;overflow:hidden;z-index:9}\n"
        out += "</style>\n</head>\n<body>\n"
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
        out += "<div class=\"wrap\">\n" + svg.element(model) + "</div>\n"
        out += "<div id=\"tip\" hidden></div>\n"
        out += "<script>\n"
        out += """
            (function () {
              var tip = document.getElementById('tip');
              document.querySelectorAll('g.span').forEach(function (g) {
                var t = g.querySelector('title');
                if (!t) return;
                g.dataset.tip = t.textContent;
                t.remove();
                g.addEventListener('mousemove', function (ev) {
                  tip.textContent = g.dataset.tip;
                  tip.hidden = false;
                  var x = ev.clientX + 14, y = ev.clientY + 14;
                  if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, ev.clientX - tip.offsetWidth - 14);
                  if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, ev.clientY - tip.offsetHeight - 14);
                  tip.style.left = x + 'px';
                  tip.style.top = y + 'px';
                });
                g.addEventListener('mouseleave', function () { tip.hidden = true; });
              });
            })();

            """
        out += "</script>\n</body>\n</html>\n"
        return out
    }
}
