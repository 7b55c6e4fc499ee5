import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// seal: how small and how fast sealing makes the workload's store.
///
/// - torqlog: the workload ingested with sealing off (untimed: a store of WAL
///   segments), then a writer opened on it and `sealAll()` until it returns
///   and the writer is closed: every segment compressed into LZ4 blocks with
///   its run index and synced, the WAL segments removed.
/// - gzip -6: `gzip -6 -c` of the workload's JSONL file, for reference
///   (a compressor tuned for size, with no index: nothing can be read out of
///   the middle without decompressing from the start).
/// - the SQLite database of the same events (the read benchmarks' fixture),
///   for its size only.
///
/// Sizes are compared with the raw JSONL file (newlines included).
enum SealBenchmark: Benchmark {
    static let name = "seal"
    static let abstract = "sealing the workload's store (LZ4 + run index): size ÷ raw JSONL and MB/s, vs gzip -6 and the SQLite database size"
    static let defaultRuns = 1

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(w.events)) events, \(Fmt.bytes(w.fileBytes)) of JSONL (raw)",
                                     repeats: context.repeats, runs: runs)
        let candidates: [String] = ["/usr/bin/gzip", "/bin/gzip"]
        let gzipPath = candidates.first { access($0, X_OK) == 0 }
        var seal = ResultRow(system: "torqlog", operation: "sealAll(): WAL segments → LZ4 blocks + run index, synced",
                             isBaseline: false, events: w.events, bytes: w.fileBytes)
        var gzip = ResultRow(system: "gzip -6", operation: "gzip -6 -c workload.jsonl (reference, no index)", isBaseline: true,
                             events: w.events, bytes: w.fileBytes)
        var sealLatency = LatencyRecorder(operation: "whole seal")
        var gzipLatency = LatencyRecorder(operation: "whole file")
        var sealed: Int64 = 0, walBytes: Int64 = 0, gzipped: Int64 = 0
        var segments = 0

        for rep in 0..<context.repeats {
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 2)
            for run in 0..<runs {
                context.log("seal: repeat \(rep + 1)/\(context.repeats), run \(run + 1)/\(runs)")
                let store = context.newPath("seal-torqlog")
                let ingested = try TorqlogIngest.inProcess(input: w.path, store: store, seal: false, latency: nil)
                try context.requireAgreement("seal, ingest", [("generated", w.events), ("ingested", ingested.summary.events)])
                let before = try StoreStatistics(StoreReader(directory: StoreDirectory(store)))
                walBytes = before.bytesOnDisk
                let (_, cost) = try measured {
                    let writer = try LogWriter(directory: StoreDirectory(store), options: LogWriter.Options(sealClosedSegments: true))
                    try writer.sealAll()
                    try writer.close()
                }
                samples[0].add(cost)
                sealLatency.record(seconds: cost.seconds)
                let after = try StoreStatistics(StoreReader(directory: StoreDirectory(store)))
                let sealedRecords = after.segments.filter(\.isSealed).reduce(0) { $0 + $1.records }
                try context.requireAgreement("seal, torqlog", [("generated", w.events), ("in the store", after.records),
                                                               ("in sealed segments", sealedRecords)])
                try context.requireAgreement("seal, torqlog JSONL bytes", [("workload", Int(w.fileBytes)), ("sealed", Int(after.sealedJSONLBytes))])
                sealed = after.sealedBytes
                segments = after.segments.filter(\.isSealed).count
                context.remove(store)

                if let gzipPath {
                    let out = context.newPath("seal-gzip") + ".gz"
                    let r = try Subprocess(executable: gzipPath, arguments: ["-6", "-c", w.path], stdout: out,
                                           stderr: context.newPath("stderr")).runChecked("gzip")
                    samples[1].add(r)
                    gzipLatency.record(seconds: r.seconds)
                    gzipped = fileSize(out)
                    context.remove(out)
                }
            }
            samples[0].fold(into: &seal)
            samples[1].fold(into: &gzip)
        }
        seal.latency = sealLatency.summary
        gzip.latency = gzipLatency.summary

        let db = try context.sqliteDatabase()
        let dbBytes = fileSize(db) + fileSize(db + "-wal")
        func share(_ b: Int64) -> String { "\(Fmt.bytes(b)) = \(Fmt.fixed(100 * Double(b) / Double(w.fileBytes), 1))% of the raw JSONL" }
        seal.extra["size"] = "sealed: \(share(sealed)) (\(segments) segment\(segments == 1 ? "" : "s")); the WAL store before sealing: \(share(walBytes))"
        if gzipPath != nil { gzip.extra["size"] = share(gzipped) }
        report.rows = [seal] + (gzipPath == nil ? [] : [gzip])
        report.goals.append(.init(description: "sealed ≤ 35% of the raw JSONL", met: Double(sealed) <= 0.35 * Double(w.fileBytes),
                                  actual: share(sealed)))
        report.goals.append(.init(description: "sealed smaller than the SQLite database of the same events", met: sealed < dbBytes,
                                  actual: "SQLite \(share(dbBytes)) (\(Fmt.ratio(Double(dbBytes) / Double(max(sealed, 1)))) the sealed store)"))
        report.checks.append("every run: all \(Fmt.count(w.events)) events in sealed segments, holding the workload's \(Fmt.bytes(w.fileBytes)) of JSONL")
        report.notes.append("MB/s: raw JSONL bytes per second; the sealing time includes opening the writer (recovery scan of the WAL), "
            + "compressing, writing and syncing the sealed files, and removing the WAL segments")
        report.notes.append("the SQLite database (WAL mode, run_id index, the JSON in a column plus run_id, event_type and timestamp): \(share(dbBytes))")
        if gzipPath == nil { report.notes.append("no gzip executable: its reference row is skipped") }
        return report
    }
}
