import ArgumentParser
import Foundation
import TorqLogStore

/// `torqlog-bench`: torqlog against its baselines (SQLite done well, and the
/// naive JSONL writer) on a generated, deterministic agent-telemetry workload.
@main
struct TorqlogBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torqlog-bench",
        abstract: "Benchmarks torqlog against SQLite and a naive JSONL writer, in the same run.",
        discussion: """
            Benchmarks: \(BenchmarkRegistry.available.map { "\n  \($0.name): \($0.abstract)" }.joined())
            \(BenchmarkRegistry.planned.isEmpty ? "" : "Not written yet (accepted and skipped): \(BenchmarkRegistry.planned.joined(separator: ", ")).")

            The workload is generated (deterministic for a seed) and written to a JSONL file in the \
            store folder; every benchmark reads it. Latencies are HDR histograms (p50, p99, p99.9, max).

            Every benchmark checks that torqlog and the baselines agree on the event counts and exits \
            with status 2 if they do not (1 on any other failure); no figure is ever a pass/fail condition.

            Build in release: swift build -c release --product torqlog-bench, and --product torqlog \
            for the CLI rows.
            """
    )

    @Option(parsing: .upToNextOption, help: "Benchmarks to run (default: all available).")
    var benchmarks: [String] = []

    @Option(help: "Events in the generated workload.")
    var events: Int = 100_000

    @Option(help: "Events in the interleaved workload (the replay benchmark's second part).")
    var interleavedEvents: Int = 300_000

    @Option(help: "Runs of the interleaved workload, all in flight at once.")
    var interleavedRuns: Int = 4_000

    @Option(help: "Timed runs per repeat (default: per benchmark — \(BenchmarkRegistry.available.map { "\($0.name) \($0.defaultRuns)" }.joined(separator: ", ")).")
    var runs: Int?

    @Option(name: .customLong("repeat"), help: "Repeats; the median and min over them are reported.")
    var repeats: Int = 3

    @Option(help: "Output: text or json (progress goes to stderr either way).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Where stores go (default: a temporary folder, removed after; a folder given here is kept).", valueName: "DIR"))
    var dir: String?

    @Option(help: ArgumentHelp("The torqlog executable for the CLI rows (default: next to torqlog-bench, else .build-bench/release/torqlog).", valueName: "PATH"))
    var torqlog: String?

    @Option(help: "Seed of the workload generator.")
    var seed: UInt64 = 42

    @Flag(help: "No progress messages on stderr.")
    var quiet = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        guard events >= 1 else { throw ValidationError("--events must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard interleavedEvents >= 1, interleavedRuns >= 2 else {
            throw ValidationError("--interleaved-events must be at least 1 and --interleaved-runs at least 2")
        }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        for name in benchmarks where BenchmarkRegistry.lookup(name) == nil && !BenchmarkRegistry.planned.contains(name) {
            throw ValidationError("unknown benchmark '\(name)'; available: \(BenchmarkRegistry.available.map { $0.name }.joined(separator: " "))")
        }
        if let torqlog, !FileManager.default.isExecutableFile(atPath: torqlog) {
            throw ValidationError("--torqlog \(torqlog): not an executable file")
        }
    }

    func run() throws {
        do {
            try runBenchmarks()
        } catch let error as BenchError {
            FileHandle.standardError.write(Data("torqlog-bench: error: \(error.description)\n".utf8))
            throw ExitCode(error.isDisagreement ? 2 : 1)
        }
    }

    private func runBenchmarks() throws {
        var selected: [any Benchmark.Type] = []
        if benchmarks.isEmpty {
            selected = BenchmarkRegistry.available
        } else {
            for name in benchmarks {
                if let b = BenchmarkRegistry.lookup(name) {
                    if !selected.contains(where: { $0.name == name }) { selected.append(b) }
                } else {
                    FileHandle.standardError.write(Data("torqlog-bench: '\(name)' is not written yet; skipped\n".utf8))
                }
            }
        }

        let (root, temporary) = try makeRoot()
        defer { if temporary { try? FileManager.default.removeItem(atPath: root) } }
        let binary = torqlog ?? Self.findTorqlog()

        func log(_ s: String) { if !quiet { FileHandle.standardError.write(Data("[torqlog-bench] \(s)\n".utf8)) } }
        log("generating \(events) events (seed \(seed)) in \(root)")
        let workload = try Workload.generate(events: events, seed: seed, path: root + "/workload.jsonl")
        log("workload: \(Fmt.bytes(workload.fileBytes)), \(Fmt.count(workload.fileBytes > 0 ? Int(workload.fileBytes) / workload.events : 0)) B/event, "
            + "\(workload.runs) runs, largest \(Fmt.count(workload.largestRunEvents)) events, "
            + "\(workload.largePayloads) payloads of 40 kB, longest line \(Fmt.bytes(Int64(workload.longestLine))), "
            + "generated in \(Fmt.seconds(workload.generationSeconds))")
        if binary == nil {
            log("no release torqlog executable found: the CLI rows are skipped (build it with --product torqlog, or pass --torqlog PATH)")
        }

        let environment = BenchOutput.Environment(
            events: workload.events, workloadBytes: workload.fileBytes, runs: runs ?? 0,
            largestRunEvents: workload.largestRunEvents, repeats: repeats, seed: seed,
            storeDirectory: temporary ? root + " (temporary, removed after)" : root,
            filesystem: Self.filesystemType(root), cpus: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: Self.cpuModel(), torqlogBinary: binary, sqliteVersion: SQLiteBaseline.version,
            pageCache: "the read benchmarks run with a warm page cache (their stores were just written)",
            loadAverageAtStart: Self.loadAverage(), residentBytesAtStart: ProcessStats.currentRSS())
        if format == .text { print(ResultTable.renderEnvironment(environment)) }

        let context = BenchContext(repeats: repeats, runsOverride: runs, workload: workload, root: root,
                                   torqlogBinary: binary, quiet: quiet, interleavedEvents: interleavedEvents,
                                   interleavedRuns: interleavedRuns, seed: seed)
        var reports: [BenchmarkReport] = []
        for b in selected {
            log("running \(b.name)")
            let report = try b.run(context)
            reports.append(report)
            if format == .text {
                print(ResultTable.render(report))
                fflush(nil)
            }
        }
        var finished = environment
        finished.loadAverageAtEnd = Self.loadAverage()
        switch format {
        case .text: print("load average at the end: \(finished.loadAverageAtEnd ?? "?")")
        case .json: print(try ResultTable.json(BenchOutput(environment: finished, benchmarks: reports)))
        }
    }

    private func makeRoot() throws -> (String, Bool) {
        let parent: String
        let temporary: Bool
        if let dir {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            parent = dir
            temporary = false
        } else {
            parent = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            temporary = true
        }
        var template = Array((parent + "/torqlog-bench.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a folder in \(parent): \(String(cString: strerror(errno)))")
        }
        return (String(cString: made), temporary)
    }

    /// The release torqlog next to this executable, else in the usual build folders.
    static func findTorqlog() -> String? {
        var candidates: [String] = []
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((me as NSString).deletingLastPathComponent + "/torqlog")
        }
        candidates += [".build-bench/release/torqlog", ".build/release/torqlog"]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            return c.hasPrefix("/") ? c : FileManager.default.currentDirectoryPath + "/" + c
        }
        return nil
    }

    /// The type of the file system holding `path`: the longest mount point above it in /proc/self/mounts.
    static func filesystemType(_ path: String) -> String {
        let real = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? path
        guard let mounts = ProcessStats.readSmallFile("/proc/self/mounts") else { return "an unknown file system" }
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let inside = point == "/" || real == point || real.hasPrefix(point + "/")
            if inside && point.count >= (best?.point.count ?? -1) { best = (point, String(fields[2])) }
        }
        return best.map { "\($0.type) (mounted at \($0.point))" } ?? "an unknown file system"
    }

    static func loadAverage() -> String {
        let text = ProcessStats.readSmallFile("/proc/loadavg") ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func cpuModel() -> String {
        guard let text = ProcessStats.readSmallFile("/proc/cpuinfo") else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return String(line[line.index(after: colon)...].trimmingCharacters(in: " \t")) }
        }
        return "unknown CPU"
    }
}
