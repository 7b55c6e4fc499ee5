import ArgumentParser
import TorqLogStore
import TorqTelemetry

/// `torqlog replay RUN_ID`: one run's events in order.
struct ReplayCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print every event of one run, in order.",
        discussion: "text: a timeline (offset from the run's first event, type, key fields); jsonl: the events as stored."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Argument(help: "The run's \(EventField.runID).")
    var runID: String

    @Option(help: "text or jsonl.")
    var format: EventFormat = .text

    func run() throws {
        let reader = try StoreReader(directory: store)
        let out = OutputStream()
        var text = EventText()
        var start: Int64?
        var count = 0
        var first: UInt64?, last: UInt64?
        let colour = Console.colour(1)
        // The run index picks the sealed blocks and WAL frames that hold the run; nothing else is read.
        try reader.forEach(RecordFilter(runKey: runID)) { r in
            count += 1
            first = first ?? r.sequence
            last = r.sequence
            switch format {
            case .jsonl:
                out.writeLine(r.payload)
            case .text:
                if start == nil { start = r.time }
                let offset = r.time.flatMap { t in start.map { Format.offset(nanoseconds: t - $0) } } ?? "?"
                let (type, summary) = text.describe(r.payload, typeTag: r.typeString)
                let t = Format.pad(type, 18)
                out.write(Format.pad(offset, 10) + "  " + (colour ? TypeColour.wrap(t, type) : t) + " " + summary + "\n")
            }
            return !out.closed
        }
        guard count > 0 else {
            throw StoreError(.notFound, path: store.path, "no events for run \(Format.jsonString(runID))")
        }
        if format == .text && !out.closed {
            out.write("-- run \(runID): \(count) events, sequence \(first ?? 0)…\(last ?? 0)\n")
        }
        out.flush()
    }
}

/// ANSI colours per event type, for terminals.
enum TypeColour {
    static func wrap(_ text: String, _ type: String) -> String {
        let code: String
        switch type {
        case "agent_run": code = "1;34"
        case "tool_execution": code = "32"
        case "model_interaction": code = "35"
        case "memory_operation": code = "36"
        case "routing_decision": code = "33"
        default: code = "2"
        }
        return "\u{1B}[\(code)m" + text + "\u{1B}[0m"
    }
}
