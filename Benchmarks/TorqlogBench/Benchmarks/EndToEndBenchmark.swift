import Foundation
import TorqLogStore
import TorqTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// e2e: how long an event takes from `record(_:)` to a live reader seeing it.
///
/// A producer thread records typed events at a steady rate (20,000/s and
/// 500/s), each carrying its CLOCK_MONOTONIC send time in
/// `attributes.bench_sent_ns`; a reader computes its own CLOCK_MONOTONIC time
/// minus that when the event reaches it. CLOCK_MONOTONIC is system-wide, so the
/// difference is valid across processes too.
///
/// - torqlog: a `TelemetryCollector` (defaults: `.store`, fsync batch,
///   `writeWhenIdle`) followed by `LiveReader` (inotify `waitForChange` +
///   `readAvailable`) on another thread of this process.
/// - torqlog CLI: the same collector followed by
///   `torqlog --dir STORE tail -f -n 0 --format jsonl` (each event's JSON as
///   stored), its standard output read from a pipe.
/// - sqlite: producers hand events to the SQLite writer thread, which
///   commits every 1,000 events or 10 ms; a reader polls
///   `SELECT seq, json … WHERE seq > ?` every millisecond on its own connection.
///
/// Before the measured events, the producer sends warm-up events (sent time 0)
/// every 2 ms until the reader has seen one: a reader that starts at the end
/// of the store (the CLI's `tail -n 0`) then misses none of the measured ones.
enum EndToEndBenchmark: Benchmark {
    static let name = "e2e"
    static let abstract = "record → visible to a live reader (LiveReader in process, torqlog tail -f) at 20,000/s and 500/s, vs a polling SQLite reader"
    static let defaultRuns = 1
    static let stallSeconds = 20.0

    enum Reader: CaseIterable {
        case live, cli, sqlite
    }

    struct Rate {
        var perSecond: Int
        var events: Int
    }

    /// What the producer did: warm-up events sent, and how long the measured ones took to send.
    struct ProducerOutcome: Sendable {
        var warmups = 0
        var seconds = 0.0
    }

    /// What the reader saw.
    struct ReaderOutcome: Sendable {
        var latency: LatencyRecorder
        var measured = 0
    }

    enum ThreadOutcome: Sendable {
        case producer(Result<ProducerOutcome, BenchError>)
        case reader(Result<ReaderOutcome, BenchError>)
        case writer(Result<Int, BenchError>)
    }

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let n = context.workload.events
        let runs = context.runs(default: defaultRuns)
        let rates = [Rate(perSecond: 20_000, events: min(n, 40_000)), Rate(perSecond: 500, events: min(n, 1_000))]
        let events = TypedEvents.generate(rates.map(\.events).max() ?? 1, seed: 7)
        let readers = Reader.allCases.filter { $0 != .cli || context.torqlogBinary != nil }
        var report = BenchmarkReport(name: name,
                                     title: "record → visible to a live reader; \(rates.map { "\(Fmt.count($0.events)) events at \(Fmt.count($0.perSecond))/s" }.joined(separator: ", ")) "
                                         + "(median and min: the mean latency)",
                                     repeats: context.repeats, runs: runs)

        struct Cell {
            var row: ResultRow
            var latency: LatencyRecorder
            var warmups: [Int] = []
            var sendRates: [Double] = []
        }
        var cells: [[Cell]] = rates.map { rate in
            readers.map { reader in
                let (system, what): (String, String)
                switch reader {
                case .live: (system, what) = ("torqlog", "collector → store → LiveReader in process (inotify)")
                case .cli: (system, what) = ("torqlog CLI", "collector → store → torqlog tail -f -n 0 --format jsonl | pipe")
                case .sqlite: (system, what) = ("sqlite", "writer thread (commit per 1000 or 10 ms) → reader polling every 1 ms")
                }
                return Cell(row: ResultRow(system: system, operation: "\(Fmt.count(rate.perSecond))/s: \(what)", isBaseline: reader == .sqlite,
                                           pairKey: "\(rate.perSecond)"),
                            latency: LatencyRecorder(operation: "record → visible"))
            }
        }

        for rep in 0..<context.repeats {
            for (r, rate) in rates.enumerated() {
                for (k, reader) in readers.enumerated() {
                    var means: [Double] = []
                    for run in 0..<runs {
                        context.log("e2e: repeat \(rep + 1)/\(context.repeats), \(Fmt.count(rate.perSecond))/s, \(reader), run \(run + 1)/\(runs)")
                        let slice = Array(events.prefix(rate.events))
                        let (producer, seen) = reader == .sqlite
                            ? try runSQLite(context, rate: rate, events: slice)
                            : try runTorqlog(context, rate: rate, events: slice, cli: reader == .cli ? context.torqlogBinary : nil)
                        cells[r][k].latency.merge(seen.latency)
                        cells[r][k].warmups.append(producer.warmups)
                        cells[r][k].sendRates.append(Double(rate.events) / producer.seconds)
                        means.append(seen.latency.histogram.mean / 1e9)
                    }
                    cells[r][k].row.seconds.append(means.median)
                }
            }
        }

        var rows: [ResultRow] = []
        for (r, rate) in rates.enumerated() {
            for (k, reader) in readers.enumerated() {
                var cell = cells[r][k]
                cell.row.latency = cell.latency.summary
                cell.row.extra["mean latency"] = "\(Fmt.seconds(cell.latency.histogram.mean / 1e9)) over every run; sent at "
                    + "\(Fmt.count(Int(cell.sendRates.median))) events/s (median); warm-up events per run: \(cell.warmups.map { String($0) }.joined(separator: ", "))"
                rows.append(cell.row)
                guard reader != .sqlite, let l = cell.row.latency else { continue }
                let mean = cell.latency.histogram.mean / 1e9
                let who = reader == .live ? "LiveReader" : "torqlog tail -f"
                report.goals.append(.init(description: "p99 < 5 ms (\(who), \(Fmt.count(rate.perSecond))/s)", met: l.p99 < 0.005,
                                          actual: "p99 \(Fmt.seconds(l.p99)), p99.9 \(Fmt.seconds(l.p999)), max \(Fmt.seconds(l.max))"))
                report.goals.append(.init(description: "< 50 ms mean, the seed's goal (\(who), \(Fmt.count(rate.perSecond))/s)", met: mean < 0.050,
                                          actual: "\(Fmt.seconds(mean)) mean, p50 \(Fmt.seconds(l.p50))"))
            }
        }
        report.rows = rows
        report.checks.append("every run: the reader saw every measured event once (\(rates.map { Fmt.count($0.events) }.joined(separator: ", "))), "
            + "and the store (or database) holds the measured and warm-up events, no more, no fewer")
        report.notes.append("visible, not durable: torqlog's flusher writes a batch as soon as it wakes (writeWhenIdle) and readers see it in the page cache; "
            + "fsync batch makes it durable within 100 ms")
        report.notes.append("median / min / vs sqlite: the mean latency of a run (vs sqlite: sqlite's mean ÷ this row's); "
            + "latency columns: every event of every run; the reader's clock is read once per readAvailable record (in process), "
            + "per pipe read (CLI), per row (sqlite)")
        report.notes.append("the producer sleeps (nanosleep) until each event is due and catches up after oversleeping, "
            + "so at 20,000/s events leave in small bursts; each carries the time it was actually recorded")
        if !readers.contains(.cli) { report.notes.append("no torqlog executable: the CLI rows are skipped") }
        return report
    }

    // MARK: torqlog

    private static func runTorqlog(_ context: BenchContext, rate: Rate, events: [AnyTelemetryEvent],
                                   cli: String?) throws -> (ProducerOutcome, ReaderOutcome) {
        let store = context.newPath("e2e-torqlog")
        defer { context.remove(store) }
        let collector = try TelemetryCollector(configuration: TelemetryConfiguration(storage: .store(directory: store)))
        let child = try cli.map {
            try PipedChild(executable: $0, arguments: ["--dir", store, "tail", "-f", "-n", "0", "--format", "jsonl"],
                           stderr: context.newPath("stderr"))
        }
        let ready = SharedCounter()
        let outcomes = onThreads(2) { i -> ThreadOutcome in
            if i == 0 {
                return .producer(produce(rate: rate, events: events, ready: ready) { collector.record($0) })
            }
            var reading = Reading(expected: rate.events, ready: ready)
            do {
                if let child {
                    try child.readLines(stallSeconds: stallSeconds) { reading.see($0, at: $1) }
                } else {
                    try follow(store) { reading.see($0, at: $1) }
                }
                return .reader(.success(reading.outcome))
            } catch let e as BenchError {
                return .reader(.failure(e))
            } catch {
                return .reader(.failure(BenchError("e2e reader: \(error)")))
            }
        }
        child?.terminate()
        let stats = collector.shutdown()
        let (producer, seen) = try unpack(outcomes)
        let what = "e2e, \(cli == nil ? "torqlog" : "torqlog CLI") at \(rate.perSecond)/s"
        try context.requireAgreement(what, [("recorded", rate.events), ("seen by the reader", seen.measured)])
        try context.requireAgreement(what + " (with warm-ups)", [("recorded", rate.events + producer.warmups),
                                                                 ("collected", stats.eventsCollected),
                                                                 ("in the store", try storedRecords(in: store))])
        return (producer, seen)
    }

    /// Follows `store` from its end with a `LiveReader`, calling `body` with each record and the time it was read, until it returns false.
    private static func follow(_ store: String, _ body: (UnsafeRawBufferPointer, UInt64) -> Bool) throws {
        let directory = StoreDirectory(store)
        let live = try LiveReader(directory: directory, from: try StoreReader(directory: directory).endPosition())
        var lastProgress = monotonicNanoseconds()
        var keepGoing = true
        while keepGoing {
            let got = try live.readAvailable { r in
                if keepGoing { keepGoing = body(r.payload, monotonicNanoseconds()) }
            }
            if got > 0 {
                lastProgress = monotonicNanoseconds()
            } else if keepGoing {
                live.waitForChange(timeoutMilliseconds: 1000)
                if Double(monotonicNanoseconds() - lastProgress) / 1e9 > stallSeconds {
                    throw BenchError("e2e: the LiveReader saw nothing new for \(Int(stallSeconds)) s")
                }
            }
        }
    }

    // MARK: sqlite

    private static func runSQLite(_ context: BenchContext, rate: Rate, events: [AnyTelemetryEvent]) throws -> (ProducerOutcome, ReaderOutcome) {
        let db = context.newPath("e2e-sqlite") + ".db"
        defer { context.remove(db) }
        try SQLiteCollectorBaseline.create(path: db)
        let queue = HandoffQueue<AnyTelemetryEvent>(capacity: CollectionBenchmark.queueCapacity)
        let ready = SharedCounter()
        let outcomes = onThreads(3) { i -> ThreadOutcome in
            switch i {
            case 0:
                let p = produce(rate: rate, events: events, ready: ready) { queue.push($0) }
                queue.close()
                return .producer(p)
            case 1:
                return .writer(SQLiteCollectorBaseline.writer(queue: queue, path: db, maxDelayNanoseconds: 10_000_000))
            default:
                var reading = Reading(expected: rate.events, ready: ready)
                let r = SQLiteCollectorBaseline.pollingReader(path: db, stallSeconds: stallSeconds) { reading.see($0, at: $1) }
                return .reader(r.map { _ in reading.outcome })
            }
        }
        let (producer, seen) = try unpack(outcomes)
        var inserted = 0
        for case .writer(let w) in outcomes { inserted = try w.get() }
        let what = "e2e, sqlite at \(rate.perSecond)/s"
        try context.requireAgreement(what, [("sent", rate.events), ("seen by the reader", seen.measured)])
        try context.requireAgreement(what + " (with warm-ups)", [("sent", rate.events + producer.warmups), ("inserted", inserted),
                                                                 ("rows", try SQLiteBaseline.count(path: db))])
        return (producer, seen)
    }

    // MARK: Both

    /// The reader's side: warm-ups (sent time 0) open the gate, measured events are timed.
    private struct Reading {
        let expected: Int
        let ready: SharedCounter
        var outcome = ReaderOutcome(latency: LatencyRecorder(operation: "record → visible"))

        init(expected: Int, ready: SharedCounter) {
            self.expected = expected
            self.ready = ready
        }

        /// Takes one event's JSON seen at `now`; false once every measured event was seen.
        mutating func see(_ json: UnsafeRawBufferPointer, at now: UInt64) -> Bool {
            guard let sent = TypedEvents.sentNanoseconds(in: json) else { return true }
            if sent == 0 {
                ready.store(1)
                return true
            }
            outcome.latency.record(nanoseconds: now > sent ? now - sent : 0)
            outcome.measured += 1
            return outcome.measured < expected
        }
    }

    /// Sends warm-ups every 2 ms until the reader has seen one, then `events`
    /// at `rate`, each stamped with its send time just before `send`.
    private static func produce(rate: Rate, events: [AnyTelemetryEvent], ready: SharedCounter,
                                _ send: (AnyTelemetryEvent) -> Void) -> Result<ProducerOutcome, BenchError> {
        var outcome = ProducerOutcome()
        guard let first = events.first else { return .success(outcome) }
        let warmup = first.setting(attribute: TypedEvents.sentKey, .int(0))
        let warmupStart = monotonicNanoseconds()
        while ready.current == 0 {
            send(warmup)
            outcome.warmups += 1
            usleep(2000)
            if Double(monotonicNanoseconds() - warmupStart) / 1e9 > stallSeconds {
                return .failure(BenchError("e2e: the reader saw none of \(outcome.warmups) warm-up events in \(Int(stallSeconds)) s"))
            }
        }
        let interval = 1e9 / Double(rate.perSecond)
        let start = monotonicNanoseconds()
        for (i, event) in events.enumerated() {
            let due = start + UInt64(Double(i) * interval)
            let now = monotonicNanoseconds()
            if due > now {
                var pause = timespec(tv_sec: Int(due - now) / 1_000_000_000, tv_nsec: Int(due - now) % 1_000_000_000)
                nanosleep(&pause, nil)
            }
            send(event.setting(attribute: TypedEvents.sentKey, .int(Int64(monotonicNanoseconds()))))
        }
        outcome.seconds = Double(monotonicNanoseconds() - start) / 1e9
        return .success(outcome)
    }

    /// The producer's and the reader's outcomes; every thread's failure in one error
    /// (a reader's failure first: a producer waiting for it fails only as a consequence).
    private static func unpack(_ outcomes: [ThreadOutcome]) throws -> (ProducerOutcome, ReaderOutcome) {
        var producer: ProducerOutcome?
        var reader: ReaderOutcome?
        var failures: [String] = []
        for o in outcomes {
            switch o {
            case .producer(.success(let p)): producer = p
            case .reader(.success(let r)): reader = r
            case .producer(.failure(let e)): failures.append(e.description)
            case .reader(.failure(let e)), .writer(.failure(let e)): failures.insert(e.description, at: 0)
            case .writer(.success): break
            }
        }
        if !failures.isEmpty { throw BenchError(failures.joined(separator: "; ")) }
        guard let producer, let reader else { throw BenchError("e2e: a thread returned nothing") }
        return (producer, reader)
    }
}
