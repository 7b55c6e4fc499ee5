import ArgumentParser
import TorqLogStore

/// `torqlog export`: the store as JSONL, every event exactly as ingested.
struct ExportCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write events as JSONL, byte for byte as ingested, in sequence order."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions
    @OptionGroup var filters: FilterOptions

    @Option(name: .customLong("run"), help: "Only events of this run.")
    var runID: String?

    @Option(name: [.short, .long], help: "Write to FILE instead of standard output.")
    var output: String?

    func run() throws {
        let reader = try StoreReader(directory: store)
        let out = try OutputStream(path: output)
        try reader.forEach(filters.filter(run: runID)) { record in
            out.writeLine(record.payload)
            return !out.closed
        }
        out.flush()
        if let failure = out.failure { throw StoreError(.io, path: output ?? "<stdout>", "write failed: \(failure)") }
    }
}
