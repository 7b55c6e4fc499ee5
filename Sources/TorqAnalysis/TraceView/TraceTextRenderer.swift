import TorqLogStore
import TorqJSON

/// Draws a ``TraceModel`` as text: a header with the run's figures, then the
/// span tree (box-drawing lines) with each span's start offset, duration and
/// status, the critical path marked `*` in the first column. Every line fits
/// ``Options/width`` terminal columns: names are cut with `…`.
///
/// Statuses: `ok`, `ERROR`, `OPEN` (started, never ended: its duration reads
/// `≥ …`, up to the trace's end), `unset`, and `?` for a parent that was
/// never recorded (its duration, in parentheses, is its children's envelope).
public struct TraceTextRenderer: Sendable {
    /// What to show.
    public struct Options: Sendable {
        /// Show each span's events (span events and the records attached to it) under it.
        public var showEvents: Bool
        /// Show each span's ids, kind, absolute times and attributes under it.
        public var showSpanDetails: Bool
        /// Use ANSI colours (the caller decides: a TTY, and `NO_COLOR` unset).
        public var colour: Bool
        /// Columns per line; at least 60.
        public var width: Int

        /// Options; by default the tree alone, no colour, 80 columns.
        public init(showEvents: Bool = false, showSpanDetails: Bool = false, colour: Bool = false, width: Int = 80) {
            self.showEvents = showEvents
            self.showSpanDetails = showSpanDetails
            self.colour = colour
            self.width = max(width, 60)
        }
    }

    /// The options in force.
    public let options: Options

    /// A renderer with `options`.
    public init(options: Options = Options()) {
        self.options = options
    }

    private static let startWidth = 9
    private static let durationWidth = 10
    private static let statusWidth = 6
    private static let maxPrefix = 24

    /// The whole text, ending with a newline.
    public func render(_ model: TraceModel) -> String {
        var out = ""
        out.reserveCapacity(model.spans.count * 90 + 1024)
        header(model, &out)
        let nameWidth = options.width - 2 - 1 - Self.startWidth - 1 - Self.durationWidth - 2 - Self.statusWidth
        if !model.spans.isEmpty {
            line(&out, "  " + TraceText.pad("span", nameWidth) + " " + TraceText.padLeft("start", Self.startWidth) + " "
                 + TraceText.padLeft("duration", Self.durationWidth) + "  status", style: "2")
        }
        var isLast = [Bool](repeating: true, count: model.spans.count)
        for span in model.spans {
            for (i, c) in span.childIndices.enumerated() { isLast[c] = i == span.childIndices.count - 1 }
        }
        for (i, r) in model.rootIndices.enumerated() { isLast[r] = i == model.rootIndices.count - 1 }
        // ancestorsLast[d]: whether the ancestor at depth d is the last of its siblings.
        var ancestorsLast: [Bool] = []
        let traceStart = model.startNanoseconds, traceEnd = model.endNanoseconds
        for i in model.spans.indices {
            let span = model.spans[i]
            ancestorsLast.removeLast(max(0, ancestorsLast.count - span.depth))
            var prefix = ""
            if span.depth > 0 {
                for d in 1..<span.depth { prefix += ancestorsLast[d] ? "   " : "│  " }
                prefix += isLast[span.index] ? "└─ " : "├─ "
            }
            ancestorsLast.append(isLast[span.index])
            prefix = Self.capped(prefix)

            let marker = span.isOnCriticalPath ? "*" : " "
            let (statusText, statusStyle) = Self.status(span)
            if options.colour {
                let name = TraceText.pad(prefix + span.name, nameWidth)
                out += span.isOnCriticalPath ? Self.ansi(marker, "1;33") : marker
                out += " "
                out += span.source == .unrecorded ? Self.ansi(name, "2") : span.isOnCriticalPath ? Self.ansi(name, "1") : name
            } else {
                out += marker
                out += " "
                // The prefix is box-drawing characters, spaces and "…", one column each.
                let prefixColumns = prefix.unicodeScalars.count
                out += prefix
                TraceText.appendPadded(&out, span.name, nameWidth - prefixColumns)
            }
            out += " "
            TraceText.appendPadded(&out, TraceText.offset(nanoseconds: span.startNanoseconds - traceStart), Self.startWidth, right: true)
            out += " "
            TraceText.appendPadded(&out, Self.durationText(span, traceEnd: traceEnd), Self.durationWidth, right: true)
            out += "  "
            out += options.colour && !statusStyle.isEmpty ? Self.ansi(statusText, statusStyle) : statusText
            out += "\n"

            if options.showSpanDetails || (options.showEvents && !span.events.isEmpty) {
                var below = ""
                if span.depth > 0 { for d in 1...span.depth { below += ancestorsLast[d] ? "   " : "│  " } }
                below += span.childIndices.isEmpty ? "   " : "│  "
                below = Self.capped(below)
                if options.showSpanDetails { details(span, indent: below, &out) }
                if options.showEvents {
                    for event in span.events { eventLine(event, indent: below, traceStart: traceStart, &out) }
                }
            }
        }
        if !model.unattachedEvents.isEmpty {
            if options.showEvents {
                line(&out, "")
                line(&out, "events in no span:", style: "1")
                for event in model.unattachedEvents { eventLine(event, indent: "  ", traceStart: traceStart, &out) }
            } else {
                line(&out, "")
                line(&out, "\(TraceText.grouped(model.unattachedEvents.count)) event\(model.unattachedEvents.count == 1 ? "" : "s") in no span (--events shows them)", style: "2")
            }
        }
        for warning in model.warnings { line(&out, "warning: " + warning, style: "33") }
        return out
    }

    // MARK: - Pieces

    private func header(_ model: TraceModel, _ out: inout String) {
        let s = model.summary
        var first = "run " + (s.runID ?? "?")
        if let session = s.sessionID { first += "  session " + session + (s.sessionIDs.count > 1 ? " (+\(s.sessionIDs.count - 1))" : "") }
        line(&out, first, style: "1")
        var second = TraceText.duration(ms: s.durationMs) + "  " + TraceText.grouped(s.recordCount) + " events  "
            + TraceText.grouped(s.spanCount) + " spans"
        if s.openSpanCount > 0 { second += " (\(s.openSpanCount) open)" }
        if let start = s.startNanoseconds { second += "  from " + RFC3339.format(nanoseconds: start, fractionDigits: 3) }
        line(&out, second)
        let counts = s.eventCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \(TraceText.grouped($0.value))" }
        if !counts.isEmpty { wrapped(&out, "types  ", counts) }
        if s.inputTokens + s.outputTokens + s.totalTokens > 0 {
            line(&out, "tokens " + TraceText.grouped(s.inputTokens) + " in, " + TraceText.grouped(s.outputTokens) + " out, "
                 + TraceText.grouped(s.totalTokens) + " total")
        }
        if !s.toolsUsed.isEmpty { wrapped(&out, "tools  ", s.toolsUsed) }
        if let trace = s.traceIDs.first { line(&out, "trace  \(trace)" + (s.traceIDs.count > 1 ? " (+\(s.traceIDs.count - 1) more)" : "")) }
        if s.failures.isEmpty {
            line(&out, "errors none")
        } else {
            line(&out, "errors \(s.failures.count)", style: "1;31")
            for failure in s.failures.prefix(5) {
                let offset = TraceText.offset(nanoseconds: failure.timestampNanoseconds - model.startNanoseconds)
                line(&out, "  " + offset + " " + failure.subject + ": " + failure.message, style: "31")
            }
            if s.failures.count > 5 { line(&out, "  … and \(s.failures.count - 5) more") }
        }
        if !model.criticalPath.isEmpty { line(&out, "* marks the critical path", style: "2") }
        line(&out, "")
    }

    private func details(_ span: TraceSpan, indent: String, _ out: inout String) {
        let pad = indent + "  "
        var ids = "id \(span.spanID)"
        if let parent = span.parentSpanID { ids += "  parent \(parent)" }
        ids += "  kind \(span.kind.rawValue)  source \(span.source.rawValue)"
        line(&out, "  " + pad + ids, style: "2")
        var times = "start " + RFC3339.format(nanoseconds: span.startNanoseconds, fractionDigits: 6)
        if !span.hasRecordedStart && span.source == .span { times += " (derived)" }
        if let end = span.endNanoseconds {
            times += "  end " + RFC3339.format(nanoseconds: end, fractionDigits: 6)
            if span.source == .unrecorded { times += " (children's envelope)" }
        } else {
            times += "  no end (open)"
        }
        line(&out, "  " + pad + times, style: "2")
        if let message = span.errorMessage { line(&out, "  " + pad + "error: " + message, style: "31") }
        for key in span.attributes.keys.sorted() {
            line(&out, "  " + pad + key + " = " + TraceText.value(span.attributes[key] ?? .null), style: "2")
        }
    }

    private func eventLine(_ event: TraceSpanEvent, indent: String, traceStart: Int64, _ out: inout String) {
        let offset = TraceText.offset(nanoseconds: event.timestampNanoseconds - traceStart)
        let summary = event.summary.isEmpty ? TraceText.attributeSummary(event.attributes) : event.summary
        let mark = event.source == .spanEvent ? "◆ " : "· "
        line(&out, "  " + indent + mark + offset + " " + event.name + (summary.isEmpty ? "" : "  " + summary), style: event.isFailure ? "31" : "2")
    }

    /// Appends `label` and `items` separated by commas, wrapped to the width (continuation lines indented like the text).
    private func wrapped(_ out: inout String, _ label: String, _ items: [String]) {
        let indent = String(repeating: " ", count: TraceText.columns(label))
        var current = label
        var empty = true
        for (i, item) in items.enumerated() {
            let piece = item + (i == items.count - 1 ? "" : ",")
            if !empty && TraceText.columns(current) + 1 + TraceText.columns(piece) > options.width {
                line(&out, current)
                current = indent + piece
            } else {
                current += (empty ? "" : " ") + piece
            }
            empty = false
        }
        line(&out, current)
    }

    /// Appends `text` cut to the width, styled when colour is on.
    private func line(_ out: inout String, _ text: String, style: String = "") {
        let cut = TraceText.truncate(text, to: options.width)
        out += (options.colour && !style.isEmpty && !cut.isEmpty ? Self.ansi(cut, style) : cut) + "\n"
    }

    private static func ansi(_ text: String, _ code: String) -> String { "\u{1B}[\(code)m" + text + "\u{1B}[0m" }

    /// A tree prefix of at most ``maxPrefix`` columns: deeper levels keep their last columns after `…`.
    private static func capped(_ prefix: String) -> String {
        guard prefix.utf8.count > maxPrefix else { return prefix } // box characters take 3 bytes: a cheap first test
        let scalars = Array(prefix.unicodeScalars)
        guard scalars.count > maxPrefix else { return prefix }
        var view = String.UnicodeScalarView()
        view.append("…")
        view.append(contentsOf: scalars.suffix(maxPrefix - 1))
        return String(view)
    }

    static func durationText(_ span: TraceSpan, traceEnd: Int64) -> String {
        switch span.source {
        case .unrecorded:
            return "(" + TraceText.duration(nanoseconds: span.displayEnd(traceEnd: traceEnd) - span.startNanoseconds) + ")"
        case .event where span.endNanoseconds == span.startNanoseconds:
            return "instant"
        default:
            guard let end = span.endNanoseconds else {
                return "≥" + TraceText.duration(nanoseconds: span.displayEnd(traceEnd: traceEnd) - span.startNanoseconds)
            }
            return TraceText.duration(nanoseconds: end - span.startNanoseconds)
        }
    }

    static func status(_ span: TraceSpan) -> (String, String) {
        if span.source == .unrecorded { return ("?", "2") }
        if span.isOpen { return ("OPEN", "1;33") }
        switch span.status {
        case .ok: return ("ok", "32")
        case .error: return ("ERROR", "1;31")
        case .unset: return ("unset", "")
        }
    }
}
