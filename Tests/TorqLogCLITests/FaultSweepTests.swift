// Longer than most files: the sweep's scenarios share one harness (the
// starting stores, the checks after each fault) that reads best beside them.
import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Every failure a disk can report, at every point of every writing command
/// (FORMAT.md §3 "After a failed write or sync", §4, §7, §8), through the
/// LD_PRELOAD fault shim (Support/FaultShim.swift) and the real binary:
///
/// 1. **The sweep.** Each scenario (ingests under `always` and `batch`, with and
///    without sealing; `seal`; retention; merge; drop-run; `archive --move`) is
///    run once under the counting shim, then once per (op, N, errno) with the
///    N-th call of that op failing, each time on a fresh copy of the same
///    starting store. After each run: no crash; exit 0 or the sysexits code of
///    the error, which stderr names; the next writer recovers the store; verify
///    passes; no `*.tmp` is left; readers saw nothing that recovery took back;
///    nothing acknowledged is missing and nothing is duplicated or reordered;
///    maintenance leaves each file old or new, never neither; and, from the
///    shim's log, no `.tmp` was renamed into place after a failed write or
///    fdatasync of it, and no segment was deleted after a failed directory fsync
///    that should have made its replacement durable.
/// 2. **The reproduction** of the batch-mode issue: a periodic `fdatasync` of the
///    WAL fails once (Linux then reports success for the next one): the ingest
///    must stop at once with exit 74 and never acknowledge what it had not made
///    durable.
/// 3. **A real full file system** (a 2 MiB tmpfs, when root may mount one): ENOSPC,
///    then resuming from the last ack after space is freed stores every line once.
@Suite("Fault sweep: each write, sync, rename, open and truncate of each writing command fails in turn",
       .enabled(if: FaultShim.isAvailable, "no C compiler (cc, clang or gcc) on PATH: cannot build Tests/FaultShim/torqlog_fault_shim.c"))
struct FaultSweepTests {
    // MARK: - 1. The sweep

    /// The most N swept per op and scenario (sampled evenly above it).
    static let maxPerOp = 40
    /// Fault runs in flight at once (each is a few short processes). The scenarios
    /// run one after another (`.serialized`), so that the sweep takes about the two
    /// cores and leaves the test runner's other thread to the other suites.
    static let workers = 3

    @Test("sweep: every op, every N, EIO (and ENOSPC on write, EACCES on open): no crash, right exit status, recovery, nothing acknowledged lost",
          .serialized, arguments: SweepScenario.allCases)
    func sweep(_ scenario: SweepScenario) throws {
        let started = Date()
        try withTemporaryDirectory { scratch in
            let setup = try scenario.prepare(scratch: scratch)

            // The fault-free run, counted: how many calls of each op, and the state it leaves.
            let refRoot = scratch + "/reference"
            try copyTree(setup.base, to: refRoot)
            let (ref, refLog) = try FaultShim.run(setup.arguments(refRoot), stdin: setup.stdin, dir: refRoot, fault: nil)
            try #require(ref.succeeded, "[\(scenario)] the fault-free run: \(ref.summary)")
            try #require(refLog.calls.count > 0 && refLog.errors.isEmpty, "[\(scenario)] the counting run counted nothing: \(refLog.errors)")
            let reference = try ReferenceState(root: refRoot, result: ref)
            try scenario.checkReference(reference, setup: setup)
            let counts = refLog.counts

            let faults = Self.faults(counts: counts)
            let outcomes = parallelMap(faults, workers: Self.workers) { index, fault in
                FaultRun(setup: setup, reference: reference, fault: fault,
                         root: scratch + "/run-\(index)").execute()
            }
            for outcome in outcomes {
                for problem in outcome.problems { Issue.record(Comment(rawValue: "[\(scenario)] \(outcome.fault): \(problem)")) }
            }

            let injected = outcomes.filter(\.injected)
            let statuses = Dictionary(grouping: injected, by: { $0.result?.how ?? "no result" }).mapValues(\.count)
            let byOp = Dictionary(grouping: injected, by: { $0.fault.op.rawValue }).mapValues(\.count)
            let tolerated = injected.filter { $0.result?.status == 0 }.map { "\($0.fault) on \($0.failedCall.map { ($0.path as NSString).lastPathComponent } ?? "?")" }
            let failedAfterAcks = injected.filter { $0.result?.succeeded == false && $0.lastAck > 0 }.count
            let seconds = Date().timeIntervalSince(started)
            let line = "FaultSweep [\(scenario)]: \(injected.count) faults injected in \(faults.count) runs "
                + "(\(faults.count - injected.count) not reached); calls counted \(Self.show(counts.mapKeys(\.rawValue))); "
                + "injected by op \(Self.show(byOp)); outcomes \(Self.show(statuses)); "
                + (setup.stdin == nil ? "" : "failed after acknowledging lines: \(failedAfterAcks); ")
                + "exit 0 despite the fault: \(tolerated.count)\(tolerated.isEmpty ? "" : " (\(tolerated.prefix(12).joined(separator: ", "))\(tolerated.count > 12 ? ", ..." : ""))")"
                + "; \(String(format: "%.1f", seconds)) s\n"
            FileHandle.standardError.write(Data(line.utf8))
            #expect(injected.count >= faults.count * 3 / 4, "[\(scenario)] most faults should be reached: \(injected.count) of \(faults.count)")
        }
    }

    @Test("the sweep's own checks catch what they are for (synthetic logs and outputs)")
    func checksCatchViolations() throws {
        let tmp = "/s/00000000000000000000.lz4.tmp", lz4 = "/s/00000000000000000000.lz4", wal = "/s/00000000000000000000.wal"
        func problems(_ lines: [String]) throws -> [String] {
            FaultRun.protocolProblems(try FaultLog(text: lines.joined(separator: "\n") + "\n"))
        }
        let sealed = ["open 1 open 7 \(tmp)", "write 1 write 7 \(tmp)", "fdatasync 1 fdatasync 7 \(tmp)",
                      "rename 1 rename 7 \(tmp) -> \(lz4)", "fsync 1 fsync 7 /s", "unlink 1 unlink 7 \(wal)"]
        let followed = try problems(sealed)
        #expect(followed.isEmpty, "the seal protocol, followed: \(followed)")
        var failedSync = sealed
        failedSync.insert("injected fdatasync 1 EIO fdatasync 7", at: 3)
        #expect(try problems(failedSync).contains { $0.contains("renamed into place after its fdatasync #1 failed") })
        var failedWrite = sealed
        failedWrite.insert("injected write 1 ENOSPC write 7", at: 2)
        #expect(try problems(failedWrite).contains { $0.contains("renamed into place after its write #1 failed") })
        #expect(try problems(sealed.filter { !$0.hasPrefix("fdatasync") }).contains { $0.contains("without a successful fdatasync") })
        var failedFsync = sealed
        failedFsync.insert("injected fsync 1 EIO fsync 7", at: 5)
        #expect(try problems(failedFsync).contains { $0.contains("deleted without a successful directory fsync") })
        #expect(try problems(["unlink 1 unlink 7 \(wal)"]).contains { $0.contains("never renamed into place") })
        // An archived copy: the source goes only after the archive directory's fsync.
        let moved = ["rename 1 rename 7 /a/00000000000000000000.lz4.tmp -> /a/00000000000000000000.lz4", "unlink 1 unlink 7 \(lz4)"]
        #expect(try problems(moved).contains { $0.contains("deleted without a successful directory fsync") })

        let lines = (1...5).map { Data("{\"n\":\($0)}".utf8) }
        #expect(prefixProblem(jsonl(Array(lines.prefix(3))), of: lines) == nil)
        #expect(prefixProblem(jsonl([lines[0], lines[0]]), of: lines)?.contains("line 2 differs (it is line 1)") == true)
        #expect(prefixProblem(jsonl([lines[0], lines[2]]), of: lines) != nil, "a hole")
        #expect(subsequenceProblem(jsonl([lines[0], lines[3]]), of: jsonl(lines)) == nil)
        #expect(subsequenceProblem(jsonl([lines[3], lines[0]]), of: jsonl(lines)) != nil, "reordered")
        #expect(parseAcks(Data("acked 3\nacked 2\n".utf8)).problems.count == 1)
        #expect(parseAcks(Data("acked 3\nacked 5\n".utf8)) == ([3, 5], []))
        #expect(Self.sample(100, atMost: 40).count == 40 && Self.sample(100, atMost: 40).first == 1 && Self.sample(100, atMost: 40).last == 100)
        #expect(Self.sample(7, atMost: 40) == Array(1...7))
    }

    /// Every fault to inject, given the calls of each op of the fault-free run:
    /// EIO once for each N (at most `maxPerOp`, sampled evenly); for write also
    /// ENOSPC for each N: once, sticky or after a short write, in turn; for open
    /// also EACCES for every third N.
    static func faults(counts: [Fault.Op: Int]) -> [Fault] {
        var faults: [Fault] = []
        for op in Fault.Op.allCases {
            let ns = sample(counts[op, default: 0], atMost: maxPerOp)
            for (i, n) in ns.enumerated() {
                faults.append(Fault(op: op, at: n, errno: .eio))
                if op == .write {
                    // ENOSPC in turn: once; from then on (a full disk); a short write, half
                    // of the N-th write's bytes written, then the next write fails (a
                    // partial frame to cut back).
                    faults.append([Fault(op: op, at: n, errno: .enospc),
                                   Fault(op: op, at: n, errno: .enospc, mode: .sticky),
                                   Fault(op: op, at: n, errno: .enospc, short: true)][i % 3])
                }
                if op == .open && i % 3 == 0 { faults.append(Fault(op: op, at: n, errno: .eacces)) }
            }
        }
        return faults
    }

    /// 1...count, or `limit` values spread evenly over it (first and last included).
    static func sample(_ count: Int, atMost limit: Int) -> [Int] {
        guard count > limit else { return count > 0 ? Array(1...count) : [] }
        var picked: [Int] = []
        for i in 0..<limit {
            let n = 1 + i * (count - 1) / (limit - 1)
            if picked.last != n { picked.append(n) }
        }
        return picked
    }

    static func show(_ counts: [String: Int]) -> String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }

    /// The sweep's short writes are on every other N from the second on, so never on
    /// the first write of a run, the writer lock's pid: that one is here.
    @Test("a short write of the lock file's pid: exit 74, and the error reported is the write's")
    func shortLockWrite() throws {
        try withTemporaryStore { store, _ in
            let fault = Fault(op: .write, at: 1, errno: .enospc, short: true)
            let (r, log) = try FaultShim.run(["--dir", store, "ingest", "-q"], stdin: jsonl(Workload.lines(10)), dir: store, fault: fault)
            let first = log.calls(.write).first
            #expect(first?.path == store + "/LOCK", "the first write of a writer is its pid into LOCK: \(log.calls(.write))")
            #expect(log.injections.first?.short == true, "\(fault): \(log.injections)")
            #expect(!r.signaled && r.status == 74, "\(fault): \(r.summary)")
            // A short write sets no errno: the writer writes the rest, which meets the ENOSPC,
            // and reports that (never the errno an unrelated earlier call left behind).
            // (At the byte where the short write stopped: half the pid's digits.)
            #expect(r.stderrText.contains("\(store)/LOCK at byte ") && r.stderrText.contains(": write failed: No space left on device (errno 28)"),
                    "\(fault): \(r.stderrText)")
        }
    }

    // MARK: - 2. The reproduction from the issue

    @Test("issue: under --fsync batch --ack, a periodic fdatasync of the WAL fails once (EIO): exit 74 at once, no ack beyond what is durable")
    func batchFdatasyncFailureStopsAcks() throws {
        let lines = Workload.lines(60_000)
        let args = ["ingest", "--fsync", "batch", "--ack", "-q"]
        try withTemporaryDirectory { scratch in
            // Counting run: which fdatasyncs are the periodic syncer's on the .wal.
            let probe = scratch + "/probe"
            var probeResult: CommandResult?
            let log = try FaultShim.recordOperations(dir: probe) { env in
                probeResult = try Self.pacedIngest(["--dir", probe] + args, lines: lines, env: env)
            }
            let pr = try #require(probeResult)
            try #require(pr.succeeded, "counting run: \(pr.summary)")
            // The first fdatasync of the .wal is the one before the first append or
            // the syncer's first; the last is close's. Fail one in the middle.
            let walSyncs = log.calls(.fdatasync).filter { $0.path.hasSuffix(".wal") }
            try #require(walSyncs.count >= 4, "too few fdatasyncs of the .wal to pick a periodic one: \(log.calls(.fdatasync))")
            let chosen = walSyncs[walSyncs.count / 2]
            let fault = Fault(op: .fdatasync, at: chosen.n, errno: .eio, mode: .once)

            let store = scratch + "/store"
            let (r, faultLog) = try FaultShim.withLog { logPath in
                try Self.pacedIngest(["--dir", store] + args, lines: lines, env: fault.environment(dir: store, log: logPath))
            }
            let injected = try #require(faultLog.failures.first, "\(fault): not reached (\(faultLog.counts[.fdatasync] ?? 0) fdatasyncs): \(r.summary)")
            let failedCall = faultLog.calls.first { $0.op == "fdatasync" && $0.n == injected.n && $0.pid == injected.pid }
            let segment = store + "/00000000000000000000.wal"
            #expect(failedCall?.path.hasSuffix("/00000000000000000000.wal") == true, "\(fault): failed \(String(describing: failedCall))")
            #expect(!r.signaled && r.status == 74, "\(fault): expected exit 74: \(r.summary)")
            #expect(r.stderrText.contains("\(segment): fdatasync failed: Input/output error (errno 5)"),
                    "\(fault): stderr should name the segment and the failed fdatasync: \(r.stderrText)")
            let acks = parseAcks(r.stdout)
            #expect(acks.problems.isEmpty, "\(fault): \(acks.problems)")
            let lastAck = acks.values.last ?? 0

            // What the failed writer left is exactly what was durable: every ack is within it.
            let left = try exportStore(store)
            let stored = countNewlines(left)
            #expect(acks.values.allSatisfy { $0 <= stored }, "\(fault): acked \(lastAck) but only \(stored) lines durable in the store")
            #expect(lastAck < lines.count || stored == lines.count,
                    "\(fault): all \(lines.count) lines acknowledged, but the failure hit before they were synced (\(stored) stored)")
            #expect(lastAck < lines.count, "\(fault) in the middle of the ingest: it acknowledged everything (\(lastAck)) anyway")

            let recover = try TorqlogBinary.run(["--dir", store, "ingest", "-q"], stdin: Data())
            #expect(recover.succeeded, "\(fault): recovery: \(recover.summary)")
            let verify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
            #expect(verify.succeeded, "\(fault): verify: \(verify.summary) \(verify.stdoutText)")
            let after = try exportStore(store)
            #expect(after == left, "\(fault): recovery changed what readers saw after the failure")
            let n = countNewlines(after)
            #expect(n >= lastAck, "\(fault): \(lastAck) acknowledged, \(n) stored after recovery")
            expectJSONL(after, equals: Array(lines.prefix(n)), "\(fault): the store after recovery is a prefix of the input")
            FileHandle.standardError.write(Data(("FaultSweep [issue: batch fdatasync EIO]: \(fault) (the \(walSyncs.count / 2 + 1)th of \(walSyncs.count) "
                + "fdatasyncs of the .wal); \(r.how); \(acks.values.count) acks, last \(lastAck) of \(lines.count); \(stored) lines durable\n").utf8))
        }
    }

    /// Feeds `lines` to `torqlog ARGS` through a pipe, 100 lines per write with a
    /// pause, so the ingest lasts long enough for several periodic syncs.
    static func pacedIngest(_ args: [String], lines: [Data], env: [String: String?]) throws -> CommandResult {
        let child = try Child(args, stdin: .pipe, env: env)
        let fed = feed(child, lines, linesPerWrite: 100)
        let result = try child.finish(timeout: 60)
        fed.wait()
        return result
    }

    /// Writes `lines` to the child's stdin from a thread, `linesPerWrite` at a time
    /// with a 1 ms pause, then closes it (also when the child stops reading).
    /// Wait on the semaphore returned for the thread to be done.
    static func feed(_ child: Child, _ lines: [Data], linesPerWrite: Int) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread {
            var i = 0
            while i < lines.count {
                guard child.write(jsonl(Array(lines[i..<min(i + linesPerWrite, lines.count)]))) else { break }
                i += linesPerWrite
                usleep(1000)
            }
            child.closeInput()
            done.signal()
        }.start()
        return done
    }

    // MARK: - 3. A real full file system

    /// Whether this process may mount a tmpfs (root, with the capability to mount:
    /// not in every container): tried once, on a scratch directory.
    static let canMountTmpfs: Bool = {
        guard geteuid() == 0, access("/bin/mount", X_OK) == 0, access("/bin/umount", X_OK) == 0 else { return false }
        let dir = FileManager.default.temporaryDirectory.path + "/torqlog-tmpfs-probe-\(UUID().uuidString)"
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard (try? command("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]))?.status == 0 else { return false }
        if (try? command("/bin/umount", [dir]))?.status != 0 { _ = try? command("/bin/umount", ["-l", dir]) }
        return true
    }()

    @Test("a full tmpfs: ENOSPC stops the ingest (exit 74); resuming after the last ack, once space is freed, stores every line once, in order",
          .enabled(if: FaultSweepTests.canMountTmpfs, "needs root, allowed to mount a tmpfs (mount -t tmpfs), for a small file system to fill"))
    func fullFileSystem() throws {
        // The input overflows the 1 MiB left beside the filler, and fits once the filler is gone.
        var lines: [Data] = []
        var bytes = 0
        var workload = Workload(seed: 0xF011_D15C)
        while bytes < 1_300_000 {
            let line = workload.next()
            lines.append(line)
            bytes += line.count + 1
        }
        try withTemporaryDirectory { scratch in
            let mountPoint = scratch + "/tmpfs"
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
            let mount = try Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint])
            guard mount.status == 0 else {
                // The probe could mount one, this mount cannot: say why, and test nothing.
                FileHandle.standardError.write(Data(("FaultSweep [full tmpfs]: skipped: mount -t tmpfs failed (status \(mount.status)): "
                    + mount.output.trimmingCharacters(in: .whitespacesAndNewlines) + "\n").utf8))
                return
            }
            defer {
                if (try? Self.command("/bin/umount", [mountPoint]))?.status != 0 {
                    _ = try? Self.command("/bin/umount", ["-l", mountPoint])
                }
            }
            let filler = mountPoint + "/filler"
            try Data(count: 1 << 20).write(to: URL(fileURLWithPath: filler))
            let store = mountPoint + "/store"

            let child = try Child(["--dir", store, "ingest", "--fsync", "batch", "--ack", "-q"], stdin: .pipe)
            let fed = Self.feed(child, lines, linesPerWrite: 16)
            let first = try child.finish(timeout: 60)
            fed.wait()
            #expect(!first.signaled && first.status == 74, "the ingest on a full file system: \(first.summary)")
            #expect(first.stderrText.contains("No space left on device (errno 28)"), "stderr: \(first.stderrText)")
            let acks = parseAcks(first.stdout)
            #expect(acks.problems.isEmpty, "\(acks.problems)")
            let lastAck = acks.values.last ?? 0
            #expect(lastAck < lines.count, "everything acknowledged on a full file system: \(lastAck)")
            let left = try exportStore(store)
            #expect(countNewlines(left) == lastAck,
                    "the failed writer leaves exactly what it acknowledged: \(countNewlines(left)) lines stored, last ack \(lastAck)")

            try FileManager.default.removeItem(atPath: filler)
            let resume = try TorqlogBinary.run(["--dir", store, "ingest", "--fsync", "batch", "--ack", "-q"],
                                               stdin: jsonl(Array(lines[lastAck...])))
            #expect(resume.succeeded, "resuming after ack \(lastAck): \(resume.summary)")
            #expect(parseAcks(resume.stdout).values.last == lines.count - lastAck, "resume acks: \(resume.stdoutText.suffix(200))")
            let verify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
            #expect(verify.succeeded, "verify: \(verify.summary) \(verify.stdoutText)")
            expectJSONL(try exportStore(store), equals: lines, "every line once, in order, after resuming from ack \(lastAck)")
            FileHandle.standardError.write(Data(("FaultSweep [full tmpfs]: \(lines.count) lines (\(bytes) bytes) into 1 MiB free: \(first.how), "
                + "\(acks.values.count) acks, last \(lastAck); resumed with \(lines.count - lastAck) lines: \(resume.how)\n").utf8))
        }
    }

    /// Runs a system command; its status and combined output.
    static func command(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationReason == .exit ? p.terminationStatus : -1, said)
    }
}

// MARK: - Scenarios

/// One writing command, on a starting store built for it.
enum SweepScenario: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ingestAlwaysNoSeal = "ingest --fsync always --no-seal"
    case ingestAlwaysSealing = "ingest --fsync always, sealing, onto a torn tail"
    case ingestBatch = "ingest --fsync batch"
    case seal = "seal"
    case retention = "compact --retention-days"
    case merge = "compact --merge"
    case dropRun = "compact --drop-run"
    case archiveMove = "archive --move"

    var testDescription: String { rawValue }

    /// What the scenario's command should leave.
    enum Kind: Sendable {
        /// `existing` lines were in the store; the command ingests `input`, acknowledging with `--ack`.
        case ingest(existing: [Data], input: [Data])
        /// The command keeps some records (a subsequence); before and after come from the reference run.
        case maintenance
        /// `archive --move`: the store's oldest segments go to `root/archive`.
        case archive
    }

    /// A prepared scenario.
    struct Setup: Sendable {
        /// A directory holding `store/`: the starting state, copied for every run.
        var base: String
        /// The command's arguments for a run rooted at a copy of `base`.
        var arguments: @Sendable (String) -> [String]
        var stdin: Data?
        var kind: Kind
        /// The lines in the starting store, in order.
        var lines: [Data]
        /// Whether a background sealer works beside the command (an ingest that seals):
        /// its failures are maintenance, not the command's.
        var sealsInBackground = false
    }

    static let segmentSize = "65536"

    func prepare(scratch: String) throws -> Setup {
        let base = scratch + "/base"
        let store = base + "/store"
        func run(_ args: [String], stdin: Data? = nil) throws {
            let r = try TorqlogBinary.run(["--dir", store] + args, stdin: stdin)
            guard r.succeeded else { throw HarnessError("[\(self)] building the starting store: torqlog \(args.joined(separator: " ")): \(r.summary)") }
        }
        func ingestAndSeal(_ lines: [Data], segmentSize: Int) throws {
            try run(["ingest", "--no-seal", "--fsync", "never", "-q", "--segment-size", String(segmentSize)], stdin: jsonl(lines))
            try run(["seal"])
        }
        switch self {
        case .ingestAlwaysNoSeal, .ingestBatch:
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            let input = Workload.lines(300)
            let policy = self == .ingestBatch ? "batch" : "always"
            let extra = self == .ingestAlwaysNoSeal ? ["--no-seal"] : []
            return Setup(base: base, arguments: { root in
                ["--dir", root + "/store", "ingest", "--fsync", policy, "--ack", "-q", "--segment-size", Self.segmentSize] + extra
            }, stdin: jsonl(input), kind: .ingest(existing: [], input: input), lines: [], sealsInBackground: self == .ingestBatch)
        case .ingestAlwaysSealing:
            // 200 lines in a closed WAL segment (sealed by the writer as it opens) and the
            // active one, which ends in a torn tail (half a frame header) that recovery cuts.
            let all = Workload.lines(500)
            let existing = Array(all[..<200]), input = Array(all[200...])
            try run(["ingest", "--no-seal", "--fsync", "never", "-q", "--segment-size", Self.segmentSize], stdin: jsonl(existing))
            let wals = try segmentNames(store).filter { $0.hasSuffix(".wal") }
            guard wals.count >= 2, let active = wals.last else { throw HarnessError("[\(self)] expected 2 WAL segments: \(wals)") }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: store + "/" + active))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 20))
            try handle.close()
            return Setup(base: base, arguments: { root in
                ["--dir", root + "/store", "ingest", "--fsync", "always", "--ack", "-q", "--segment-size", Self.segmentSize]
            }, stdin: jsonl(input), kind: .ingest(existing: existing, input: input), lines: existing, sealsInBackground: true)
        case .seal:
            // Five WAL segments, the last one active and not empty (seal rolls it over).
            let lines = Workload.lines(300)
            try run(["ingest", "--no-seal", "--fsync", "never", "-q", "--segment-size", "32768"], stdin: jsonl(lines))
            return Setup(base: base, arguments: { ["--dir", $0 + "/store", "seal"] }, stdin: nil, kind: .maintenance, lines: lines)
        case .retention:
            // Day 1 (every line with a time) then day 2: the oldest segments expire whole,
            // the one holding midnight is rewritten, the rest stay. The limit is midnight,
            // 12 hours from every record, so the command's later clock changes nothing.
            let all = Workload.lines(400, seed: 0x2E7E_4710, bigPayloadEvery: 0)
            let day1 = all[..<220].filter { (try? EventFacts($0))?.time != nil }
            let day2 = all[220...].map(CompactedStoreTests.nextDay)
            let lines = Array(day1) + day2
            try ingestAndSeal(lines, segmentSize: 32768)
            let days = String((Date().timeIntervalSince1970 * 1e9 - Double(CompactedStoreTests.midnight)) / 86_400e9)
            return Setup(base: base, arguments: { ["--dir", $0 + "/store", "compact", "--retention-days", days] },
                         stdin: nil, kind: .maintenance, lines: lines)
        case .merge:
            // Many small sealed segments, merged three or four at a time.
            let lines = Workload.lines(300, seed: 0x3E_4C3, bigPayloadEvery: 0)
            try ingestAndSeal(lines, segmentSize: 8192)
            return Setup(base: base, arguments: { ["--dir", $0 + "/store", "compact", "--merge", "--merge-target", "12288"] },
                         stdin: nil, kind: .maintenance, lines: lines)
        case .dropRun:
            // The victim's 30 events spread through every segment: each one is rewritten.
            let lines = CompactedStoreTests.interleave(Workload.lines(300, seed: 0xD209, bigPayloadEvery: 0),
                                                       [(0..<30).map(CompactedStoreTests.victimLine)])
            try ingestAndSeal(lines, segmentSize: 32768)
            return Setup(base: base, arguments: { ["--dir", $0 + "/store", "compact", "--drop-run", CompactedStoreTests.victim] },
                         stdin: nil, kind: .maintenance, lines: lines)
        case .archiveMove:
            // Lines that all have a time, so that --before picks the oldest segments.
            let all = Workload.lines(340, seed: 0xA2C1, bigPayloadEvery: 0)
            let lines = Array(all.filter { (try? EventFacts($0))?.time != nil }.prefix(300))
            try ingestAndSeal(lines, segmentSize: 16384)
            let limit = try #require(try EventFacts(lines[150]).time)
            let before = RFC3339Text.format(limit, fractionDigits: 9, offsetMinutes: 0)
            return Setup(base: base, arguments: { root in
                ["--dir", root + "/store", "archive", "--to", root + "/archive", "--before", before, "--move"]
            }, stdin: nil, kind: .archive, lines: lines)
        }
    }

    /// Checks the fault-free run did what the scenario is about.
    func checkReference(_ r: ReferenceState, setup: Setup) throws {
        let sealedAfter = r.storeSegments.filter { $0.hasSuffix(".lz4") }.count
        switch self {
        case .ingestAlwaysNoSeal, .ingestBatch, .ingestAlwaysSealing:
            guard case .ingest(let existing, let input) = setup.kind else { return }
            try #require(r.storeExport == jsonl(existing + input), "[\(self)] the fault-free ingest stores everything")
            try #require(r.storeSegments.count >= 3, "[\(self)] several rollovers expected: \(r.storeSegments)")
        case .seal:
            try #require(sealedAfter >= 5 && r.storeSegments.filter { $0.hasSuffix(".wal") }.count == 1, "[\(self)] \(r.storeSegments)")
        case .retention:
            try #require(r.result.stdoutText.contains("segments deleted, 1 rewritten") && !r.result.stdoutText.contains(" 0 segments deleted"),
                         "[\(self)] retention should delete segments and rewrite one: \(r.result.stdoutText)")
            try #require(r.storeExport.count < jsonl(setup.lines).count && r.storeExport.count > 0, "[\(self)] some records expire, not all")
        case .merge:
            let before = try segmentNames(setup.base + "/store").filter { $0.hasSuffix(".lz4") }.count
            try #require(before >= 12 && sealedAfter < before / 2 && sealedAfter >= 3, "[\(self)] \(before) → \(sealedAfter) sealed segments")
        case .dropRun:
            try #require(r.result.stdoutText.contains("30 events erased"), "[\(self)] \(r.result.stdoutText)")
            let sealed = try segmentNames(setup.base + "/store").filter { $0.hasSuffix(".lz4") }.count
            try #require(r.result.stdoutText.contains("from \(sealed) segments") && sealed >= 4, "[\(self)] every segment rewritten: \(r.result.stdoutText)")
        case .archiveMove:
            let archived = r.archiveSegments.count
            try #require(archived >= 3 && sealedAfter >= 3, "[\(self)] some segments archived, some kept: \(r.archiveSegments) / \(r.storeSegments)")
        }
    }
}

/// What the fault-free run left.
struct ReferenceState: Sendable {
    var result: CommandResult
    var storeExport: Data
    var storeSegments: [String]
    var archiveExport: Data
    var archiveSegments: [String]

    init(root: String, result: CommandResult) throws {
        self.result = result
        storeExport = try exportStore(root + "/store")
        storeSegments = try segmentNames(root + "/store")
        let archive = root + "/archive"
        archiveSegments = FileManager.default.fileExists(atPath: archive) ? try segmentNames(archive) : []
        archiveExport = archiveSegments.isEmpty ? Data() : try exportStore(archive)
    }
}

// MARK: - One fault run

/// One run of a scenario with one fault, and every check after it. Runs on a
/// worker thread: it records no issue itself but returns its problems.
struct FaultRun {
    var setup: SweepScenario.Setup
    var reference: ReferenceState
    var fault: Fault
    var root: String

    struct Outcome: Sendable {
        var fault: Fault
        var result: CommandResult?
        var injected = false
        var failedCall: FaultLog.Call?
        /// The last `acked N` (ingest scenarios).
        var lastAck = 0
        var problems: [String] = []
    }

    var store: String { root + "/store" }
    var archive: String { root + "/archive" }

    func execute() -> Outcome {
        var outcome = Outcome(fault: fault)
        do {
            try copyTree(setup.base, to: root)
            defer { try? FileManager.default.removeItem(atPath: root) }
            try run(&outcome)
        } catch {
            outcome.problems.append("harness: \(error)")
        }
        return outcome
    }

    private func run(_ o: inout Outcome) throws {
        let (r, log) = try FaultShim.run(setup.arguments(root), stdin: setup.stdin, dir: root, fault: fault, timeout: 60)
        o.result = r
        // A short write counts as injected: it writes half a frame for real.
        o.injected = !log.injections.isEmpty
        // Every call failed (several under sticky: the first may be the sealer's, a later one the writer's).
        let failedCalls = log.injections.compactMap { i in log.calls.first { $0.op == i.op && $0.n == i.n && $0.pid == i.pid } }
        o.failedCall = failedCalls.first
        let failedFiles = failedCalls.flatMap(Self.fileNames)
        let on = o.failedCall.map { " (the call: \($0.symbol) \($0.path))" } ?? ""
        let leftSegments = try? segmentNames(store)

        // No crash; exit 0 or the error's sysexits code, with the error on stderr.
        if r.signaled {
            o.problems.append("crashed: \(r.summary)\(on)")
        } else if !o.injected {
            if r.status != 0 { o.problems.append("not reached, yet the run failed: \(r.summary)") }
        } else if r.status != 0 {
            let names = fault.op == .open ? ["open", "create"] : [fault.op.rawValue]
            let errorText = "failed: \(fault.errno.message) (errno \(fault.errno.value))"
            let line = r.stderrLines.first { l in names.contains { l.contains(": \($0) \(errorText)") } }
            if let line {
                let expected: Int32 = fault.errno == .eacces ? 77 : line.contains(": create failed: ") ? 73 : 74
                if r.status != expected { o.problems.append("exit status \(r.status), expected \(expected) for \(line.debugDescription)\(on)") }
                if !line.hasPrefix("torqlog: ") { o.problems.append("the error line does not start with 'torqlog: ': \(line.debugDescription)") }
                if !failedFiles.isEmpty && !failedFiles.contains(where: { line.contains($0) }) {
                    o.problems.append("the error does not name the file of a failed call \(Array(Set(failedFiles)).sorted()): \(line.debugDescription)")
                }
            } else {
                o.problems.append("\(r.how), but stderr names no '\(names.joined(separator: "/")) \(errorText)': \(r.stderrText.prefix(600))\(on)")
                if ![73, 74, 77].contains(r.status) { o.problems.append("exit status \(r.status) is not a sysexits I/O code (73, 74, 77)") }
            }
        } else if let call = failedCalls.first(where: mustFail) {
            o.problems.append("exit 0 although \(call.symbol) of \(call.path) failed: the failure was ignored")
        }
        o.problems += Self.protocolProblems(log)

        // Acknowledgements (ingest --ack).
        var lastAck = 0
        if case .ingest(_, let input) = setup.kind {
            let acks = parseAcks(r.stdout)
            o.problems += acks.problems
            lastAck = acks.values.last ?? 0
            o.lastAck = lastAck
            if lastAck > input.count { o.problems.append("acked \(lastAck) of \(input.count) lines") }
            if r.succeeded && lastAck != input.count { o.problems.append("exit 0 but the last ack is \(lastAck) of \(input.count)") }
        }

        // Readers on the store as the run left it, then the next writer, verify, readers again.
        let leftStore = try? exportStore(store)
        let leftArchive = try? exportArchive()
        if leftStore == nil { o.problems.append("export failed on the store the run left") }
        let leftVerify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
        if !leftVerify.succeeded { o.problems.append("verify on the store the run left (before recovery): \(leftVerify.summary) \(leftVerify.stdoutText.prefix(600))") }
        let recover = try TorqlogBinary.run(["--dir", store, "ingest", "-q"], stdin: Data())
        if !recover.succeeded { o.problems.append("the next writer (ingest < /dev/null) failed: \(recover.summary)") }
        let tmps = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".tmp") }
        if !tmps.isEmpty { o.problems.append("*.tmp left after the next writer: \(tmps)") }
        let verify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
        if !verify.succeeded { o.problems.append("verify after recovery: \(verify.summary) \(verify.stdoutText.prefix(600))") }
        let export = try exportStore(store)
        if let leftStore, leftStore != export {
            o.problems.append("recovery changed what readers saw: \(countNewlines(leftStore)) lines before, \(countNewlines(export)) after")
        }

        switch setup.kind {
        case .ingest(let existing, let input):
            let all = existing + input
            let n = countNewlines(export)
            if let why = prefixProblem(export, of: all) {
                o.problems.append("the store is not a prefix of what was there plus the input: \(why)")
            } else if n < existing.count + lastAck {
                o.problems.append("acknowledged lines missing: \(n - existing.count) input lines stored, \(lastAck) acknowledged")
            } else if !r.succeeded && !r.signaled && n != existing.count + lastAck {
                // Every durable advance prints an ack, and the failed writer cuts back to
                // the last one: what it leaves is exactly what it acknowledged.
                o.problems.append("the failed writer left \(n - existing.count) input lines but acknowledged \(lastAck): not cut back to what was durable")
            }
        case .maintenance:
            let before = jsonl(setup.lines), after = reference.storeExport
            if let why = subsequenceProblem(export, of: before) { o.problems.append("records not from the store before: \(why)") }
            if let why = subsequenceProblem(after, of: export) { o.problems.append("records lost (not removed by the fault-free run): \(why)") }
            if r.succeeded, let names = leftSegments, names != reference.storeSegments {
                o.problems.append("exit 0 but the segments differ from the fault-free run's: \(names) vs \(reference.storeSegments)")
            }
        case .archive:
            o.problems += try archiveProblems(storeExport: export, leftArchive: leftArchive, succeeded: r.succeeded)
        }
    }

    /// Whether exit 0 is wrong after `call` failed: any call of an ingest that does
    /// not seal, and a writer's own file in one that does (a directory fsync may be
    /// the sealer's); anything but an open for seal, compaction and archive (a
    /// missing retention.json is no failure).
    private func mustFail(_ call: FaultLog.Call) -> Bool {
        switch setup.kind {
        case .ingest:
            guard setup.sealsInBackground else { return true }
            let names = Self.fileNames(call)
            let writerFile = names.contains { $0 == "LOCK" || $0.hasSuffix(".wal.tmp") || (call.op != "open" && $0.hasSuffix(".wal")) }
            return writerFile && call.op != "fsync"
        case .maintenance, .archive:
            return call.op != "open"
        }
    }

    /// The base names of the files of a call (both for a rename).
    static func fileNames(_ call: FaultLog.Call) -> [String] {
        call.path.components(separatedBy: " -> ").map { ($0 as NSString).lastPathComponent }
    }

    /// The crash- and failure-safety protocols, checked on the shim's log of the run:
    /// - a `X.tmp` is renamed to `X` only after a successful fdatasync of it, and
    ///   never after a failed write or fdatasync of it;
    /// - a WAL segment is deleted only after its sealed twin was renamed into place
    ///   and a directory fsync then succeeded; a sealed segment whose copy was
    ///   renamed into the archive, likewise.
    static func protocolProblems(_ log: FaultLog) -> [String] {
        var problems: [String] = []
        let failed = Set(log.failures.map { "\($0.op) \($0.n) \($0.pid)" })
        func isFailed(_ c: FaultLog.Call) -> Bool { failed.contains("\(c.op) \(c.n) \(c.pid)") }
        let calls = log.calls
        for (i, call) in calls.enumerated() {
            if call.op == "rename" {
                let parts = call.path.components(separatedBy: " -> ")
                guard parts.count == 2, parts[0].hasSuffix(".tmp"), !isFailed(call) else { continue }
                let tmp = parts[0]
                let earlier = calls[..<i].filter { $0.pid == call.pid && $0.path == tmp }
                if let bad = earlier.first(where: { ($0.op == "write" || $0.op == "fdatasync") && isFailed($0) }) {
                    problems.append("\(tmp) renamed into place after its \(bad.op) #\(bad.n) failed")
                } else if !earlier.contains(where: { $0.op == "fdatasync" && !isFailed($0) }) {
                    problems.append("\(tmp) renamed into place without a successful fdatasync of it")
                }
            } else if call.op == "unlink" {
                let name = (call.path as NSString).lastPathComponent
                guard name.count == 24, name.hasSuffix(".wal") || name.hasSuffix(".lz4") else { continue }
                let base = String(name.prefix(20))
                // The rename that made this file redundant: its sealed twin, or its archived copy.
                let target = name.hasSuffix(".wal") ? "/" + base + ".lz4" : "/" + name
                guard let r = calls[..<i].lastIndex(where: { c in
                    c.op == "rename" && c.pid == call.pid && !isFailed(c)
                        && c.path.components(separatedBy: " -> ").last.map { $0.hasSuffix(target) && $0 != call.path } == true
                }) else {
                    if name.hasSuffix(".wal") { problems.append("\(name) deleted, but its sealed twin was never renamed into place") }
                    continue
                }
                if !calls[(r + 1)..<i].contains(where: { $0.op == "fsync" && $0.pid == call.pid && !isFailed($0) }) {
                    problems.append("\(name) deleted without a successful directory fsync after \(calls[r].path)")
                }
            }
        }
        return problems
    }

    private func exportArchive() throws -> Data {
        let names = FileManager.default.fileExists(atPath: archive) ? try segmentNames(archive) : []
        return names.isEmpty ? Data() : try exportStore(archive)
    }

    /// After an `archive --move` with a fault: the store holds the original's records
    /// from some segment on, the archive those before some point, together all of
    /// them, overlapping by at most the segment in flight; the archive reads back
    /// as a store; and running the command again reaches the fault-free result.
    private func archiveProblems(storeExport: Data, leftArchive: Data?, succeeded: Bool) throws -> [String] {
        var problems: [String] = []
        let all = setup.lines
        let allBytes = jsonl(all)
        let archived = FileManager.default.fileExists(atPath: archive) ? try segmentNames(archive) : []
        let archiveExport = try exportArchive()
        if let leftArchive, leftArchive != archiveExport { problems.append("the archive changed with the store's recovery") }
        if !archived.isEmpty {
            let verify = try TorqlogBinary.run(["--dir", archive, "verify", "-q"])
            if !verify.succeeded { problems.append("verify of the archive: \(verify.summary) \(verify.stdoutText.prefix(400))") }
        }
        let a = countNewlines(archiveExport)
        if let why = prefixProblem(archiveExport, of: all) { problems.append("the archive is not a prefix of the store's records: \(why)") }
        let s = all.count - countNewlines(storeExport)
        if storeExport.count > allBytes.count || allBytes.suffix(storeExport.count) != storeExport || s < 0 {
            problems.append("the store is not a suffix of its records: \(countNewlines(storeExport)) lines")
        } else if s > a {
            problems.append("records lost: the store starts at line \(s), the archive holds \(a)")
        }
        let inBoth = Set(archived.filter { $0.hasSuffix(".lz4") }).intersection(try segmentNames(store))
        if inBoth.count > 1 { problems.append("more than the segment in flight is in both the store and the archive: \(inBoth.sorted())") }
        if succeeded && (archived != reference.archiveSegments || storeExport != reference.storeExport) {
            problems.append("exit 0 but the store or archive differs from the fault-free run's: archive \(archived) vs \(reference.archiveSegments)")
        }

        // Again, without a fault: the fault-free result, and no .tmp left in the archive.
        let again = try TorqlogBinary.run(setup.arguments(root))
        if !again.succeeded {
            problems.append("archive --move again, without a fault: \(again.summary)")
        } else {
            if try exportStore(store) != reference.storeExport { problems.append("after archiving again, the store differs from the fault-free run's") }
            if try exportArchive() != reference.archiveExport { problems.append("after archiving again, the archive differs from the fault-free run's") }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: archive).filter { $0.hasSuffix(".tmp") }
            if !leftovers.isEmpty { problems.append("*.tmp left in the archive after archiving again: \(leftovers)") }
            if !FileManager.default.fileExists(atPath: archive + "/MANIFEST.json") { problems.append("no MANIFEST.json after archiving again") }
        }
        return problems
    }
}

// MARK: - Helpers

/// `torqlog --dir DIR export`, which must succeed.
func exportStore(_ dir: String) throws -> Data {
    let r = try TorqlogBinary.run(["--dir", dir, "export"])
    guard r.succeeded else { throw HarnessError("export of \(dir): \(r.summary)") }
    return r.stdout
}

/// The segment files of a store directory (`.wal` and `.lz4` with 20-digit names), sorted.
func segmentNames(_ dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir)
        .filter { $0.count == 24 && ($0.hasSuffix(".wal") || $0.hasSuffix(".lz4")) }
        .sorted()
}

/// Copies the directory `from` to `to` (which must not exist).
func copyTree(_ from: String, to: String) throws {
    try FileManager.default.copyItem(atPath: from, toPath: to)
}

/// The values of `acked N` lines, and what is wrong with stdout (other lines, not increasing).
func parseAcks(_ stdout: Data) -> (values: [Int], problems: [String]) {
    var values: [Int] = []
    var problems: [String] = []
    let text = String(decoding: stdout, as: UTF8.self)
    if !text.isEmpty && !text.hasSuffix("\n") { problems.append("stdout ends in the middle of a line: \(text.suffix(40).debugDescription)") }
    for line in text.split(separator: "\n") {
        guard line.hasPrefix("acked "), let n = Int(line.dropFirst(6)) else {
            problems.append("unexpected stdout line \(String(line.prefix(80)).debugDescription)")
            continue
        }
        if let last = values.last, n <= last { problems.append("acks not increasing: \(last) then \(n)") }
        values.append(n)
    }
    return (values, problems)
}

/// Nil when `data` is the JSONL of the first k of `lines` for some k; else why not.
func prefixProblem(_ data: Data, of lines: [Data]) -> String? {
    let got = splitLines(data)
    if !data.isEmpty && data.last != 0x0A { return "it does not end with a newline" }
    if got.count > lines.count { return "\(got.count) lines, more than the \(lines.count) there are" }
    if let i = got.indices.first(where: { got[$0] != lines[$0] }) {
        let dup = lines.firstIndex(of: got[i]).map { " (it is line \($0 + 1))" } ?? " (not a line of the input)"
        return "line \(i + 1) differs\(dup)"
    }
    return nil
}

/// Nil when the lines of `data` are a subsequence of the lines of `of`, in order; else why not.
func subsequenceProblem(_ data: Data, of whole: Data) -> String? {
    let sub = splitLines(data), all = splitLines(whole)
    var j = 0
    for (i, line) in sub.enumerated() {
        while j < all.count && all[j] != line { j += 1 }
        if j == all.count { return "line \(i + 1) of \(sub.count) is not found in order among \(all.count)" }
        j += 1
    }
    return nil
}

/// The shared state of `parallelMap`'s threads.
private final class ParallelWork<R>: @unchecked Sendable {
    // @unchecked: every var is guarded by `lock`.
    let lock = NSLock()
    var next = 0
    var results: [R?]
    init(_ count: Int) { results = Array(repeating: nil, count: count) }

    /// The next item's index to work on, nil when none is left.
    func take(_ count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ r: R, at i: Int) {
        lock.lock()
        results[i] = r
        lock.unlock()
    }
}

/// `body` applied to every item on `workers` threads; the results in item order.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], workers: Int, _ body: @escaping @Sendable (Int, T) -> R) -> [R] {
    let work = ParallelWork<R>(items.count)
    let group = DispatchGroup()
    for _ in 0..<max(1, min(workers, items.count)) {
        group.enter()
        Thread {
            while let i = work.take(items.count) { work.store(body(i, items[i]), at: i) }
            group.leave()
        }.start()
    }
    group.wait()
    return work.results.map { $0! }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ transform: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
