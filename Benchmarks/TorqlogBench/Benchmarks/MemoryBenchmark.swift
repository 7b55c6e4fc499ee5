import TorqTelemetry
#if canImport(Glibc)
import Glibc
import TorqTestSupport
#endif

/// memory: the collector's resident memory at its default settings under
/// sustained load, and that it is bounded by the configuration, not by the
/// number of events.
///
/// Two producer threads make fresh events (SampleWorkload, so every event
/// owns its strings, as an agent's would) and record them as fast as they
/// can into a collector on a store with fsync `always` (each batch synced
/// before the next: a sink slower than the producers) and overflow
/// `dropNewest` (the default), so the queue stays full. A sampler thread
/// reads the RSS every 5 ms and keeps the peak per tenth of the events
/// recorded. Figures are the RSS above the process's RSS just before the
/// collector was created (after `malloc_trim`): the peak, at the end of the
/// load (queue full), after `flush()` (queue empty), after `shutdown()`.
/// Run with N and 10 × N events: bounded means the second half of the long
/// run peaks no higher than its first half.
///
/// For contrast, the SQLite collector with an unbounded buffer (a list, as a
/// simple collector keeps): producers never wait, so the backlog — and the
/// memory — grows with the events the writer has not inserted yet (once the
/// producers are done, the writer discards the backlog instead of inserting it).
enum MemoryBenchmark: Benchmark {
    static let name = "memory"
    static let abstract = "the collector's RSS under sustained load (queue full), after flush and shutdown; 10× the events must not grow it"
    static let defaultRuns = 1
    static let producers = 2
    static let sampleMicroseconds: UInt32 = 5000
    /// Producers report progress every this many events.
    static let progressStep = 1024

    /// RSS figures of one run, in bytes above `start`.
    struct Outcome {
        var seconds = 0.0
        var start: Int64 = 0
        var peak: Int64 = 0
        /// The peak in each tenth of the events recorded.
        var tenths: [Int64] = []
        var endOfLoad: Int64 = 0
        var afterFlush: Int64 = 0
        var afterShutdown: Int64 = 0
        var afterTrim: Int64 = 0
        var dropped = 0
        var backlogAtEnd = 0
    }

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let base = min(context.workload.events, 250_000)
        let sizes = [base, base * 10]
        let runs = context.runs(default: defaultRuns)
        let capacity = TelemetryConfiguration().queueCapacity
        var report = BenchmarkReport(name: name,
                                     title: "\(Fmt.count(sizes[0])) and \(Fmt.count(sizes[1])) fresh events from \(producers) producers as fast as they can; "
                                         + "collector defaults (queueCapacity \(Fmt.count(capacity)), dropNewest) but fsync always",
                                     repeats: context.repeats, runs: runs)
        var torq = sizes.map { ResultRow(system: "torqlog", operation: "record \(Fmt.count($0)) events → store (queue kept full)", isBaseline: false, events: $0) }
        var sqlite = sizes.map { ResultRow(system: "sqlite", operation: "hand \(Fmt.count($0)) events → unbounded buffer → writer", isBaseline: false, events: $0) }
        var torqOutcomes: [[Outcome]] = sizes.map { _ in [] }
        var sqliteOutcomes: [[Outcome]] = sizes.map { _ in [] }

        for rep in 0..<context.repeats {
            for (s, size) in sizes.enumerated() {
                var torqTimes: [Double] = [], sqliteTimes: [Double] = []
                for run in 0..<runs {
                    context.log("memory: repeat \(rep + 1)/\(context.repeats), \(Fmt.count(size)) events, run \(run + 1)/\(runs)")
                    let t = try runTorqlog(context, events: size)
                    torqOutcomes[s].append(t)
                    torqTimes.append(t.seconds)
                    let q = try runSQLite(context, events: size)
                    sqliteOutcomes[s].append(q)
                    sqliteTimes.append(q.seconds)
                }
                torq[s].seconds.append(torqTimes.median)
                sqlite[s].seconds.append(sqliteTimes.median)
            }
        }

        func mib(_ b: Int64) -> String { Fmt.fixed(Double(b) / 1_048_576, 1) + " MiB" }
        func median(_ outcomes: [Outcome], _ f: (Outcome) -> Int64) -> Int64 { Int64(outcomes.map { Double(f($0)) }.median) }
        /// The tenths of the run with the highest peak.
        func tenths(_ outcomes: [Outcome]) -> [Int64] { outcomes.max { $0.peak < $1.peak }?.tenths ?? [] }
        for s in sizes.indices {
            let o = torqOutcomes[s]
            torq[s].peakRSS = o.map { $0.start + $0.peak }.max()
            torq[s].peakRSSGrowth = o.map(\.peak).max()
            torq[s].extra["RSS above the start (medians)"] = "peak \(mib(median(o) { $0.peak })), end of load (queue full) \(mib(median(o) { $0.endOfLoad })), "
                + "after flush() \(mib(median(o) { $0.afterFlush })), after shutdown() \(mib(median(o) { $0.afterShutdown })) "
                + "(\(mib(median(o) { $0.afterTrim })) after malloc_trim)"
            torq[s].extra["peak per tenth of the events"] = tenths(o).map { mib($0) }.joined(separator: ", ")
            torq[s].extra["events"] = "dropped as the queue was full, per run: \(o.map { Fmt.count($0.dropped) }.joined(separator: ", ")); "
                + "waiting (queued + being written) at the end of the load: \(o.map { Fmt.count($0.backlogAtEnd) }.joined(separator: ", "))"
            let q = sqliteOutcomes[s]
            sqlite[s].peakRSS = q.map { $0.start + $0.peak }.max()
            sqlite[s].peakRSSGrowth = q.map(\.peak).max()
            sqlite[s].extra["RSS above the start (medians)"] = "peak \(mib(median(q) { $0.peak })), end of load \(mib(median(q) { $0.endOfLoad })) "
                + "with \(q.map { Fmt.count($0.backlogAtEnd) }.joined(separator: ", ")) events buffered (SQLite's page cache, up to 64 MiB, included)"
            sqlite[s].extra["peak per tenth of the events"] = tenths(q).map { mib($0) }.joined(separator: ", ")
        }
        report.rows = torq + sqlite

        let long = tenths(torqOutcomes[1])
        let firstHalf = long.prefix(5).max() ?? 0
        let secondHalf = long.suffix(5).max() ?? 0
        report.goals.append(.init(description: "bounded by the configuration: over \(Fmt.count(sizes[1])) events, the second half peaks ≤ the first half + 10% + 4 MiB",
                                  met: secondHalf <= firstHalf + firstHalf / 10 + (4 << 20),
                                  actual: "first half \(mib(firstHalf)), second half \(mib(secondHalf)); "
                                      + "\(Fmt.count(sizes[0])) events: \(mib(torqOutcomes[0].map(\.peak).max() ?? 0)), "
                                      + "\(Fmt.count(sizes[1])): \(mib(torqOutcomes[1].map(\.peak).max() ?? 0))"))
        let queueFilled = torqOutcomes.joined().contains { $0.dropped > 0 }
        report.goals.append(.init(description: "the load kept the queue full (dropNewest drops)", met: queueFilled,
                                  actual: queueFilled ? "events were dropped as the queue was full" : "no drop: the sink kept up, the queue never filled"))
        let large = torqOutcomes[1].map(\.peak).max() ?? 0
        let sqliteLarge = sqliteOutcomes[1].map(\.peak).max() ?? 0
        report.notes.append("the seed's goal, < 5% more memory, has no base here (it depends on the host process); in MiB: peak \(mib(large)) "
            + "above the start at \(Fmt.count(sizes[1])) events, vs \(mib(sqliteLarge)) for the SQLite collector with an unbounded buffer "
            + "(\(Fmt.ratio(Double(sqliteLarge) / Double(max(large, 1)))))")
        report.notes.append("the bound: the queue holds up to queueCapacity (\(Fmt.count(capacity))) events and the flusher up to as many again while it writes; "
            + "an event is \(MemoryLayout<AnyTelemetryEvent>.size) B inline plus its strings (\(Fmt.count(Int(Double(TypedEvents.jsonBytes(TypedEvents.generate(1000, seed: 3))) / 1000))) B of JSON on average); "
            + "RSS also counts what malloc keeps of freed memory (see after malloc_trim)")
        report.notes.append("median / min: the time to record (or hand over) the events, most of them dropped (torqlog) or discarded (sqlite); "
            + "RSS sampled every \(sampleMicroseconds / 1000) ms")
        return report
    }

    private static func runTorqlog(_ context: BenchContext, events: Int) throws -> Outcome {
        let store = context.newPath("memory-torqlog")
        defer { context.remove(store) }
        var outcome = Outcome()
        _ = releaseFreeHeap(0)
        outcome.start = ProcessStats.currentRSS()
        var configuration = TelemetryConfiguration(storage: .store(directory: store))
        configuration.fsync = .always
        let collector = try TelemetryCollector(configuration: configuration)
        let done = SharedCounter()
        let progress = SharedCounter()
        let start = monotonicNanoseconds()
        let sampled = onThreads(producers + 1) { i -> [Int64] in
            if i == producers { return sample(until: done, producers: producers, progress: progress, total: events) }
            var workload = SampleWorkload(seed: 100 + UInt64(i))
            let mine = events * (i + 1) / producers - events * i / producers
            for k in 0..<mine {
                collector.record(workload.nextEvent())
                if k % progressStep == progressStep - 1 { progress.add(progressStep) }
            }
            progress.add(mine % progressStep)
            done.add(1)
            return []
        }
        outcome.seconds = Double(monotonicNanoseconds() - start) / 1e9
        outcome.endOfLoad = ProcessStats.currentRSS() - outcome.start
        let mid = collector.statistics()
        outcome.backlogAtEnd = mid.queueSize + mid.eventsInFlight
        outcome.tenths = (sampled.first { !$0.isEmpty } ?? []).map { max(0, $0 - outcome.start) }
        outcome.peak = max(outcome.tenths.max() ?? 0, outcome.endOfLoad)
        collector.flush()
        outcome.afterFlush = ProcessStats.currentRSS() - outcome.start
        let stats = collector.shutdown()
        outcome.afterShutdown = ProcessStats.currentRSS() - outcome.start
        _ = releaseFreeHeap(0)
        outcome.afterTrim = ProcessStats.currentRSS() - outcome.start
        outcome.dropped = stats.totalDropped
        try context.requireAgreement("memory, torqlog (\(events) events)", [
            ("recorded", events), ("counted", stats.eventsRecorded), ("collected + dropped", stats.eventsCollected + stats.totalDropped),
        ])
        try context.requireAgreement("memory, torqlog (\(events) events) store", [("collected", stats.eventsCollected),
                                                                                  ("in the store", try storedRecords(in: store))])
        return outcome
    }

    private static func runSQLite(_ context: BenchContext, events: Int) throws -> Outcome {
        let db = context.newPath("memory-sqlite") + ".db"
        defer { context.remove(db) }
        try SQLiteCollectorBaseline.create(path: db)
        var outcome = Outcome()
        _ = releaseFreeHeap(0)
        outcome.start = ProcessStats.currentRSS()
        let queue = HandoffQueue<AnyTelemetryEvent>(capacity: .max)
        let done = SharedCounter()
        let progress = SharedCounter()
        let endRSS = SharedCounter()
        let backlog = SharedCounter()
        let start = monotonicNanoseconds()
        let outcomes = onThreads(producers + 2) { i -> ([Int64], Result<Int, BenchError>?) in
            switch i {
            case producers: return (sample(until: done, producers: producers, progress: progress, total: events), nil)
            case producers + 1: return ([], SQLiteCollectorBaseline.writer(queue: queue, path: db, discardBacklog: true))
            default:
                var workload = SampleWorkload(seed: 100 + UInt64(i))
                let mine = events * (i + 1) / producers - events * i / producers
                for k in 0..<mine {
                    queue.push(workload.nextEvent())
                    if k % progressStep == progressStep - 1 { progress.add(progressStep) }
                }
                progress.add(mine % progressStep)
                if done.increment() == producers {
                    endRSS.store(Int(ProcessStats.currentRSS()))
                    backlog.store(queue.count)
                    queue.close()
                }
                return ([], nil)
            }
        }
        outcome.seconds = Double(monotonicNanoseconds() - start) / 1e9
        var inserted = 0
        for case (_, let result?) in outcomes { inserted = try result.get() }
        outcome.endOfLoad = Int64(endRSS.current) - outcome.start
        outcome.backlogAtEnd = backlog.current
        outcome.tenths = (outcomes.first { !$0.0.isEmpty }?.0 ?? []).map { max(0, $0 - outcome.start) }
        outcome.peak = max(outcome.tenths.max() ?? 0, outcome.endOfLoad)
        outcome.afterShutdown = ProcessStats.currentRSS() - outcome.start
        try context.requireAgreement("memory, sqlite (\(events) events)", [("inserted", inserted), ("rows", try SQLiteBaseline.count(path: db))])
        return outcome
    }

    /// Samples the RSS every `sampleMicroseconds` until `producers` are done;
    /// returns the peak seen in each tenth of the `total` events (by `progress`).
    private static func sample(until done: SharedCounter, producers: Int, progress: SharedCounter, total: Int) -> [Int64] {
        var peaks = [Int64](repeating: 0, count: 10)
        func take() {
            let tenth = min(9, progress.current * 10 / max(total, 1))
            peaks[tenth] = max(peaks[tenth], ProcessStats.currentRSS())
        }
        while done.current < producers {
            take()
            usleep(sampleMicroseconds)
        }
        take()
        // A tenth passed between two samples inherits the one before it.
        for i in 1..<peaks.count where peaks[i] == 0 { peaks[i] = peaks[i - 1] }
        return peaks
    }
}

/// glibc's malloc_trim: returns freed heap memory to the kernel, so an RSS figure is not inflated by what earlier runs freed.
@_silgen_name("malloc_trim")
private func releaseFreeHeap(_ pad: Int) -> Int32
