import Foundation
import TorqLogStore

/// layouts: what the sealed layout's sizes (FORMAT.md §7.4, `SealLayout`) cost
/// and buy, on the interleaved workload: the same WAL segments sealed with each
/// layout, then a typical run replayed and the whole store read in sequence order.
///
/// Per layout (group size / shared block size / records for a run block):
/// - the sealing time (the row's time) and the sealed size ÷ the raw JSONL;
/// - replay of the typical run and of the largest run: bytes read
///   (`StoreReader.bytesRead`), blocks read, time (median of the runs);
/// - a read of every record in sequence order (what export does): time and
///   how far this process's peak RSS rose.
///
/// The chosen layout is `SealLayout.standard`; this benchmark is how it was chosen.
enum LayoutBenchmark: Benchmark {
    static let name = "layouts"
    static let abstract = "the sealed layout's sizes (group, shared block, run-block minimum) on the interleaved workload: size, sealing, replay bytes, export memory"
    static let defaultRuns = 5

    static let candidates: [SealLayout] = {
        let standard = SealLayout.standard
        var list = [standard]
        func with(_ change: (inout SealLayout) -> Void) { var l = standard; change(&l); list.append(l) }
        for g in [4 << 20, 8 << 20, 32 << 20] { with { $0.groupBytes = g } }
        for m in [16 << 10, 32 << 10, 128 << 10] { with { $0.sharedBlockBytes = m } }
        for k in [8, 16, 64, 128, Int.max] { with { $0.runBlockMinimum = k } }
        return list
    }()

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let runs = context.runs(default: defaultRuns)
        let fixtures = try context.interleavedFixtures()
        let w = fixtures.workload
        var report = BenchmarkReport(name: name,
                                     title: "\(Fmt.count(w.events)) events of \(Fmt.count(w.runs)) interleaved runs, \(Fmt.bytes(w.fileBytes)) of JSONL; typical run \(Fmt.count(w.typicalRunEvents)) events",
                                     repeats: 1, runs: runs)
        let wal = context.newPath("layouts-wal")
        _ = try TorqlogIngest.inProcess(input: w.path, store: wal, seal: false, latency: nil)
        for layout in candidates {
            let label = describe(layout)
            context.log("layouts: \(label)")
            let store = context.newPath("layouts")
            try FileManager.default.copyItem(atPath: wal, toPath: store)
            var options = LogWriter.Options(sealClosedSegments: true)
            options.sealLayout = layout
            let (_, sealCost) = try measured {
                let writer = try LogWriter(directory: StoreDirectory(store), options: options)
                try writer.sealAll()
                try writer.close()
            }
            var row = ResultRow(system: "torqlog", operation: "seal, \(label)", isBaseline: false, events: w.events, bytes: w.fileBytes)
            row.seconds = [sealCost.seconds]
            row.cpuSeconds = [sealCost.cpuSeconds]
            let stats = try StoreStatistics(StoreReader(directory: StoreDirectory(store)))
            let size = stats.sealedBytes
            row.extra["size"] = "\(Fmt.fixed(100 * Double(size) / Double(w.fileBytes), 1))% of raw (\(Fmt.bytes(size)))"
            for (what, id, events) in [("typical run", w.typicalRunID, w.typicalRunEvents), ("largest run", w.largestRunID, w.largestRunEvents)] {
                var times: [Double] = []
                var read: (bytes: Int64, blocks: Int) = (0, 0)
                for _ in 0..<runs {
                    let (got, seconds) = try timed { () throws -> (Int, Int64, Int) in
                        let reader = try StoreReader(directory: StoreDirectory(store))
                        var n = 0
                        try reader.forEach(RecordFilter(runKey: id)) { _ in n += 1; return true }
                        return (n, reader.bytesRead, reader.blocksRead)
                    }
                    try context.requireAgreement("layouts, \(what)", [("generated", events), ("replayed", got.0)])
                    times.append(seconds)
                    read = (got.1, got.2)
                }
                row.extra["replay, \(what)"] = "\(Fmt.bytes(read.bytes)) = \(Fmt.fixed(100 * Double(read.bytes) / Double(size), 2))% of the store, "
                    + "\(read.blocks) blocks, \(Fmt.seconds(times.median))"
            }
            let (count, scan) = try measured { () throws -> Int in
                var n = 0
                try StoreReader(directory: StoreDirectory(store)).forEach { _ in n += 1; return true }
                return n
            }
            try context.requireAgreement("layouts, scan", [("generated", w.events), ("read", count)])
            row.extra["read in sequence order"] = "\(Fmt.seconds(scan.seconds)), peak RSS +\(Fmt.bytes(scan.peakGrowth ?? 0))"
            report.rows.append(row)
            context.remove(store)
        }
        context.remove(wal)
        report.notes.append("layouts: group / shared block / run-block minimum (records of a run in a group for blocks of its own); the first is SealLayout.standard, what sealing writes")
        return report
    }

    static func describe(_ l: SealLayout) -> String {
        let k = l.runBlockMinimum == Int.max ? "none" : "\(l.runBlockMinimum)"
        return "\(l.groupBytes >> 20) MiB / \(l.sharedBlockBytes >> 10) KiB / \(k)"
    }
}
