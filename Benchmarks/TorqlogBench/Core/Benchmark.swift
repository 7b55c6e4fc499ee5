import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TorqLogStore

/// One benchmark: one file under Benchmarks/, registered in `BenchmarkRegistry`.
///
/// A benchmark measures torqlog and its baselines on `context.workload`,
/// repeating `context.repeats` times (each repeat being the median of
/// `context.runs(default:)` runs), checks that every system agrees on the
/// event counts (`context.requireAgreement`, which ends the program on a
/// disagreement), and returns its rows, goals and notes.
protocol Benchmark {
    /// The name used with `--benchmarks`.
    static var name: String { get }
    /// One line for `--help`.
    static var abstract: String { get }
    /// Runs per repeat when `--runs` is not given.
    static var defaultRuns: Int { get }

    static func run(_ context: BenchContext) throws -> BenchmarkReport
}

/// Every benchmark, in the order they run.
enum BenchmarkRegistry {
    static var available: [any Benchmark.Type] { [
        IngestBenchmark.self,
        ReplayBenchmark.self,
        OpenBenchmark.self,
        ScanBenchmark.self,
        ComplianceBenchmark.self,
        EventCreationBenchmark.self,
        ContextLookupBenchmark.self,
        CollectionBenchmark.self,
        EndToEndBenchmark.self,
        MemoryBenchmark.self,
        SealBenchmark.self,
        LayoutBenchmark.self,
        ServeBenchmark.self,
        ForwardBenchmark.self,
        ProducersBenchmark.self,
    ] }

    /// Names from the issue that are not written yet: accepted, skipped with a note.
    static let planned: [String] = []

    static func lookup(_ name: String) -> (any Benchmark.Type)? {
        available.first { $0.name == name }
    }
}

/// A failure of the benchmark itself (not a slow result).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    /// Systems disagreed on what they stored: exit status 2.
    var isDisagreement = false
    init(_ description: String, disagreement: Bool = false) {
        self.description = description
        self.isDisagreement = disagreement
    }
}

/// What every benchmark shares: the options, the workload, the store folder,
/// the torqlog binary, and the stores built once for the read benchmarks.
final class BenchContext {
    let repeats: Int
    let runsOverride: Int?
    let workload: Workload
    /// The folder every store of this invocation goes in.
    let root: String
    /// The release `torqlog` executable, when one was found.
    let torqlogBinary: String?
    private let quiet: Bool
    private var counter = 0

    /// A torqlog store and an SQLite database holding the workload, for replay/open/scan.
    private(set) var torqlogFixture: String?
    private(set) var sqliteFixture: String?

    /// The interleaved workload's size (`--interleaved-events`, `--interleaved-runs`).
    let interleavedEvents: Int
    let interleavedRuns: Int
    private let seed: UInt64
    private var interleaved: (workload: Workload, store: String, database: String)?

    init(repeats: Int, runsOverride: Int?, workload: Workload, root: String, torqlogBinary: String?, quiet: Bool,
         interleavedEvents: Int = 300_000, interleavedRuns: Int = 4_000, seed: UInt64 = 42) {
        self.interleavedEvents = interleavedEvents
        self.interleavedRuns = interleavedRuns
        self.seed = seed
        self.repeats = repeats
        self.runsOverride = runsOverride
        self.workload = workload
        self.root = root
        self.torqlogBinary = torqlogBinary
        self.quiet = quiet
    }

    func runs(default n: Int) -> Int { runsOverride ?? n }

    /// Progress on stderr (never on stdout, which may be JSON).
    func log(_ message: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(("[torqlog-bench] " + message + "\n").utf8))
    }

    /// Writes every dirty page of the system back (`sync(2)`), untimed, before
    /// a timed run: what an earlier run left unsynced (the naive baseline never
    /// syncs; removed stores' pages) is not written back during this one, where
    /// it would slow whichever row happens to come next.
    func settle() {
        Glibc.sync()
    }

    /// A new path under the root, not yet existing.
    func newPath(_ name: String) -> String {
        counter += 1
        return root + "/\(name)-\(counter)"
    }

    /// Removes a store (a directory or an SQLite database with its -wal/-shm files).
    func remove(_ path: String) {
        for p in [path, path + "-wal", path + "-shm"] { try? FileManager.default.removeItem(atPath: p) }
    }

    /// Keeps stores built by a benchmark (ingest) as the fixtures of the following ones.
    func adoptFixtures(torqlog: String?, sqlite: String?) {
        if let torqlog { if let old = torqlogFixture { remove(old) }; torqlogFixture = torqlog }
        if let sqlite { if let old = sqliteFixture { remove(old) }; sqliteFixture = sqlite }
    }

    /// The torqlog store holding the workload (ingested in process, fsync batch), built on first use.
    func torqlogStore() throws -> String {
        if let torqlogFixture { return torqlogFixture }
        let path = newPath("torqlog-fixture")
        log("building the torqlog store for the read benchmarks")
        let outcome = try TorqlogIngest.inProcess(input: workload.path, store: path, latency: nil)
        try requireAgreement("torqlog fixture", [("generated", workload.events), ("torqlog", outcome.summary.events)])
        torqlogFixture = path
        return path
    }

    /// The SQLite database holding the workload, built on first use.
    func sqliteDatabase() throws -> String {
        if let sqliteFixture { return sqliteFixture }
        let path = newPath("sqlite-fixture") + ".db"
        log("building the SQLite database for the read benchmarks")
        var ignored = LatencyRecorder(operation: "")
        _ = try SQLiteBaseline.ingest(input: workload.path, path: path, latency: &ignored)
        try requireAgreement("sqlite fixture", [("generated", workload.events), ("sqlite rows", try SQLiteBaseline.count(path: path))])
        sqliteFixture = path
        return path
    }

    /// The interleaved workload (every run in flight at once, as behind a server
    /// taking many agents), its torqlog store (ingested, then every segment
    /// sealed, as `torqlog seal` does) and its SQLite database; built on first use.
    func interleavedFixtures() throws -> (workload: Workload, store: String, database: String) {
        if let interleaved { return interleaved }
        log("generating the interleaved workload: \(interleavedEvents) events, \(interleavedRuns) runs in flight at once")
        let w = try Workload.generate(events: interleavedEvents, seed: seed, path: root + "/interleaved.jsonl", interleavedRuns: interleavedRuns)
        let store = newPath("torqlog-interleaved")
        log("building its torqlog store (sealed)")
        let outcome = try TorqlogIngest.inProcess(input: w.path, store: store, latency: nil)
        try requireAgreement("interleaved torqlog store", [("generated", w.events), ("torqlog", outcome.summary.events)])
        let writer = try LogWriter(directory: StoreDirectory(store), options: LogWriter.Options(sealClosedSegments: true))
        try writer.sealAll()
        try writer.close()
        let database = newPath("sqlite-interleaved") + ".db"
        log("building its SQLite database")
        var ignored = LatencyRecorder(operation: "")
        _ = try SQLiteBaseline.ingest(input: w.path, path: database, latency: &ignored)
        try requireAgreement("interleaved sqlite", [("generated", w.events), ("sqlite rows", try SQLiteBaseline.count(path: database))])
        interleaved = (w, store, database)
        return (w, store, database)
    }

    /// What a torqlog store is made of, e.g. "1 sealed segment (24.1 MB) + 1 WAL segment (42.7 MB)".
    func describeStore(_ path: String) -> String {
        guard let segments = try? StoreReader(directory: StoreDirectory(path)).segments else { return "?" }
        var parts: [String] = []
        for kind in [SegmentFile.Kind.sealed, .wal] {
            let these = segments.filter { $0.kind == kind }
            guard !these.isEmpty else { continue }
            let bytes = these.reduce(Int64(0)) { $0 + fileSize($1.path) }
            parts.append("\(these.count) \(kind == .sealed ? "sealed" : "WAL") segment\(these.count == 1 ? "" : "s") (\(Fmt.bytes(bytes)))")
        }
        return parts.joined(separator: " + ")
    }

    /// Checks that every count equals the first; throws a disagreement (exit status 2) if not.
    /// Returns the check as a sentence for the report.
    @discardableResult
    func requireAgreement(_ what: String, _ counts: [(String, Int)]) throws -> String {
        let text = counts.map { "\($0.0) \(Fmt.count($0.1))" }.joined(separator: " = ")
        guard let first = counts.first?.1, counts.allSatisfy({ $0.1 == first }) else {
            throw BenchError("\(what): the systems disagree on the event count: \(counts.map { "\($0.0) \(Fmt.count($0.1))" }.joined(separator: ", "))",
                             disagreement: true)
        }
        return "\(what): \(text)"
    }
}

/// torqlog's own ingest paths, shared by the ingest benchmark and the fixtures.
enum TorqlogIngest {
    struct Outcome {
        var summary: JSONLIngester.Summary
        /// Seconds spent in `LogWriter.close()`: the final fdatasync (unless `never`) and
        /// waiting for the background sealer to finish the closed segments.
        var closeSeconds: Double
    }

    /// JSONLIngester + LogWriter in this process, from opening the writer to its close.
    static func inProcess(input: String, store: String, durability: DurabilityPolicy = .defaultBatch,
                          segmentSize: Int = 64 << 20, seal: Bool = true, latency: Box<LatencyRecorder>?) throws -> Outcome {
        let fd = open(input, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open \(input)") }
        defer { close(fd) }
        let writer = try LogWriter(directory: StoreDirectory(store),
                                   options: LogWriter.Options(segmentSize: segmentSize, durability: durability,
                                                              sealClosedSegments: seal))
        var ingester = JSONLIngester(writer: writer, indexing: .telemetry)
        var rejections: [String] = []
        ingester.onRejection = { rejections.append($0.description) }
        if let latency {
            latency.value.start()
            ingester.onProgress = { _ in latency.value.lap() }
        }
        let summary = try ingester.ingest(fd: fd, source: input)
        let (_, closeSeconds) = try timed { try writer.close() }
        guard summary.rejected == 0 else {
            throw BenchError("torqlog rejected \(summary.rejected) lines of the workload, e.g. \(rejections.first ?? "?")")
        }
        return Outcome(summary: summary, closeSeconds: closeSeconds)
    }
}

/// A mutable value shared with a closure.
final class Box<T> {
    var value: T
    init(_ value: T) { self.value = value }
}
