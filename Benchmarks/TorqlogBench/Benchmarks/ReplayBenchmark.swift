import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// replay: every event of the largest run (17% of the events, spread over the
/// whole log), out of the store.
///
/// - torqlog: `StoreReader` + `forEach(RecordFilter(runKey:))`: a header scan
///   of each WAL segment, then each of the run's frames read and verified
///   (sealed segments: only the blocks their index names).
/// - torqlog CLI: `torqlog replay ID --format jsonl > /dev/null`, wall clock.
/// - sqlite: open + `SELECT json FROM events WHERE run_id = ? ORDER BY seq` (the run_id index).
///
/// Bytes read are measured, not assumed: `rchar` of /proc/self/io (every
/// read/pread, page cache hits included), next to the reader's own count
/// (`StoreReader.bytesRead`: headers scanned plus frames or blocks read).
enum ReplayBenchmark: Benchmark {
    static let name = "replay"
    static let abstract = "the largest run (~17% of the events) out of the store, vs an indexed SQLite SELECT"
    static let defaultRuns = 20

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        let store = try context.torqlogStore()
        let db = try context.sqliteDatabase()
        var report = BenchmarkReport(
            name: name,
            title: "run \(w.largestRunID): \(Fmt.count(w.largestRunEvents)) of \(Fmt.count(w.events)) events, \(Fmt.bytes(w.largestRunPayloadBytes)) of JSON",
            repeats: context.repeats, runs: runs)
        let (n, b) = (w.largestRunEvents, w.largestRunPayloadBytes)
        var engine = ResultRow(system: "torqlog", operation: "StoreReader.forEach(runKey:) (checksums verified)", isBaseline: false, events: n, bytes: b)
        var cli = ResultRow(system: "torqlog CLI", operation: "torqlog replay ID --format jsonl > /dev/null", isBaseline: false, events: n, bytes: b)
        var sqlite = ResultRow(system: "sqlite", operation: "open + SELECT json WHERE run_id = ? (indexed)", isBaseline: true, events: n, bytes: b)
        var engineLatency = LatencyRecorder(operation: "one replay")
        var cliLatency = LatencyRecorder(operation: "one replay")
        var sqliteLatency = LatencyRecorder(operation: "one replay")
        var engineRead: [Int64] = [], sqliteRead: [Int64] = []
        var logical: (storeSize: Int64, bytesRead: Int64) = (0, 0)

        // The CLI's output, checked once.
        if let binary = context.torqlogBinary {
            let out = context.newPath("replay") + ".jsonl"
            _ = try Subprocess(executable: binary, arguments: ["--dir", store, "replay", w.largestRunID, "--format", "jsonl"],
                               stdout: out, stderr: context.newPath("stderr")).runChecked("torqlog replay")
            let got = try countNewlines(path: out)
            try context.requireAgreement("replay, torqlog CLI", [("generated", w.largestRunEvents), ("replayed", got.lines)])
            try context.requireAgreement("replay, torqlog CLI bytes", [("generated", Int(w.largestRunPayloadBytes + Int64(w.largestRunEvents))),
                                                                      ("replayed", Int(got.bytes))])
            context.remove(out)
        }

        for rep in 0..<context.repeats {
            context.log("replay: repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 3)
            for _ in 0..<runs {
                // torqlog, in process.
                let before = ProcessStats.bytesRead()
                let (got, cost) = try measured { () throws -> (events: Int, bytes: Int64, frames: Int64, segments: Int64) in
                    let reader = try StoreReader(directory: StoreDirectory(store))
                    var events = 0
                    var bytes: Int64 = 0
                    try reader.forEach(RecordFilter(runKey: w.largestRunID)) { r in
                        events += 1
                        bytes += Int64(r.payload.count)
                        return true
                    }
                    let segments = reader.segments.reduce(Int64(0)) { $0 + fileSize($1.path) }
                    return (events, bytes, reader.bytesRead, segments)
                }
                engineRead.append(ProcessStats.bytesRead() - before)
                samples[0].add(cost)
                engineLatency.record(seconds: cost.seconds)
                logical = (got.segments, got.frames)
                try context.requireAgreement("replay, torqlog", [("generated", w.largestRunEvents), ("replayed", got.events)])
                try context.requireAgreement("replay, torqlog bytes", [("generated", Int(w.largestRunPayloadBytes)), ("replayed", Int(got.bytes))])

                // torqlog CLI.
                if let binary = context.torqlogBinary {
                    let r = try Subprocess(executable: binary, arguments: ["--dir", store, "replay", w.largestRunID, "--format", "jsonl"],
                                           stderr: context.newPath("stderr")).runChecked("torqlog replay")
                    samples[1].add(r)
                    cliLatency.record(seconds: r.seconds)
                }

                // sqlite.
                let sqliteBefore = ProcessStats.bytesRead()
                let (rows, sqliteCost) = try measured { try SQLiteBaseline.replay(path: db, runID: w.largestRunID) }
                sqliteRead.append(ProcessStats.bytesRead() - sqliteBefore)
                samples[2].add(sqliteCost)
                sqliteLatency.record(seconds: sqliteCost.seconds)
                try context.requireAgreement("replay, sqlite", [("generated", w.largestRunEvents), ("rows", rows.events)])
                try context.requireAgreement("replay, sqlite bytes", [("generated", Int(w.largestRunPayloadBytes)), ("rows", Int(rows.bytes))])
            }
            samples[0].fold(into: &engine)
            samples[1].fold(into: &cli)
            samples[2].fold(into: &sqlite)
        }
        if let binary = context.torqlogBinary {
            cli.peakRSS = try Subprocess(executable: binary, arguments: ["--dir", store, "replay", w.largestRunID, "--format", "jsonl"],
                                         stderr: context.newPath("stderr")).peakRSS(scratch: context.newPath("time"))
        }
        engine.latency = engineLatency.summary
        cli.latency = cliLatency.summary
        sqlite.latency = sqliteLatency.summary

        let storeSize = logical.storeSize
        let dbSize = fileSize(db) + fileSize(db + "-wal")
        let engineBytes = engineRead.map(Double.init).median
        engine.extra["bytes read"] = "\(Fmt.bytes(Int64(engineBytes))) per replay by read/pread (rchar) = \(Fmt.fixed(engineBytes / Double(storeSize), 2))× the store (\(Fmt.bytes(storeSize))); "
            + "StoreReader.bytesRead (frame headers scanned + frames read + sealed blocks/indexes): \(Fmt.bytes(logical.bytesRead)) "
            + "= \(Fmt.fixed(Double(logical.bytesRead) / Double(storeSize), 2))× the store"
        let sqliteBytes = sqliteRead.map(Double.init).median
        sqlite.extra["bytes read"] = "\(Fmt.bytes(Int64(sqliteBytes))) per replay by read/pread (rchar) = \(Fmt.fixed(sqliteBytes / Double(dbSize), 2))× the database (\(Fmt.bytes(dbSize)))"
        report.rows = [engine] + (cli.seconds.isEmpty ? [] : [cli]) + [sqlite]
        report.notes.append("the torqlog store (ingested with the defaults): \(context.describeStore(store)); the SQLite database: \(Fmt.bytes(fileSize(db) + fileSize(db + "-wal")))")
        report.checks.append("every replay returned the run's \(Fmt.count(w.largestRunEvents)) events and \(Fmt.bytes(w.largestRunPayloadBytes)) of JSON (torqlog, sqlite"
                             + (cli.seconds.isEmpty ? ")" : ", and the CLI's JSONL output once)"))
        report.goals.append(.init(description: "under 50 ms (torqlog in process)", met: engine.medianSeconds < 0.050,
                                  actual: "\(Fmt.seconds(engine.medianSeconds)) median, \(Fmt.count(w.largestRunEvents)) events"))
        let vs = report.speedRatio(engine, versus: "sqlite") ?? 0
        report.goals.append(.init(description: "faster than sqlite", met: vs > 1, actual: Fmt.ratio(vs)))
        report.notes.append("torqlog WAL segments have no run index: a replay walks every frame header of every WAL segment (the cursor reads the whole file), "
            + "then reads the run's frames again; sealed segments are read through their block index")
        return report
    }
}

/// Size of a file in bytes, 0 if it does not exist.
func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}
