import ArgumentParser
import TorqLogStore
import TorqTelemetry

/// `torqlog trace RUN_ID`: one run's spans as a tree, JSON, an SVG waterfall or an HTML page.
struct TraceCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show one run as a trace: its spans as a tree with timings, the critical path and the run's figures.",
        discussion: """
            Spans come from span_start/span_end records (same \(EventField.spanID)). A span with a start and no end is OPEN \
            (still running, or cut off) and is drawn up to the run's last event; an end without a start gets its \
            start from \(EventField.durationMs). A record of the five event types whose \(EventField.spanID) names no recorded span is drawn \
            as a leaf ending at its timestamp and lasting its \(EventField.executionTimeMs) / \(EventField.responseTimeMs) / \
            \(EventField.operationTimeMs) / \(EventField.routingTimeMs) (an instant without one); one whose \(EventField.spanID) names a span is one of \
            that span's events. A parent named by \(EventField.parentSpanID) but never recorded is shown as "not recorded", \
            spanning its children. The critical path (marked *) runs from the root finishing last through, at each \
            level, the child finishing last.

            text: a tree that fits 80 columns (colour on a terminal unless NO_COLOR is set); --events lists each \
            span's events under it, --spans its ids, times and attributes. json: one document. svg: a waterfall. \
            html: the waterfall in a self-contained page with details on hover. A record that cannot be read is \
            reported on standard error and left out. Unknown run: exit 1.
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json, svg, html
    }

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Argument(help: "The run's \(EventField.runID).")
    var runID: String

    @Flag(help: "text: show each span's events (span events and the records in it) under it.")
    var events = false

    @Flag(help: "text: show each span's ids, kind, times and attributes under it.")
    var spans = false

    @Option(help: "text, json, svg or html.")
    var format: Output = .text

    @Option(name: [.short, .long], help: "Write to FILE instead of standard output.")
    var output: String?

    func run() throws {
        let reader = try StoreReader(directory: store)
        // The plain tree needs no attributes nor events: read only what it shows.
        let detail: TraceDetail = format == .text && !events && !spans ? .tree : .full
        var builder = TraceBuilder(runID: runID, detail: detail)
        var seen = 0
        var rejected = 0
        // The run index picks the sealed blocks and WAL frames that hold the run; nothing else is read.
        try reader.forEach(RecordFilter(runKey: runID)) { record in
            seen += 1
            do {
                try builder.add(json: record.payload)
            } catch {
                rejected += 1
                if rejected <= 20 {
                    Console.error("run \(Format.jsonString(runID)), record at sequence \(record.sequence): \(error); left out of the trace")
                }
            }
            return true
        }
        guard seen > 0 else {
            throw StoreError(.notFound, path: store.path, "no events for run \(Format.jsonString(runID))")
        }
        if rejected > 20 { Console.error("… \(rejected - 20) more records of run \(Format.jsonString(runID)) left out") }
        let model = builder.build()
        builder = TraceBuilder() // frees the records before rendering
        var text: String
        switch format {
        case .text:
            let colour = output == nil && Console.colour(1)
            text = TraceTextRenderer(options: .init(showEvents: events, showSpanDetails: spans, colour: colour)).render(model)
            if rejected > 0 { text += "\(rejected) record\(rejected == 1 ? "" : "s") could not be read (see standard error)\n" }
        case .json: text = TraceJSONRenderer().render(model)
        case .svg: text = TraceSVGRenderer().render(model)
        case .html: text = TraceHTMLRenderer().render(model)
        }
        let out = try OutputStream(path: output)
        out.write(text)
        out.flush()
        if let failure = out.failure { throw StoreError(.io, path: output ?? "<stdout>", "write failed: \(failure)") }
    }
}
