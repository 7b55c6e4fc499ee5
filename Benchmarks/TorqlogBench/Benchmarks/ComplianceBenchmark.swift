import Foundation
import TorqAnalysis
import TorqLogStore

/// compliance: every event of the store checked against the schema.
///
/// - torqlog: `ComplianceScanner` in this process, one thread per core this
///   process may run on (``ParallelWidth``), and again pinned to one core
///   (`sched_setaffinity`): the scaling row.
/// - torqlog CLI: `torqlog compliance --format json > /dev/null`, wall clock and peak RSS.
/// - lz4 -dc (baseline): the sealed segments decompressed by the lz4 tool, one
///   process after the other, output discarded: what reading the bytes alone
///   costs on one core. Skipped when `lz4` is not installed.
///
/// The store is the workload ingested with the defaults, then sealed whole
/// with `torqlog seal` (when the CLI is there). Each scan's event count (the report's events plus span records) is checked
/// against the workload.
enum ComplianceBenchmark: Benchmark {
    static let name = "compliance"
    static let abstract = "schema compliance of every event: all cores vs 1, the CLI with its RSS, vs lz4 -dc alone"
    static let defaultRuns = 3

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        // A store of its own, sealed whole (`torqlog seal`), as a store at rest is.
        let store = context.newPath("compliance-sealed")
        let ingested = try TorqlogIngest.inProcess(input: w.path, store: store, latency: nil)
        try context.requireAgreement("compliance store", [("generated", w.events), ("ingested", ingested.summary.events)])
        if let binary = context.torqlogBinary {
            _ = try Subprocess(executable: binary, arguments: ["--dir", store, "seal"], stderr: context.newPath("stderr")).runChecked("torqlog seal")
        }
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(w.events)) events, \(Fmt.bytes(w.payloadBytes)) of JSON",
                                     repeats: context.repeats, runs: runs)
        let (n, b) = (w.events, w.payloadBytes)
        let cores = CPUAffinity.available
        var all = ResultRow(system: "torqlog", operation: "ComplianceScanner, \(cores) threads", isBaseline: false, events: n, bytes: b)
        var one = ResultRow(system: "torqlog", operation: "ComplianceScanner, pinned to 1 core", isBaseline: false, events: n, bytes: b)
        var cli = ResultRow(system: "torqlog CLI", operation: "torqlog compliance --format json > /dev/null", isBaseline: false, events: n, bytes: b)
        let sealed = try StoreReader(directory: StoreDirectory(store)).readableSegments().filter { $0.kind == .sealed }
        let sealedEvents = try sealed.reduce(0) { total, segment in
            var count = 0
            try StoreReader.forEach(segmentFile: segment.path) { _ in count += 1; return true }
            return total + count
        }
        let lz4 = ["/usr/bin/lz4", "/usr/local/bin/lz4"].first { FileManager.default.isExecutableFile(atPath: $0) }
        var raw = ResultRow(system: "lz4 -dc", operation: "the \(sealed.count) sealed segments (\(Fmt.count(sealedEvents)) events), one process each, output discarded",
                            isBaseline: true, events: sealedEvents, bytes: 0)

        func scan(threads: Int) throws -> Int {
            let report = try ComplianceScanner(threads: threads).scan([.store(store)])
            return report.totalEvents + report.spanEvents
        }

        for rep in 0..<context.repeats {
            context.log("compliance: repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples](repeating: RepeatSamples(), count: 4)
            for _ in 0..<runs {
                let (scanned, cost) = try measured { try scan(threads: cores) }
                samples[0].add(cost)
                try context.requireAgreement("compliance, torqlog", [("generated", w.events), ("scanned", scanned)])

                let (pinned, pinnedCost) = try CPUAffinity.pinned(toCores: 1) { try measured { try scan(threads: 1) } }
                samples[1].add(pinnedCost)
                try context.requireAgreement("compliance, torqlog (1 core)", [("generated", w.events), ("scanned", pinned)])

                if let binary = context.torqlogBinary {
                    let r = try Subprocess(executable: binary, arguments: ["--dir", store, "compliance", "--format", "json"],
                                           stderr: context.newPath("stderr")).run()
                    // compliance exits 0, or 3 when the score is below --min-score (not given here).
                    guard r.exitStatus == 0 else { throw BenchError("torqlog compliance exited \(r.exitStatus): \(r.stderr)") }
                    samples[2].add(r)
                }

                if let lz4, !sealed.isEmpty {
                    var total = Subprocess.Result(exitStatus: 0, seconds: 0, cpuSeconds: 0, stderr: "")
                    for segment in sealed {
                        let r = try Subprocess(executable: lz4, arguments: ["-dc", segment.path], stderr: context.newPath("stderr")).runChecked("lz4 -dc")
                        total.seconds += r.seconds
                        total.cpuSeconds += r.cpuSeconds
                    }
                    samples[3].add(total)
                }
            }
            samples[0].fold(into: &all)
            samples[1].fold(into: &one)
            samples[2].fold(into: &cli)
            samples[3].fold(into: &raw)
        }
        if let binary = context.torqlogBinary {
            cli.peakRSS = try Subprocess(executable: binary, arguments: ["--dir", store, "compliance", "--format", "json"],
                                         stderr: context.newPath("stderr")).peakRSS(scratch: context.newPath("time"))
        }
        report.rows = [all, one] + (cli.seconds.isEmpty ? [] : [cli]) + (raw.seconds.isEmpty ? [] : [raw])

        let rate = all.eventsPerSecond ?? 0
        report.goals.append(.init(description: "≥ 2,000,000 events/s on 2 cores (in process)", met: rate >= 2_000_000,
                                  actual: "\(Fmt.count(Int(rate))) events/s on \(cores) cores; the CLI \(Fmt.count(Int(cli.eventsPerSecond ?? 0))) events/s"))
        if let rss = cli.peakRSS {
            report.goals.append(.init(description: "RSS < 64 MiB (the CLI)", met: rss < 64 << 20, actual: Fmt.bytes(rss)))
        }
        let scaling = one.medianSeconds / all.medianSeconds
        report.goals.append(.init(description: cores >= 2 ? "≥ 1.8× on \(cores) cores against 1" : "scaling: one core only here, nothing to compare",
                                  met: cores >= 2 && scaling >= 1.8, actual: "\(Fmt.fixed(scaling, 2))×"))
        report.checks.append("every scan counted \(Fmt.count(w.events)) events (the report's events plus span records)")
        report.notes.append("the store: \(context.describeStore(store))")
        if lz4 == nil { report.notes.append("lz4 is not installed: no lz4 -dc row") }
        if context.torqlogBinary == nil { report.notes.append("no torqlog CLI: the store is scanned as ingested, not sealed whole") }
        return report
    }
}
