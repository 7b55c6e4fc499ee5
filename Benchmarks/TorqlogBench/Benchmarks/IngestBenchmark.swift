import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// ingest: the workload's JSONL file into a new store, per system.
///
/// - torqlog: `JSONLIngester` + `LogWriter` in this process, from opening the
///   writer to its close, in three modes:
///   - the defaults: fsync batch, closed segments sealed (LZ4) in the background,
///     and `close()` waits for the final fdatasync and for the sealer;
///   - fsync batch without sealing: the write path with its durability;
///   - fsync never with 1 GiB segments (no rollover, whose fdatasync every
///     policy does; nothing to seal): the engine's CPU and page-cache cost alone.
/// - torqlog CLI: `torqlog --dir D ingest --fsync batch --quiet < file`, wall
///   clock from spawn to exit (process start and the final fdatasync included).
/// - raw copy (the physical limit of durable ingest): the same bytes read
///   into memory, written with one `write` and made durable with one
///   `fdatasync`, as `dd conv=fdatasync` copies them; torqlog's rows are
///   reported as a fraction of its speed.
/// - scaling: the fsync-never mode again with this process pinned to one core
///   (`sched_setaffinity`): the engine's CPU work on 1 core against all of them.
/// - sqlite: the same lines, parsed with the same JSONLineParser, inserted in
///   transactions of 1,000 (see `SQLiteBaseline`), until the connection is closed.
/// - naive: JSONSerialization + one FileHandle.write per line.
///
/// Every run goes into a fresh store; counts are checked after every run, and
/// the CLI's store is exported once and compared byte for byte with the input.
enum IngestBenchmark: Benchmark {
    static let name = "ingest"
    static let abstract = "JSONL file → store: torqlog in process and through the CLI, vs sqlite and naive"
    static let defaultRuns = 1

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let w = context.workload
        let runs = context.runs(default: defaultRuns)
        var report = BenchmarkReport(name: name,
                                     title: "\(Fmt.count(w.events)) events, \(Fmt.bytes(w.fileBytes)) of JSONL → a new store",
                                     repeats: context.repeats, runs: runs)

        let (n, b) = (w.events, w.fileBytes)
        var engine = ResultRow(system: "torqlog", operation: "in process, defaults: fsync batch, background sealing",
                               isBaseline: false, events: n, bytes: b)
        var engineNoSeal = ResultRow(system: "torqlog", operation: "in process, fsync batch, sealing off",
                                     isBaseline: false, events: n, bytes: b)
        var engineNoSync = ResultRow(system: "torqlog", operation: "in process, fsync never, no rollover: no fdatasync, no sealing",
                                     isBaseline: false, events: n, bytes: b)
        var cli = ResultRow(system: "torqlog CLI", operation: "torqlog ingest --fsync batch < file (process wall time)",
                            isBaseline: false, events: n, bytes: b)
        let cores = CPUAffinity.available
        var engineOneCore = ResultRow(system: "torqlog", operation: "in process, fsync never, no rollover, pinned to 1 core (of \(cores))",
                                      isBaseline: false, events: n, bytes: b)
        var rawCopy = ResultRow(system: "raw copy", operation: "the same bytes: read, one write, one fdatasync (dd conv=fdatasync)",
                                isBaseline: true, events: n, bytes: b)
        var sqlite = ResultRow(system: "sqlite", operation: "JSONLineParser + INSERT, 1000 per txn, WAL, synchronous=NORMAL",
                               isBaseline: true, events: n, bytes: b)
        var naive = ResultRow(system: "naive", operation: "JSONSerialization + FileHandle.write per line",
                              isBaseline: true, events: n, bytes: b)
        let engineLatency = Box(LatencyRecorder(operation: "batch handed to the writer (≤ 8192 ev)"))
        let noSealLatency = Box(LatencyRecorder(operation: "batch handed to the writer (≤ 8192 ev)"))
        let noSyncLatency = Box(LatencyRecorder(operation: "batch handed to the writer (≤ 8192 ev)"))
        let oneCoreLatency = Box(LatencyRecorder(operation: "batch handed to the writer (≤ 8192 ev)"))
        var rawLatency = LatencyRecorder(operation: "whole copy")
        var cliLatency = LatencyRecorder(operation: "whole ingest")
        var sqliteLatency = LatencyRecorder(operation: "txn of 1000 events")
        var naiveLatency = LatencyRecorder(operation: "line")
        var closeSeconds: [Double] = [], noSealCloseSeconds: [Double] = []
        var walBytesWritten: [Double] = []
        var exportChecked = false

        for rep in 0..<context.repeats {
            var (engineRuns, noSealRuns, noSyncRuns) = (RepeatSamples(), RepeatSamples(), RepeatSamples())
            var (cliRuns, sqliteRuns, naiveRuns) = (RepeatSamples(), RepeatSamples(), RepeatSamples())
            var (oneCoreRuns, rawRuns) = (RepeatSamples(), RepeatSamples())
            for run in 0..<runs {
                let last = rep == context.repeats - 1 && run == runs - 1
                context.log("ingest: repeat \(rep + 1)/\(context.repeats), run \(run + 1)/\(runs)")

                // torqlog, in process, the defaults.
                context.settle()
                let store = context.newPath("ingest-torqlog")
                let (outcome, cost) = try measured {
                    try TorqlogIngest.inProcess(input: w.path, store: store, latency: engineLatency)
                }
                engineRuns.add(cost)
                closeSeconds.append(outcome.closeSeconds)
                try context.requireAgreement("ingest, torqlog", [("generated", w.events), ("ingested", outcome.summary.events),
                                                                 ("in the store", try storedRecords(store))])

                // torqlog, in process, fsync batch without sealing.
                context.settle()
                let noSealStore = context.newPath("ingest-torqlog-noseal")
                let wcharBefore = ProcessStats.bytesWritten()
                let (noSeal, noSealCost) = try measured {
                    try TorqlogIngest.inProcess(input: w.path, store: noSealStore, seal: false, latency: noSealLatency)
                }
                walBytesWritten.append(Double(ProcessStats.bytesWritten() - wcharBefore))
                noSealRuns.add(noSealCost)
                noSealCloseSeconds.append(noSeal.closeSeconds)
                try context.requireAgreement("ingest, torqlog (no sealing)", [("generated", w.events), ("ingested", noSeal.summary.events),
                                                                              ("in the store", try storedRecords(noSealStore))])
                context.remove(noSealStore)

                // torqlog, in process, without any fdatasync or sealing: on every core, then pinned to one
                // (the scaling row). The same run each time, checked the same way.
                func engineOnly(cores: Int?, _ label: String, _ latency: Box<LatencyRecorder>) throws -> RunCost {
                    context.settle()
                    let path = context.newPath("ingest-torqlog-nosync")
                    let run = {
                        try measured {
                            try TorqlogIngest.inProcess(input: w.path, store: path, durability: .never, segmentSize: 1 << 30,
                                                        seal: false, latency: latency)
                        }
                    }
                    let (outcome, cost) = try cores.map { try CPUAffinity.pinned(toCores: $0, run) } ?? run()
                    try context.requireAgreement("ingest, torqlog (\(label))", [("generated", w.events), ("ingested", outcome.summary.events),
                                                                               ("in the store", try storedRecords(path))])
                    context.remove(path)
                    return cost
                }
                noSyncRuns.add(try engineOnly(cores: nil, "fsync never", noSyncLatency))
                oneCoreRuns.add(try engineOnly(cores: 1, "fsync never, 1 core", oneCoreLatency))

                // The raw copy: the disk's limit for these bytes.
                context.settle()
                let copy = context.newPath("ingest-raw-copy")
                let (copied, rawCost) = try measured { try RawCopy.copy(w.path, to: copy) }
                rawRuns.add(rawCost)
                rawLatency.record(seconds: rawCost.seconds)
                try context.requireAgreement("ingest, raw copy", [("bytes of JSONL", Int(w.fileBytes)), ("bytes copied", copied)])
                context.remove(copy)

                // torqlog CLI.
                context.settle()
                if let binary = context.torqlogBinary {
                    let cliStore = context.newPath("ingest-torqlog-cli")
                    let r = try Subprocess(executable: binary, arguments: ["--dir", cliStore, "ingest", "--fsync", "batch", "--quiet"],
                                           stdin: w.path, stderr: context.newPath("stderr")).runChecked("torqlog ingest")
                    cliRuns.add(r)
                    cliLatency.record(seconds: r.seconds)
                    try context.requireAgreement("ingest, torqlog CLI", [("generated", w.events), ("in the store", try storedRecords(cliStore))])
                    if !exportChecked {
                        let out = context.newPath("export") + ".jsonl"
                        _ = try Subprocess(executable: binary, arguments: ["--dir", cliStore, "export"], stdout: out,
                                           stderr: context.newPath("stderr")).runChecked("torqlog export")
                        let exported = try countNewlines(path: out)
                        try context.requireAgreement("ingest, torqlog export", [("generated", w.events), ("exported lines", exported.lines)])
                        guard try filesEqual(out, w.path) else {
                            throw BenchError("torqlog export of the CLI-ingested store differs from the input file (\(out) vs \(w.path))",
                                             disagreement: true)
                        }
                        context.remove(out)
                        exportChecked = true
                    }
                    context.remove(cliStore)
                }

                // sqlite.
                context.settle()
                let db = context.newPath("ingest-sqlite") + ".db"
                let (inserted, sqliteCost) = try measured { try SQLiteBaseline.ingest(input: w.path, path: db, latency: &sqliteLatency) }
                sqliteRuns.add(sqliteCost)
                try context.requireAgreement("ingest, sqlite", [("generated", w.events), ("inserted", inserted.events),
                                                                ("rows", try SQLiteBaseline.count(path: db))])

                // naive.
                context.settle()
                let file = context.newPath("ingest-naive") + ".jsonl"
                let (written, naiveCost) = try measured { try NaiveBaseline.ingest(input: w.path, path: file, latency: &naiveLatency) }
                naiveRuns.add(naiveCost)
                try context.requireAgreement("ingest, naive", [("generated", w.events), ("written", written.events),
                                                               ("lines in the file", try countNewlines(path: file).lines)])
                context.remove(file)

                if last {
                    context.adoptFixtures(torqlog: store, sqlite: db)
                } else {
                    context.remove(store)
                    context.remove(db)
                }
            }
            engineRuns.fold(into: &engine)
            noSealRuns.fold(into: &engineNoSeal)
            noSyncRuns.fold(into: &engineNoSync)
            oneCoreRuns.fold(into: &engineOneCore)
            rawRuns.fold(into: &rawCopy)
            cliRuns.fold(into: &cli)
            sqliteRuns.fold(into: &sqlite)
            naiveRuns.fold(into: &naive)
        }
        if let binary = context.torqlogBinary {
            let cliStore = context.newPath("ingest-torqlog-cli-rss")
            cli.peakRSS = try Subprocess(executable: binary, arguments: ["--dir", cliStore, "ingest", "--fsync", "batch", "--quiet"],
                                         stdin: w.path, stderr: context.newPath("stderr")).peakRSS(scratch: context.newPath("time"))
            context.remove(cliStore)
        }
        engine.latency = engineLatency.value.summary
        engineNoSeal.latency = noSealLatency.value.summary
        engineNoSync.latency = noSyncLatency.value.summary
        engineOneCore.latency = oneCoreLatency.value.summary
        rawCopy.latency = rawLatency.summary
        cli.latency = cliLatency.summary
        sqlite.latency = sqliteLatency.summary
        naive.latency = naiveLatency.summary
        let close = closeSeconds.median
        engine.extra["time split"] = "appends done after \(Fmt.seconds(engine.medianSeconds - close)), then close() \(Fmt.seconds(close)): "
            + "the final fdatasync and the wait for the sealer (medians)"
        let noSealClose = noSealCloseSeconds.median
        engineNoSeal.extra["time split"] = "appends done after \(Fmt.seconds(engineNoSeal.medianSeconds - noSealClose)), "
            + "then close() (the final fdatasync) \(Fmt.seconds(noSealClose)) (medians)"
        report.rows = [engine, engineNoSeal, engineNoSync, engineOneCore] + (cli.seconds.isEmpty ? [] : [cli]) + [rawCopy, sqlite, naive]

        report.checks.append("generated = stored, on every run: torqlog \(Fmt.count(w.events)) (all three modes)"
            + (cli.seconds.isEmpty ? "" : ", torqlog CLI \(Fmt.count(w.events)) (its export is byte-identical to the input)")
            + ", sqlite rows \(Fmt.count(w.events)), naive lines \(Fmt.count(w.events))")

        let rate = engine.eventsPerSecond ?? 0
        let vsSQLite = report.speedRatio(engine, versus: "sqlite") ?? 0
        report.goals.append(.init(description: "≥ 1,000,000 events/s (torqlog in process, defaults)", met: rate >= 1_000_000,
                                  actual: "\(Fmt.count(Int(rate))) events/s at the median, \(Fmt.count(w.events)) events"))
        report.goals.append(.init(description: "≥ 10× sqlite (torqlog in process, defaults)", met: vsSQLite >= 10, actual: Fmt.ratio(vsSQLite)))
        let noSealRate = engineNoSeal.eventsPerSecond ?? 0
        report.goals.append(.init(description: "≥ 1,000,000 events/s (fsync batch, sealing off)", met: noSealRate >= 1_000_000,
                                  actual: "\(Fmt.count(Int(noSealRate))) events/s, \(Fmt.ratio(report.speedRatio(engineNoSeal, versus: "sqlite") ?? 0)) sqlite"))
        let noSyncRate = engineNoSync.eventsPerSecond ?? 0
        report.goals.append(.init(description: "≥ 1,000,000 events/s without fdatasync (the engine alone)", met: noSyncRate >= 1_000_000,
                                  actual: "\(Fmt.count(Int(noSyncRate))) events/s; "
                                      + "\(Fmt.count(Int(Double(w.events) / (engineNoSync.medianCPUSeconds ?? .nan)))) events per CPU-second"))

        // Against the raw copy: the fraction of the disk's speed for these bytes.
        func ofRawCopy(_ row: ResultRow) -> Double { rawCopy.medianSeconds / row.medianSeconds }
        let cliShare = cli.seconds.isEmpty ? nil : ofRawCopy(cli)
        report.goals.append(.init(description: "≥ 85% of the raw copy's speed (torqlog ingest --fsync batch, the CLI)",
                                  met: (cliShare ?? 0) >= 0.85,
                                  actual: "CLI \(cliShare.map { Fmt.fixed($0 * 100, 0) + "%" } ?? "not run"); in process: defaults "
                                      + "\(Fmt.fixed(ofRawCopy(engine) * 100, 0))%, sealing off \(Fmt.fixed(ofRawCopy(engineNoSeal) * 100, 0))%"))
        if !cli.seconds.isEmpty {
            let cliVsSQLite = report.speedRatio(cli, versus: "sqlite") ?? 0
            report.goals.append(.init(description: "≥ 14× sqlite (torqlog ingest --fsync batch, the CLI)", met: cliVsSQLite >= 14,
                                      actual: Fmt.ratio(cliVsSQLite)))
        }
        let scaling = engineOneCore.medianSeconds / engineNoSync.medianSeconds
        report.goals.append(.init(description: cores >= 2 ? "≥ 1.8× on \(cores) cores against 1 (fsync never: the engine's CPU work)"
                                      : "scaling: one core only here, nothing to compare",
                                  met: cores >= 2 && scaling >= 1.8,
                                  actual: "\(Fmt.fixed(scaling, 2))× (\(Fmt.seconds(engineOneCore.medianSeconds)) on 1 core, "
                                      + "\(Fmt.seconds(engineNoSync.medianSeconds)) on \(cores))"))

        let disk = try DiskProbe.measure(in: context.root)
        let diskRate = Double(disk.bytes) / disk.seconds
        let walBytes = walBytesWritten.median
        report.notes.append("this disk: \(Fmt.bytes(disk.bytes)) written then fdatasync'ed in \(Fmt.seconds(disk.seconds)) = \(Fmt.fixed(diskRate / 1e6, 0)) MB/s; "
            + "fsync batch (sealing off) writes \(Fmt.bytes(Int64(walBytes))) (wchar) and makes it durable before close() returns, "
            + "which takes at least ~\(Fmt.seconds(walBytes / diskRate)) at that rate")
        report.notes.append("MB/s counts the JSONL input (newlines included); torqlog and sqlite validate every line with simdjson, naive with JSONSerialization")
        report.notes.append("durability: torqlog fdatasync every 100 ms, at each 64 MiB segment rollover and at close (sealing writes and fsyncs the sealed copy too); sqlite WAL + synchronous=NORMAL "
            + "(fsync at checkpoints), closed at the end; naive never syncs")
        report.notes.append("sqlite uses a 64 MiB page cache (cache_size=-65536) and creates its run_id index before the inserts")
        return report
    }

    private static func storedRecords(_ store: String) throws -> Int {
        try StoreStatistics(StoreReader(directory: StoreDirectory(store))).records
    }
}

/// The raw copy: a file's bytes read into memory, written to a new file with
/// one `write` (repeated only after a short write) and made durable with one
/// `fdatasync`, as `dd conv=fdatasync` copies them.
enum RawCopy {
    /// Copies `source` to `target`; returns the bytes copied.
    static func copy(_ source: String, to target: String) throws -> Int {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BenchError("cannot open \(source): errno \(errno)") }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw BenchError("fstat \(source): errno \(errno)") }
        let size = Int(info.st_size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 4096)
        defer { buffer.deallocate() }
        try transfer(size, "read \(source)") { done in read(input, buffer.baseAddress! + done, size - done) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BenchError("cannot create \(target): errno \(errno)") }
        defer { close(output) }
        try transfer(size, "write \(target)") { done in write(output, buffer.baseAddress! + done, size - done) }
        guard fdatasync(output) == 0 else { throw BenchError("fdatasync \(target): errno \(errno)") }
        return size
    }

    /// Repeats `step` (a `read` or `write` of what is left after `done` bytes)
    /// until `size` bytes are done, again after EINTR; 0 or an error stops it.
    private static func transfer(_ size: Int, _ what: String, _ step: (_ done: Int) -> Int) throws {
        var done = 0
        while done < size {
            let n = step(done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("\(what): errno \(errno)") }
            done += n
        }
    }
}

/// How fast this disk makes sequential writes durable: 64 MiB written, then one fdatasync.
enum DiskProbe {
    static func measure(in folder: String) throws -> (bytes: Int64, seconds: Double) {
        let path = folder + "/disk-probe"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { chunk.deallocate() }
        for i in 0..<chunk.count { chunk[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        let total = 64
        let (_, seconds) = try timed { () throws -> Void in
            for _ in 0..<total {
                guard write(fd, chunk.baseAddress!, chunk.count) == chunk.count else { throw BenchError("disk probe: write failed") }
            }
            guard fdatasync(fd) == 0 else { throw BenchError("disk probe: fdatasync failed") }
        }
        return (Int64(total) << 20, seconds)
    }
}
