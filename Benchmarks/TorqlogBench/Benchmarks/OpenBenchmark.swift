import TorqLogStore

/// open: the time to open a store, and to open it and know what it holds.
///
/// - torqlog: `StoreReader(directory:)` (lists the segments, reads no data);
///   and `StoreReader` + `StoreStatistics` (records, runs, types, time range,
///   payload bytes, from every frame header).
/// - sqlite: `sqlite3_open_v2` + the schema read (SQLite opens lazily); and
///   open + the same statistics in SQL (count, count(DISTINCT run_id),
///   min/max(timestamp), sum(length(json)), GROUP BY event_type).
enum OpenBenchmark: Benchmark {
    static let name = "open"
    static let abstract = "StoreReader init, and StoreReader + StoreStatistics, vs opening SQLite (and the same statistics in SQL)"
    static let defaultRuns = 20

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        let store = try context.torqlogStore()
        let db = try context.sqliteDatabase()
        var report = BenchmarkReport(name: name, title: "a store of \(Fmt.count(w.events)) events (\(Fmt.bytes(w.fileBytes)) of JSONL)",
                                     repeats: context.repeats, runs: runs)
        var open = ResultRow(system: "torqlog", operation: "StoreReader(directory:)", isBaseline: false, pairKey: "open")
        var stats = ResultRow(system: "torqlog", operation: "StoreReader + StoreStatistics", isBaseline: false, pairKey: "statistics",
                              events: w.events)
        var sqliteOpen = ResultRow(system: "sqlite", operation: "sqlite3_open_v2 + schema read", isBaseline: true, pairKey: "open")
        var sqliteStats = ResultRow(system: "sqlite", operation: "open + the same statistics in SQL", isBaseline: true, pairKey: "statistics",
                                    events: w.events)
        var latencies = [LatencyRecorder(operation: "one open"), LatencyRecorder(operation: "open + statistics"),
                         LatencyRecorder(operation: "one open"), LatencyRecorder(operation: "open + statistics")]

        for rep in 0..<context.repeats {
            context.log("open: repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 4)
            func measure(_ i: Int, _ body: () throws -> Void) rethrows {
                let (_, cost) = try measured(body)
                samples[i].add(cost)
                latencies[i].record(seconds: cost.seconds)
            }
            for _ in 0..<runs {
                var segments = 0
                try measure(0) { segments = try StoreReader(directory: StoreDirectory(store)).segments.count }
                guard segments > 0 else { throw BenchError("open: the torqlog store has no segment", disagreement: true) }

                var s: StoreStatistics?
                try measure(1) { s = try StoreStatistics(StoreReader(directory: StoreDirectory(store))) }
                try context.requireAgreement("open, torqlog statistics: records", [("generated", w.events), ("records", s?.records ?? -1)])
                try context.requireAgreement("open, torqlog statistics: runs", [("generated", w.runs), ("runs", s?.runs ?? -1)])

                try measure(2) { try SQLiteBaseline.open(path: db) }

                var q: (records: Int, runs: Int, types: Int)?
                try measure(3) { q = try SQLiteBaseline.statistics(path: db) }
                try context.requireAgreement("open, sqlite statistics: records", [("generated", w.events), ("rows", q?.records ?? -1)])
                try context.requireAgreement("open, sqlite statistics: runs", [("generated", w.runs), ("runs", q?.runs ?? -1)])
                try context.requireAgreement("open, statistics: types", [("generated", w.typeCounts.count), ("torqlog", s?.types.count ?? -1),
                                                                         ("sqlite", q?.types ?? -1)])
            }
            samples[0].fold(into: &open)
            samples[1].fold(into: &stats)
            samples[2].fold(into: &sqliteOpen)
            samples[3].fold(into: &sqliteStats)
        }
        open.latency = latencies[0].summary
        stats.latency = latencies[1].summary
        sqliteOpen.latency = latencies[2].summary
        sqliteStats.latency = latencies[3].summary
        report.rows = [open, stats, sqliteOpen, sqliteStats]
        report.notes.append("the torqlog store (ingested with the defaults): \(context.describeStore(store)); the SQLite database: \(Fmt.bytes(fileSize(db) + fileSize(db + "-wal")))")
        report.checks.append("statistics agree: \(Fmt.count(w.events)) records, \(Fmt.count(w.runs)) runs, \(w.typeCounts.count) types (torqlog and sqlite)")
        report.notes.append("events/s of the statistics rows: records summarised per second (torqlog reads every frame header; sqlite scans the table)")
        return report
    }
}
