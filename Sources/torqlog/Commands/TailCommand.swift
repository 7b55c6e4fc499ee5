import ArgumentParser
import TorqLogStore
import TorqJSON

/// `torqlog tail`: the last events, and with -f the new ones as they arrive.
struct TailCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show the last events; with -f, keep printing new ones as they are written (like journalctl -n/-f)."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions
    @OptionGroup var filters: FilterOptions

    @Option(name: .short, help: "How many of the last events to show.")
    var n: Int = 10

    @Flag(name: .short, help: "Follow: print new events as they are written, until interrupted.")
    var follow = false

    @Option(name: .customLong("run"), help: "Only events of this run.")
    var runID: String?

    @Option(help: "text or jsonl.")
    var format: EventFormat = .text

    func validate() throws {
        guard n >= 0 else { throw ValidationError("-n must be 0 or more") }
    }

    func run() throws {
        let reader = try StoreReader(directory: store)
        let filter = filters.filter(run: runID)
        let out = OutputStream()
        var text = EventText()
        let colour = Console.colour(1)
        func emit(_ r: RecordView) {
            switch format {
            case .jsonl: out.writeLine(r.payload)
            case .text:
                let (type, summary) = text.describe(r.payload, typeTag: r.typeString)
                let when = r.time.map { RFC3339.format(nanoseconds: $0, fractionDigits: 3) } ?? Format.pad("-", 24)
                let t = Format.pad(type, 18)
                out.write(when + "  " + Format.pad(r.runKeyString ?? "-", 12) + "  " + (colour ? TypeColour.wrap(t, type) : t) + " " + summary + "\n")
            }
        }
        // Where following starts: the end of the store as it is now.
        let end = follow ? try reader.endPosition() : nil
        try reader.last(n, filter) { r in
            if let end, r.sequence >= end.sequence { return false }
            emit(r)
            return !out.closed
        }
        out.flush()
        guard let end, !out.closed else { return }
        let live = try LiveReader(directory: store, from: end)
        while !out.closed {
            let got = try live.readAvailable { r in
                if filter.matches(r) { emit(r) }
            }
            out.flush()
            if got == 0 { live.waitForChange(timeoutMilliseconds: 1000) }
        }
    }
}
