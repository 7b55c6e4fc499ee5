import ArgumentParser
import TorqLogStore

/// `torqlog demo`: write a realistic sample of agent activity, then show it.
struct DemoCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Write a sample of agent activity to the store, then show `info` and the replay of one run."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: "How many runs to write.")
    var runs: Int = 12

    func run() throws {
        let store = self.store
        let writer = try LogWriter(directory: store)
        var sample = SampleAgentActivity(seed: UInt64(TimeArgument.now()), startNanoseconds: TimeArgument.now() - 10 * 60 * 1_000_000_000)
        var batch = RecordBatch()
        var firstRun: String?
        var count = 0
        for i in 0..<max(1, runs) {
            for e in sample.run(index: i) {
                firstRun = firstRun ?? e.runID
                try batch.append(payload: Array(e.json.utf8), runKey: e.runID, type: e.type, time: e.time)
                count += 1
            }
        }
        try writer.append(&batch)
        try writer.close()
        Console.write(1, "Wrote \(count) events of \(max(1, runs)) agent runs to \(store.path)\n\n")
        var info = try TorqLog.parseAsRoot(["info", "--dir", store.path])
        try info.run()
        if let firstRun {
            Console.write(1, "\n$ torqlog replay \(firstRun)\n")
            var replay = try TorqLog.parseAsRoot(["replay", firstRun, "--dir", store.path])
            try replay.run()
        }
        Console.write(1, "\nTry: torqlog tail -n 20 · torqlog export --type tool_execution | jq . · torqlog verify\n")
    }
}
