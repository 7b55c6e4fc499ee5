/// One measured line of a benchmark: one system doing one timed operation,
/// `repeats` times (`--repeat`), each repeat being the median of its runs (`--runs`).
struct ResultRow: Codable, Sendable {
    /// "torqlog", "torqlog CLI", "sqlite", "naive".
    var system: String
    /// What was timed, in a few words.
    var operation: String
    /// A baseline row (sqlite, naive): the rows of torqlog are compared with it.
    var isBaseline: Bool
    /// Rows with the same pair key are compared with each other (e.g. "open" vs "open + statistics").
    var pairKey: String = ""
    /// One figure per repeat: seconds for one run of the operation.
    var seconds: [Double] = []
    /// One figure per repeat: CPU seconds (user + system) for one run (the median of its runs).
    var cpuSeconds: [Double] = []
    /// Events one run handles, and bytes (of JSON) it moves; 0 when throughput means nothing.
    var events: Int = 0
    var bytes: Int64 = 0
    /// Latency distribution over every run of every repeat.
    var latency: LatencySummary?
    /// Peak resident set size (bytes) over the runs: of this process (VmHWM, reset before each run), or of the child.
    var peakRSS: Int64?
    /// In-process rows: the most the peak rose above the RSS a run started with (what the operation itself needed).
    var peakRSSGrowth: Int64?
    /// Extra labelled figures ("bytes read": "…").
    var extra: [String: String] = [:]

    init(system: String, operation: String, isBaseline: Bool, pairKey: String = "", events: Int = 0, bytes: Int64 = 0) {
        self.system = system
        self.operation = operation
        self.isBaseline = isBaseline
        self.pairKey = pairKey
        self.events = events
        self.bytes = bytes
    }

    var medianSeconds: Double { seconds.median }
    var medianCPUSeconds: Double? { cpuSeconds.isEmpty ? nil : cpuSeconds.median }
    var minSeconds: Double { seconds.min() ?? .nan }
    /// Events per second at the median time.
    var eventsPerSecond: Double? { events > 0 ? Double(events) / medianSeconds : nil }
    /// Events per second at the best time.
    var bestEventsPerSecond: Double? { events > 0 ? Double(events) / minSeconds : nil }
    /// Megabytes (10^6) per second at the median time.
    var megabytesPerSecond: Double? { bytes > 0 ? Double(bytes) / 1e6 / medianSeconds : nil }
}

/// What one benchmark produced.
struct BenchmarkReport: Codable, Sendable {
    var name: String
    /// A one-line description of the workload and what was measured.
    var title: String
    var repeats: Int
    var runs: Int
    var rows: [ResultRow] = []
    /// Goals from the issue, each reported as met or missed (never a pass/fail of the run).
    var goals: [Goal] = []
    /// The count checks that passed (a failed one ends the program).
    var checks: [String] = []
    var notes: [String] = []

    struct Goal: Codable, Sendable {
        var description: String
        var met: Bool
        var actual: String
    }

    /// Speed of `row` relative to the baseline `system` with the same pair key
    /// (baseline time ÷ row time: 12.0 means 12× faster than the baseline).
    func speedRatio(_ row: ResultRow, versus system: String) -> Double? {
        guard let base = rows.first(where: { $0.isBaseline && $0.system == system && $0.pairKey == row.pairKey }) else { return nil }
        return base.medianSeconds / row.medianSeconds
    }

    var baselineSystems: [String] {
        var seen: [String] = []
        for r in rows where r.isBaseline && !seen.contains(r.system) { seen.append(r.system) }
        return seen
    }
}

/// Everything a run produced, for `--format json`.
struct BenchOutput: Codable, Sendable {
    struct Environment: Codable, Sendable {
        var events: Int
        var workloadBytes: Int64
        var runs: Int
        var largestRunEvents: Int
        var repeats: Int
        var seed: UInt64
        var storeDirectory: String
        var filesystem: String
        var cpus: Int
        var cpuModel: String
        var torqlogBinary: String?
        var sqliteVersion: String
        var pageCache: String
        /// /proc/loadavg when the benchmarks started, and when they ended: other work on the machine skews wall times.
        var loadAverageAtStart: String
        var loadAverageAtEnd: String?
        /// This process's RSS before the benchmarks (the workload is on disk, not in memory): part of every in-process peak RSS.
        var residentBytesAtStart: Int64
    }
    var environment: Environment
    var benchmarks: [BenchmarkReport]
}

/// Collects the runs of one row during one repeat, then folds them into the row.
struct RepeatSamples {
    var seconds: [Double] = []
    var cpu: [Double] = []
    var peakRSS: Int64 = 0
    var peakGrowth: Int64?

    mutating func add(_ c: RunCost) {
        seconds.append(c.seconds)
        cpu.append(c.cpuSeconds)
        peakRSS = max(peakRSS, c.peakRSS)
        if let g = c.peakGrowth { peakGrowth = max(peakGrowth ?? 0, g) }
    }

    mutating func add(_ r: Subprocess.Result) {
        seconds.append(r.seconds)
        cpu.append(r.cpuSeconds)
    }

    /// Appends this repeat's medians to `row` (nothing when no run was made).
    func fold(into row: inout ResultRow) {
        guard !seconds.isEmpty else { return }
        row.seconds.append(seconds.median)
        row.cpuSeconds.append(cpu.median)
        if peakRSS > 0 { row.peakRSS = max(row.peakRSS ?? 0, peakRSS) }
        if let g = peakGrowth { row.peakRSSGrowth = max(row.peakRSSGrowth ?? 0, g) }
    }
}
