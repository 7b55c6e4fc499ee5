import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// producers: several `torqlog ingest` processes writing one store through a
/// `torqlog serve` that holds it (each ingest finds the server by the store's
/// socket), against one `torqlog ingest` holding the store alone, same events,
/// in one run. The workload is cut into 1, 2 or 4 files of consecutive lines;
/// the producers run at once, each on its file, `--fsync batch`; the time is
/// from the first start to the last exit, and the store's record count is
/// checked against the workload after each run.
enum ProducersBenchmark: Benchmark {
    static let name = "producers"
    static let abstract = "1, 2 and 4 torqlog ingest processes through torqlog serve into one store, vs one ingest holding it"
    static let defaultRuns = 1

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        guard let binary = context.torqlogBinary else {
            throw BenchError("producers needs the release torqlog executable (swift build -c release --product torqlog, or --torqlog PATH)")
        }
        let w = context.workload
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(w.events)) events, \(Fmt.bytes(w.fileBytes)) of JSONL into one store, --fsync batch",
                                     repeats: context.repeats, runs: 1)
        let parts = try split(w.path, into: 4, scratch: context.root + "/producers-part")
        var alone = ResultRow(system: "torqlog CLI", operation: "1 torqlog ingest holding the store (process wall time)", isBaseline: true,
                              events: w.events, bytes: w.fileBytes)
        var rows = [1, 2, 4].map { n in
            ResultRow(system: "torqlog serve", operation: "\(n) torqlog ingest process\(n == 1 ? "" : "es") through the server, at once",
                      isBaseline: false, events: w.events, bytes: w.fileBytes)
        }
        for _ in 0..<context.repeats {
            let store = context.newPath("producers-alone")
            let direct = try Subprocess(executable: binary, arguments: ["--dir", store, "ingest", "--fsync", "batch", "--quiet"], stdin: w.path)
                .runChecked("torqlog ingest")
            alone.seconds.append(direct.seconds)
            try check(binary, store, w.events)
            for (i, n) in [1, 2, 4].enumerated() {
                let store = context.newPath("producers-\(n)")
                let server = try ServerProcess(binary: binary, store: store, arguments: ["--fsync", "batch"], scratch: store + "-server")
                let files = n == 4 ? parts : n == 2 ? [try join(Array(parts[0..<2]), context.root + "/producers-half-0"),
                                                       try join(Array(parts[2..<4]), context.root + "/producers-half-1")]
                                               : [w.path]
                let failures = Failures()
                let start = monotonicNanoseconds()
                DispatchQueue.concurrentPerform(iterations: n) { k in
                    do {
                        _ = try Subprocess(executable: binary, arguments: ["--dir", store, "ingest", "--fsync", "batch", "--quiet"], stdin: files[k])
                            .runChecked("torqlog ingest through the server")
                    } catch {
                        failures.add("\(error)")
                    }
                }
                let seconds = Double(monotonicNanoseconds() - start) / 1e9
                let status = server.stop()
                if let failure = failures.first { throw BenchError("producers: \(failure)") }
                guard status == 0 else { throw BenchError("producers: the server exited with status \(status)") }
                rows[i].seconds.append(seconds)
                try check(binary, store, w.events)
            }
        }
        report.rows = rows + [alone]
        report.notes.append("each run checks that the store holds exactly the workload's \(Fmt.count(w.events)) events (torqlog verify)")
        return report
    }

    /// `path` cut into `count` files of consecutive whole lines.
    private static func split(_ path: String, into count: Int, scratch: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        var cuts = [data.startIndex]
        for k in 1..<count {
            var at = data.startIndex + data.count * k / count
            while at < data.endIndex && data[at] != 0x0A { at += 1 }
            cuts.append(min(at + 1, data.endIndex))
        }
        cuts.append(data.endIndex)
        return try (0..<count).map { k in
            let file = "\(scratch)-\(k).jsonl"
            guard FileManager.default.createFile(atPath: file, contents: data[cuts[k]..<cuts[k + 1]]) else { throw BenchError("cannot write \(file)") }
            return file
        }
    }

    private static func join(_ files: [String], _ scratch: String) throws -> String {
        var data = Data()
        for f in files { data.append(FileManager.default.contents(atPath: f) ?? Data()) }
        let file = scratch + ".jsonl"
        guard FileManager.default.createFile(atPath: file, contents: data) else { throw BenchError("cannot write \(file)") }
        return file
    }

    /// Fails unless `torqlog verify` finds exactly `events` valid records.
    private static func check(_ binary: String, _ store: String, _ events: Int) throws {
        let out = store + "-verify.txt"
        defer { unlink(out) }
        _ = try Subprocess(executable: binary, arguments: ["--dir", store, "verify"], stdout: out).runChecked("torqlog verify")
        let text = ProcessStats.readSmallFile(out) ?? ""
        guard text.contains(" \(events) valid records") else {
            throw BenchError("producers: \(store) does not hold the \(events) events: \(text)", disagreement: true)
        }
    }

    private final class Failures: Sendable {
        private let all = Mutex<[String]>([])
        func add(_ s: String) { all.withLock { $0.append(s) } }
        var first: String? { all.withLock { $0.first } }
    }
}
