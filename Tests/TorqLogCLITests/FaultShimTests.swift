import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The fault-injection shim (Tests/FaultShim/torqlog_fault_shim.c, see
/// Support/FaultShim.swift) against the real binary: it sees every file
/// operation of a `torqlog ingest` and none of its stdout and stderr, and the
/// faults it injects reach `torqlog` as the errors they stand for. The
/// failure sweeps build on this.
@Suite("Fault-injection shim",
       .enabled(if: FaultShim.isAvailable, "no C compiler (cc, clang or gcc) on PATH: cannot build Tests/FaultShim/torqlog_fault_shim.c"))
struct FaultShimTests {
    /// 50 small events.
    static let input: Data = jsonl((1...50).map {
        Data(#"{"event_type":"tool_execution","run_id":"r1","timestamp":"2026-03-01T12:00:00Z","n":\#($0)}"#.utf8)
    })

    static let ingestAlways = ["ingest", "--fsync", "always"]

    /// Counts the operations of `torqlog --dir STORE ARGS` (fed `input`) on files under `store`.
    static func record(_ store: String, _ args: [String], cwd: String? = nil, faultDir: String? = nil,
                       expectSuccess: Bool = true) throws -> (result: CommandResult, log: FaultLog) {
        var result: CommandResult?
        let log = try FaultShim.recordOperations(dir: faultDir ?? store) { env in
            result = try TorqlogBinary.run(["--dir", store] + args, stdin: input, env: env, cwd: cwd)
        }
        let r = try #require(result)
        if expectSuccess { #expect(r.succeeded, "torqlog \(args.joined(separator: " ")): \(r.summary)") }
        return (r, log)
    }

    @Test("counting: an ingest --fsync always makes writes, fdatasyncs, fsyncs, opens, a rename and an ftruncate, all under the store")
    func counting() throws {
        try withTemporaryStore { store, _ in
            let (_, log) = try Self.record(store, Self.ingestAlways)
            let counts = log.counts
            for op in Fault.Op.allCases {
                #expect(counts[op, default: 0] >= 1, "no \(op.rawValue) counted: \(counts); calls: \(log.calls)")
            }
            #expect(log.calls(.rename).contains { $0.path.hasSuffix(".wal.tmp -> \(store)/00000000000000000000.wal") },
                    "the segment's creation renames its .tmp: \(log.calls(.rename))")
            #expect(log.calls(.fdatasync).contains { $0.path.hasSuffix(".wal") }, "the append's fdatasync: \(log.calls(.fdatasync))")
            #expect(log.calls.allSatisfy { $0.path.hasPrefix(store) }, "a call outside the store counted: \(log.calls)")
            #expect(log.injections.isEmpty && log.errors.isEmpty, "counting only: \(log.injections) \(log.errors)")
            // The numbering is per op, 1...count, in one process.
            for op in Fault.Op.allCases { #expect(log.calls(op).map(\.n) == Array(stride(from: 1, through: counts[op, default: 0], by: 1))) }
            #expect(Set(log.calls.map(\.pid)).count == 1)
        }
    }

    @Test("stdout and stderr are never counted: --ack changes no count, and export writes nothing under the store")
    func standardStreamsNotCounted() throws {
        try withTemporaryStore { _, scratch in
            let (plain, quiet) = try Self.record(scratch + "/a", Self.ingestAlways)
            let (acked, loud) = try Self.record(scratch + "/b", Self.ingestAlways + ["--ack"])
            #expect(plain.stdout.isEmpty && !plain.stderr.isEmpty, "ingest prints its summary on stderr: \(plain.summary)")
            #expect(acked.stdoutText.contains("acked 50\n"), "stdout: \(acked.stdoutText)")
            #expect(quiet.counts == loud.counts, "without --ack: \(quiet.counts); with: \(loud.counts)")

            let (export, reading) = try Self.record(scratch + "/a", ["export"])
            #expect(countNewlines(export.stdout) == 50, "export: \(export.summary)")
            #expect(reading.counts[.write] == 0, "export's stdout counted as writes: \(reading.calls(.write))")
            #expect(reading.counts[.open, default: 0] >= 1, "export reads the segment: \(reading.calls)")
        }
    }

    @Test("paths: a relative --dir, and a --dir through a symbolic link, count the same calls as the plain path")
    func pathResolution() throws {
        try withTemporaryDirectory { scratch in
            let direct = try Self.record(scratch + "/direct", Self.ingestAlways).log.counts
            let relative = try Self.record("relative", Self.ingestAlways, cwd: scratch, faultDir: scratch + "/relative").log.counts
            #expect(relative == direct, "relative --dir: \(relative); absolute: \(direct)")
            try FileManager.default.createDirectory(atPath: scratch + "/real", withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: scratch + "/link", withDestinationPath: scratch + "/real")
            let linked = try Self.record(scratch + "/link/store", Self.ingestAlways, faultDir: scratch + "/real/store").log.counts
            #expect(linked == direct, "--dir through a link, TORQLOG_FAULT_DIR the real path: \(linked); direct: \(direct)")
            let viaLink = try Self.record(scratch + "/real/store2", Self.ingestAlways, faultDir: scratch + "/link/store2").log.counts
            #expect(viaLink == direct, "TORQLOG_FAULT_DIR through a link: \(viaLink); direct: \(direct)")
        }
    }

    /// Runs `torqlog ingest --fsync always` on a fresh store with `fault`; expects a
    /// non-zero exit, the fault injected, and every part of `messages` in stderr.
    func expectFailure(_ fault: Fault, _ messages: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withTemporaryStore { store, _ in
            let (result, log) = try FaultShim.run(["--dir", store] + Self.ingestAlways, stdin: Self.input, dir: store, fault: fault)
            #expect(!result.succeeded, "\(fault): \(result.summary)", sourceLocation: sourceLocation)
            #expect(!result.signaled, "\(fault): \(result.summary)", sourceLocation: sourceLocation)
            for message in messages {
                #expect(result.stderrText.contains(message), "\(fault): no '\(message)' in stderr: \(result.stderrText)",
                        sourceLocation: sourceLocation)
            }
            let first = log.failures.first
            #expect(first?.op == fault.op.rawValue && first?.n == fault.at + (fault.short ? 1 : 0) && first?.errno == fault.errno.rawValue,
                    "\(fault): injected \(log.injections)", sourceLocation: sourceLocation)
        }
    }

    @Test("fdatasync fails with EIO: the first one (the new segment's), and the append's under --fsync always")
    func fdatasyncEIO() throws {
        try expectFailure(Fault(op: .fdatasync, at: 1, errno: .eio), ["fdatasync failed", "Input/output error"])
        let calls = try withTemporaryStore { store, _ in try Self.record(store, Self.ingestAlways).log.calls(.fdatasync) }
        let append = try #require(calls.first { $0.path.hasSuffix(".wal") }, "no fdatasync of the .wal: \(calls)")
        try expectFailure(Fault(op: .fdatasync, at: append.n, errno: .eio), ["fdatasync failed", "Input/output error", ".wal"])
    }

    @Test("write fails with ENOSPC from the first one on (sticky)")
    func writeENOSPC() throws {
        try expectFailure(Fault(op: .write, at: 1, errno: .enospc, mode: .sticky), ["No space left on device"])
    }

    @Test("open fails with EACCES")
    func openEACCES() throws {
        try expectFailure(Fault(op: .open, at: 1, errno: .eacces), ["Permission denied"])
    }

    @Test("a short write of the frames, then ENOSPC: ingest fails, the partial frame is cut, verify passes")
    func shortWrite() throws {
        try withTemporaryStore { store, _ in
            let calls = try withTemporaryStore { probe, _ in try Self.record(probe, Self.ingestAlways).log.calls(.write) }
            // The frames: the writes to the .wal itself (the header goes to the .wal.tmp, the pid to LOCK).
            let frames = calls.filter { $0.path.hasSuffix(".wal") }
            let last = try #require(frames.last, "no write to the .wal: \(calls)")
            let fault = Fault(op: .write, at: last.n, errno: .enospc, short: true)
            let (result, log) = try FaultShim.run(["--dir", store] + Self.ingestAlways, stdin: Self.input, dir: store, fault: fault)
            #expect(!result.succeeded && !result.signaled, "\(fault): \(result.summary)")
            #expect(result.stderrText.contains("No space left on device"), "\(result.stderrText)")
            let short = try #require(log.injections.first, "nothing injected: \(log.calls)")
            #expect(short.short && short.n == last.n && short.written > 0 && short.written == short.asked / 2, "\(log.injections)")
            #expect(log.failures.map(\.n) == [last.n + 1], "the next write fails: \(log.injections)")

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify after a short write: \(verify.summary) \(verify.stdoutText)")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(export.succeeded, "export: \(export.summary)")
            let stored = splitLines(export.stdout)
            expectJSONL(export.stdout, equals: Array(splitLines(Self.input).prefix(stored.count)), "what is stored is a prefix of the input")
        }
    }

    @Test("mode once fails one call, sticky every call from the N-th on; the log shows which")
    func modes() throws {
        // `verify` opens every segment and goes on after one it cannot open
        // (a writer stops at its first failure, so it cannot show the difference).
        try withTemporaryStore { store, _ in
            _ = try Self.record(store, ["ingest", "--no-seal", "--segment-size", "1024"])
            let probe = try FaultShim.recordOperations(dir: store) { env in
                _ = try TorqlogBinary.run(["--dir", store, "verify"], env: env)
            }.calls(.open)
            let segmentOpens = probe.filter { $0.path.hasSuffix(".wal") }
            #expect(segmentOpens.count >= 3, "a store of several segments: \(probe)")
            let at = try #require(segmentOpens.first?.n, "no open of a .wal: \(probe)")
            for mode in [Fault.Mode.once, .sticky] {
                let fault = Fault(op: .open, at: at, errno: .eio, mode: mode)
                let (result, log) = try FaultShim.run(["--dir", store, "verify"], dir: store, fault: fault)
                #expect(!result.succeeded, "\(fault): a segment that cannot be opened is damage: \(result.summary)")
                #expect(result.stderrText.contains("Input/output error"), "\(result.stderrText)")
                let calls = log.calls(.open).map(\.n)
                let failed = log.failures.map(\.n)
                #expect(calls.contains(at + 1), "\(fault): no open after the failed one, so the modes cannot differ: \(calls)")
                switch mode {
                case .once: #expect(failed == [at], "once: failed \(failed) of \(calls)")
                case .sticky: #expect(failed == calls.filter { $0 >= at }, "sticky: failed \(failed) of \(calls)")
                }
            }
        }
    }

    @Test("a bad setting is reported on stderr and in the log, and the run only counts")
    func badSetting() throws {
        try withTemporaryStore { store, _ in
            var env: [String: String?] = [:]
            let (result, log) = try FaultShim.withLog { logPath in
                env = try Fault(op: .write, at: 1).environment(dir: store, log: logPath)
                env["TORQLOG_FAULT_OP"] = "wirte"
                return try TorqlogBinary.run(["--dir", store] + Self.ingestAlways, stdin: Self.input, env: env)
            }
            #expect(result.succeeded, "\(result.summary)")
            #expect(result.stderrText.contains("torqlog_fault_shim: unknown TORQLOG_FAULT_OP 'wirte'"), "\(result.stderrText)")
            #expect(log.errors.count == 1 && log.injections.isEmpty && log.counts[.write, default: 0] >= 1, "\(log.errors) \(log.injections)")
        }
    }
}
