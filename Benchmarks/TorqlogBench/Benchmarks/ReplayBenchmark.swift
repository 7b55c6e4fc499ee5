import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// replay: one run's events out of the store, on two stores.
///
/// 1. The workload (few runs in flight): its largest run (17% of the events,
///    spread over the whole log), from the store ingested with the defaults.
/// 2. The interleaved workload (`--interleaved-events`, default 300,000, and
///    `--interleaved-runs`, default 4,000, all in flight at once, as behind a
///    server taking many agents), sealed: a typical run (the median size).
///
/// For each:
/// - torqlog: `StoreReader` + `forEach(RecordFilter(runKey:))`: a header scan
///   of each WAL segment, then each of the run's frames read and verified
///   (sealed segments: only the blocks their index names).
/// - torqlog CLI: `torqlog replay ID --format jsonl > /dev/null`, wall clock (whole process).
/// - sqlite: open + `SELECT json FROM events WHERE run_id = ? ORDER BY seq` (the run_id index).
///
/// Bytes read are measured, not assumed: `rchar` of /proc/self/io (every
/// read/pread, page cache hits included), next to the reader's own count
/// (`StoreReader.bytesRead`: headers scanned, frames, sealed blocks and index parts read).
enum ReplayBenchmark: Benchmark {
    static let name = "replay"
    static let abstract = "one run out of the store (the largest run; a typical run of 4,000 interleaved ones), vs an indexed SQLite SELECT"
    static let defaultRuns = 20

    /// One store, one run.
    struct Scenario {
        var label: String
        var store: String
        var database: String
        var runID: String
        var events: Int
        var payloadBytes: Int64
        var goalSeconds: Double
        /// The most of the store a replay may read (0.02: 2%), when there is such a goal.
        var goalShare: Double?
    }

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        let few = Scenario(label: "few runs", store: try context.torqlogStore(), database: try context.sqliteDatabase(),
                           runID: w.largestRunID, events: w.largestRunEvents, payloadBytes: w.largestRunPayloadBytes,
                           goalSeconds: 0.050, goalShare: nil)
        let fixtures = try context.interleavedFixtures()
        let iw = fixtures.workload
        let interleaved = Scenario(label: "interleaved", store: fixtures.store, database: fixtures.database,
                                   runID: iw.typicalRunID, events: iw.typicalRunEvents, payloadBytes: iw.typicalRunPayloadBytes,
                                   goalSeconds: 0.020, goalShare: 0.02)
        var report = BenchmarkReport(
            name: name,
            title: "few runs: run \(w.largestRunID), \(Fmt.count(w.largestRunEvents)) of \(Fmt.count(w.events)) events (\(Fmt.bytes(w.largestRunPayloadBytes)) of JSON); "
                + "interleaved: a typical run \(iw.typicalRunID), \(Fmt.count(iw.typicalRunEvents)) of \(Fmt.count(iw.events)) events "
                + "(\(Fmt.bytes(iw.typicalRunPayloadBytes)) of JSON) among \(Fmt.count(iw.runs)) runs in flight at once",
            repeats: context.repeats, runs: runs)
        for scenario in [few, interleaved] {
            try measure(scenario, context, runs: runs, into: &report)
        }
        report.notes.append("the interleaved store: \(Fmt.bytes(iw.fileBytes)) of JSONL ingested with the defaults, then sealed (torqlog seal): \(context.describeStore(interleaved.store))")
        report.notes.append("torqlog WAL segments have no run index: a replay walks every frame header of every WAL segment (the cursor reads the whole file), "
            + "then reads the run's frames again; sealed segments are read through their run directory and block entries")
        return report
    }

    static func measure(_ s: Scenario, _ context: BenchContext, runs: Int, into report: inout BenchmarkReport) throws {
        let (n, b) = (s.events, s.payloadBytes)
        var engine = ResultRow(system: "torqlog", operation: "\(s.label): StoreReader.forEach(runKey:) (checksums verified)", isBaseline: false,
                               pairKey: s.label, events: n, bytes: b)
        var cli = ResultRow(system: "torqlog CLI", operation: "\(s.label): torqlog replay ID --format jsonl > /dev/null", isBaseline: false,
                            pairKey: s.label, events: n, bytes: b)
        var sqlite = ResultRow(system: "sqlite", operation: "\(s.label): open + SELECT json WHERE run_id = ? (indexed)", isBaseline: true,
                               pairKey: s.label, events: n, bytes: b)
        var engineLatency = LatencyRecorder(operation: "one replay")
        var cliLatency = LatencyRecorder(operation: "one replay")
        var sqliteLatency = LatencyRecorder(operation: "one replay")
        var engineRead: [Int64] = [], sqliteRead: [Int64] = []
        var logical: (storeSize: Int64, bytesRead: Int64, blocks: Int) = (0, 0, 0)

        // The CLI's output, checked once.
        if let binary = context.torqlogBinary {
            let out = context.newPath("replay") + ".jsonl"
            _ = try Subprocess(executable: binary, arguments: ["--dir", s.store, "replay", s.runID, "--format", "jsonl"],
                               stdout: out, stderr: context.newPath("stderr")).runChecked("torqlog replay")
            let got = try countNewlines(path: out)
            try context.requireAgreement("replay (\(s.label)), torqlog CLI", [("generated", n), ("replayed", got.lines)])
            try context.requireAgreement("replay (\(s.label)), torqlog CLI bytes", [("generated", Int(b + Int64(n))), ("replayed", Int(got.bytes))])
            context.remove(out)
        }

        for rep in 0..<context.repeats {
            context.log("replay (\(s.label)): repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 3)
            for _ in 0..<runs {
                // torqlog, in process.
                let before = ProcessStats.bytesRead()
                let (got, cost) = try measured { () throws -> (events: Int, bytes: Int64, read: Int64, blocks: Int, segments: Int64) in
                    let reader = try StoreReader(directory: StoreDirectory(s.store))
                    var events = 0
                    var bytes: Int64 = 0
                    try reader.forEach(RecordFilter(runKey: s.runID)) { r in
                        events += 1
                        bytes += Int64(r.payload.count)
                        return true
                    }
                    let segments = reader.segments.reduce(Int64(0)) { $0 + fileSize($1.path) }
                    return (events, bytes, reader.bytesRead, reader.blocksRead, segments)
                }
                engineRead.append(ProcessStats.bytesRead() - before)
                samples[0].add(cost)
                engineLatency.record(seconds: cost.seconds)
                logical = (got.segments, got.read, got.blocks)
                try context.requireAgreement("replay (\(s.label)), torqlog", [("generated", n), ("replayed", got.events)])
                try context.requireAgreement("replay (\(s.label)), torqlog bytes", [("generated", Int(b)), ("replayed", Int(got.bytes))])

                // torqlog CLI.
                if let binary = context.torqlogBinary {
                    let r = try Subprocess(executable: binary, arguments: ["--dir", s.store, "replay", s.runID, "--format", "jsonl"],
                                           stderr: context.newPath("stderr")).runChecked("torqlog replay")
                    samples[1].add(r)
                    cliLatency.record(seconds: r.seconds)
                }

                // sqlite.
                let sqliteBefore = ProcessStats.bytesRead()
                let (rows, sqliteCost) = try measured { try SQLiteBaseline.replay(path: s.database, runID: s.runID) }
                sqliteRead.append(ProcessStats.bytesRead() - sqliteBefore)
                samples[2].add(sqliteCost)
                sqliteLatency.record(seconds: sqliteCost.seconds)
                try context.requireAgreement("replay (\(s.label)), sqlite", [("generated", n), ("rows", rows.events)])
                try context.requireAgreement("replay (\(s.label)), sqlite bytes", [("generated", Int(b)), ("rows", Int(rows.bytes))])
            }
            samples[0].fold(into: &engine)
            samples[1].fold(into: &cli)
            samples[2].fold(into: &sqlite)
        }
        if let binary = context.torqlogBinary {
            cli.peakRSS = try Subprocess(executable: binary, arguments: ["--dir", s.store, "replay", s.runID, "--format", "jsonl"],
                                         stderr: context.newPath("stderr")).peakRSS(scratch: context.newPath("time"))
        }
        engine.latency = engineLatency.summary
        cli.latency = cliLatency.summary
        sqlite.latency = sqliteLatency.summary

        let storeSize = logical.storeSize
        let dbSize = fileSize(s.database) + fileSize(s.database + "-wal")
        let engineBytes = engineRead.map(Double.init).median
        let share = Double(logical.bytesRead) / Double(max(storeSize, 1))
        engine.extra["bytes read"] = "\(Fmt.bytes(Int64(engineBytes))) per replay by read/pread (rchar) = \(Fmt.fixed(100 * engineBytes / Double(storeSize), 2))% of the store (\(Fmt.bytes(storeSize))); "
            + "StoreReader.bytesRead (frame headers scanned + frames read + sealed blocks and index parts): \(Fmt.bytes(logical.bytesRead)) "
            + "= \(Fmt.fixed(100 * share, 2))%, \(logical.blocks) sealed blocks"
        let sqliteBytes = sqliteRead.map(Double.init).median
        sqlite.extra["bytes read"] = "\(Fmt.bytes(Int64(sqliteBytes))) per replay by read/pread (rchar) = \(Fmt.fixed(100 * sqliteBytes / Double(dbSize), 2))% of the database (\(Fmt.bytes(dbSize)))"
        report.rows += [engine] + (cli.seconds.isEmpty ? [] : [cli]) + [sqlite]
        report.notes.append("\(s.label): the torqlog store: \(context.describeStore(s.store)); the SQLite database: \(Fmt.bytes(dbSize))")
        report.checks.append("\(s.label): every replay returned the run's \(Fmt.count(n)) events and \(Fmt.bytes(b)) of JSON (torqlog, sqlite"
                             + (cli.seconds.isEmpty ? ")" : ", and the CLI's JSONL output once)"))
        report.goals.append(.init(description: "\(s.label): under \(Fmt.seconds(s.goalSeconds)) (torqlog in process)", met: engine.medianSeconds < s.goalSeconds,
                                  actual: "\(Fmt.seconds(engine.medianSeconds)) median, \(Fmt.count(n)) events"
                                      + (cli.seconds.isEmpty ? "" : "; whole process (CLI) \(Fmt.seconds(cli.medianSeconds))")))
        if let goalShare = s.goalShare {
            report.goals.append(.init(description: "\(s.label): reads under \(Fmt.fixed(100 * goalShare, 0))% of the store", met: share < goalShare,
                                      actual: "\(Fmt.fixed(100 * share, 2))% (\(Fmt.bytes(logical.bytesRead)) of \(Fmt.bytes(storeSize)))"))
        }
        let vs = report.speedRatio(engine, versus: "sqlite") ?? 0
        report.goals.append(.init(description: "\(s.label): faster than sqlite", met: vs > 1, actual: Fmt.ratio(vs)))
    }
}

/// Size of a file in bytes, 0 if it does not exist.
func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : 0
}
