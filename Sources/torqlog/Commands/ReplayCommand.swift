import ArgumentParser
import TorqLogStore

/// `torqlog replay RUN_ID`: one run's events in order.
struct ReplayCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print every event of one run, in order.",
        discussion: "text: a timeline (offset from the run's first event, type, key fields); jsonl: the events as stored."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Argument(help: "The run's run_id.")
    var runID: String

    @Option(help: "text or jsonl.")
    var format: EventFormat = .text

    func run() throws {
        let reader = try StoreReader(directory: store)
        let locations = try reader.locate(RecordFilter(runKey: runID))
        guard !locations.isEmpty else {
            throw StoreError(.notFound, path: store.path, "no events for run \(Format.jsonString(runID))")
        }
        let out = OutputStream()
        switch format {
        case .jsonl:
            try reader.read(locations) { r in
                out.writeLine(r.payload)
                return !out.closed
            }
        case .text:
            var text = EventText()
            var start: Int64?
            var count = 0
            let colour = Console.colour(1)
            try reader.read(locations) { r in
                if start == nil { start = r.time }
                let offset = r.time.flatMap { t in start.map { Format.offset(nanoseconds: t - $0) } } ?? "?"
                let (type, summary) = text.describe(r.payload, typeTag: r.typeString)
                let t = Format.pad(type, 18)
                out.write(Format.pad(offset, 10) + "  " + (colour ? TypeColour.wrap(t, type) : t) + " " + summary + "\n")
                count += 1
                return !out.closed
            }
            if !out.closed {
                out.write("-- run \(runID): \(count) events")
                if let first = locations.first, let last = locations.last {
                    out.write(", sequence \(first.sequence)…\(last.sequence)")
                }
                out.write("\n")
            }
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
