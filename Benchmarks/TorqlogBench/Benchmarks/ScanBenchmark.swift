import TorqLogStore

/// scan: every event of the store, in order.
///
/// - torqlog: `StoreReader.forEach` (every frame's checksum verified).
/// - torqlog CLI: `torqlog export > /dev/null`, wall clock.
/// - sqlite: open + `SELECT json FROM events ORDER BY seq`.
///
/// The events and JSON bytes each returns are checked against the workload.
enum ScanBenchmark: Benchmark {
    static let name = "scan"
    static let abstract = "every event, in order (checksums verified), vs SQLite SELECT all"
    static let defaultRuns = 3

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        let store = try context.torqlogStore()
        let db = try context.sqliteDatabase()
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(w.events)) events, \(Fmt.bytes(w.payloadBytes)) of JSON",
                                     repeats: context.repeats, runs: runs)
        let (n, b) = (w.events, w.payloadBytes)
        var engine = ResultRow(system: "torqlog", operation: "StoreReader.forEach (checksums verified)", isBaseline: false, events: n, bytes: b)
        var cli = ResultRow(system: "torqlog CLI", operation: "torqlog export > /dev/null", isBaseline: false, events: n, bytes: b)
        var sqlite = ResultRow(system: "sqlite", operation: "open + SELECT json ORDER BY seq", isBaseline: true, events: n, bytes: b)
        var engineLatency = LatencyRecorder(operation: "1000 events")
        var cliLatency = LatencyRecorder(operation: "whole export")
        var sqliteLatency = LatencyRecorder(operation: "1000 events")

        if let binary = context.torqlogBinary {
            let out = context.newPath("export") + ".jsonl"
            _ = try Subprocess(executable: binary, arguments: ["--dir", store, "export"], stdout: out,
                               stderr: context.newPath("stderr")).runChecked("torqlog export")
            try context.requireAgreement("scan, torqlog export", [("generated", w.events), ("exported lines", try countNewlines(path: out).lines)])
            context.remove(out)
        }

        for rep in 0..<context.repeats {
            context.log("scan: repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 3)
            for _ in 0..<runs {
                let (got, cost) = try measured { () throws -> (events: Int, bytes: Int64) in
                    let reader = try StoreReader(directory: StoreDirectory(store))
                    var events = 0
                    var bytes: Int64 = 0
                    engineLatency.start()
                    try reader.forEach { r in
                        events += 1
                        bytes += Int64(r.payload.count)
                        if events % 1000 == 0 { engineLatency.lap() }
                        return true
                    }
                    return (events, bytes)
                }
                samples[0].add(cost)
                try context.requireAgreement("scan, torqlog", [("generated", w.events), ("scanned", got.events)])
                try context.requireAgreement("scan, torqlog bytes", [("generated", Int(w.payloadBytes)), ("scanned", Int(got.bytes))])

                if let binary = context.torqlogBinary {
                    let r = try Subprocess(executable: binary, arguments: ["--dir", store, "export"],
                                           stderr: context.newPath("stderr")).runChecked("torqlog export")
                    samples[1].add(r)
                    cliLatency.record(seconds: r.seconds)
                }

                let (rows, sqliteCost) = try measured { try SQLiteBaseline.scan(path: db, latency: &sqliteLatency) }
                samples[2].add(sqliteCost)
                try context.requireAgreement("scan, sqlite", [("generated", w.events), ("rows", rows.events)])
                try context.requireAgreement("scan, sqlite bytes", [("generated", Int(w.payloadBytes)), ("rows", Int(rows.bytes))])
            }
            samples[0].fold(into: &engine)
            samples[1].fold(into: &cli)
            samples[2].fold(into: &sqlite)
        }
        if let binary = context.torqlogBinary {
            cli.peakRSS = try Subprocess(executable: binary, arguments: ["--dir", store, "export"],
                                         stderr: context.newPath("stderr")).peakRSS(scratch: context.newPath("time"))
        }
        engine.latency = engineLatency.summary
        cli.latency = cliLatency.summary
        sqlite.latency = sqliteLatency.summary
        report.rows = [engine] + (cli.seconds.isEmpty ? [] : [cli]) + [sqlite]
        report.notes.append("the torqlog store (ingested with the defaults): \(context.describeStore(store)); the SQLite database: \(Fmt.bytes(fileSize(db) + fileSize(db + "-wal")))")
        report.checks.append("every scan returned \(Fmt.count(w.events)) events and \(Fmt.bytes(w.payloadBytes)) of JSON (torqlog, sqlite"
                             + (cli.seconds.isEmpty ? ")" : "; the CLI's export: \(Fmt.count(w.events)) lines, checked once)"))
        report.notes.append("MB/s counts the JSON payloads (no newlines)")
        return report
    }
}
