import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for the real `torqlog` binary: Tests/FaultShim/torqlog_fault_shim.c,
/// built here once per test process and preloaded (`LD_PRELOAD`) into the runs
/// that ask for it, counts the write, fdatasync, fsync, rename, open and
/// ftruncate calls a run makes on files under one directory, and fails the
/// N-th call of one of them with a chosen errno. The C file's header comment
/// is the full contract (environment variables, log format).
///
/// Typical use, with `TorqlogBinary.run`:
///
///     let counts = try FaultShim.countOperations(dir: store) { env in
///         try TorqlogBinary.run(["--dir", store, "ingest"], stdin: input, env: env)
///     }
///     for n in 1...counts[.fdatasync, default: 0] {
///         let fault = Fault(op: .fdatasync, at: n)
///         let (result, log) = try FaultShim.run(["--dir", store2, "ingest"], stdin: input, dir: store2, fault: fault)
///         ...
///     }
///
/// Suites that use it skip when no C compiler is installed:
/// `.enabled(if: FaultShim.isAvailable, "no C compiler (cc, clang or gcc) on PATH: ...")`.
enum FaultShim {
    /// The shim's C source: `Tests/FaultShim/torqlog_fault_shim.c` in this package.
    static let source: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // TorqLogCLITests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("FaultShim/torqlog_fault_shim.c").path

    /// The C compilers on `PATH`, in the order tried: `cc`, `clang`, `gcc`.
    static let compilers: [String] = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var found: [String] = []
        for name in ["cc", "clang", "gcc"] {
            for dir in path.split(separator: ":") where !dir.isEmpty {
                let candidate = String(dir) + "/" + name
                if access(candidate, X_OK) == 0 {
                    found.append(candidate)
                    break
                }
            }
        }
        return found
    }()

    /// Whether the shim can be built here (a C compiler is on `PATH`): for `.enabled(if:)`.
    static var isAvailable: Bool { !compilers.isEmpty }

    /// The path of the built shared library, built on first use (once per test
    /// process, into a temporary directory removed at exit); nil when there is
    /// no C compiler. Throws when every compiler failed to build it.
    static func library() throws -> String? {
        switch built {
        case .success(let built): return built?.library
        case .failure(let error): throw error
        }
    }

    private static let built: Result<(directory: String, library: String)?, HarnessError> = {
        guard !compilers.isEmpty else { return .success(nil) }
        guard FileManager.default.fileExists(atPath: source) else {
            return .failure(HarnessError("the fault shim's source \(source) is missing"))
        }
        var template = Array((FileManager.default.temporaryDirectory.path + "/torqlog-faultshim-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            return .failure(HarnessError("mkdtemp: \(String(cString: strerror(errno)))"))
        }
        let directory = String(cString: made)
        let library = directory + "/torqlog_fault_shim.so"
        var failures: [String] = []
        for compiler in compilers {
            let args = ["-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"]
            let p = Process()
            p.executableURL = URL(fileURLWithPath: compiler)
            p.arguments = args
            let output = Pipe()
            p.standardOutput = output
            p.standardError = output
            do {
                try p.run()
            } catch {
                failures.append("\(compiler): cannot start: \(error)")
                continue
            }
            // Read to the end before waiting: a compiler with a lot to say must not block on the pipe.
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if p.terminationReason == .exit && p.terminationStatus == 0 && access(library, R_OK) == 0 {
                atexit { FaultShim.removeBuildDirectory() }
                return .success((directory, library))
            }
            failures.append("\(compiler) \(args.joined(separator: " ")): status \(p.terminationStatus): \(said.prefix(2000))")
        }
        try? FileManager.default.removeItem(atPath: directory)
        return .failure(HarnessError("cannot build the fault shim:\n" + failures.joined(separator: "\n")))
    }()

    private static func removeBuildDirectory() {
        if case .success(let built?) = built { try? FileManager.default.removeItem(atPath: built.directory) }
    }

    /// The variables the shim reads, all removed: what a run without the shim gets
    /// (so that none leaks in from the test process's own environment).
    static let cleared: [String: String?] = [
        "LD_PRELOAD": nil, "TORQLOG_FAULT_DIR": nil, "TORQLOG_FAULT_OP": nil, "TORQLOG_FAULT_AT": nil,
        "TORQLOG_FAULT_ERRNO": nil, "TORQLOG_FAULT_MODE": nil, "TORQLOG_FAULT_SHORT": nil, "TORQLOG_FAULT_LOG": nil,
    ]

    /// The environment (for `TorqlogBinary.run`'s `env:`) of a run that only counts
    /// the operations on files under `dir`, logging them to `log` when given.
    static func countingEnvironment(dir: String, log: String? = nil) throws -> [String: String?] {
        guard let library = try library() else {
            throw HarnessError("no C compiler (cc, clang or gcc) on PATH: cannot build the fault shim")
        }
        var env = cleared
        env["LD_PRELOAD"] = library
        env["TORQLOG_FAULT_DIR"] = dir
        env["TORQLOG_FAULT_LOG"] = log
        return env
    }

    /// Runs `run` with a counting-only environment for `dir`, to hand to
    /// `TorqlogBinary.run`; returns how many calls of each op on files under
    /// `dir` the processes started with it made (every op present, 0 when none).
    static func countOperations(dir: String, run: ([String: String?]) throws -> Void) throws -> [Fault.Op: Int] {
        try recordOperations(dir: dir, run: run).counts
    }

    /// Like `countOperations`, but returns the whole log: every counted call
    /// (op, number, libc symbol, pid, path).
    static func recordOperations(dir: String, run: ([String: String?]) throws -> Void) throws -> FaultLog {
        try withLog { log in try run(try countingEnvironment(dir: dir, log: log)) }.log
    }

    /// Runs `torqlog ARGS` with the shim preloaded: counting only (`fault` nil)
    /// or failing as `fault` says, on files under `dir`. Returns the run's
    /// result and the shim's log of it.
    static func run(_ args: [String], stdin: Data? = nil, dir: String, fault: Fault?,
                    timeout: Double = 120) throws -> (result: CommandResult, log: FaultLog) {
        let (result, log) = try withLog { log in
            let env = try fault.map { try $0.environment(dir: dir, log: log) } ?? countingEnvironment(dir: dir, log: log)
            return try TorqlogBinary.run(args, stdin: stdin, env: env, timeout: timeout)
        }
        return (result, log)
    }

    /// Calls `body` with the path of a fresh log file (not yet created), then reads and removes it.
    static func withLog<R>(_ body: (String) throws -> R) throws -> (value: R, log: FaultLog) {
        let path = FileManager.default.temporaryDirectory.path + "/torqlog-faultshim-\(UUID().uuidString).log"
        defer { unlink(path) }
        let value = try body(path)
        return (value, try FaultLog(contentsOf: path))
    }
}

/// A fault to inject: the `at`-th counted call of `op` fails with `errno`.
struct Fault: Sendable, CustomStringConvertible {
    /// What the shim counts and can fail (TORQLOG_FAULT_OP).
    enum Op: String, CaseIterable, Sendable {
        /// write, pwrite, pwrite64, writev.
        case write
        case fdatasync
        case fsync
        /// rename, renameat, renameat2 (counted when either path is under the directory).
        case rename
        /// open, open64, openat, openat64, creat (reading or writing).
        case open
        /// ftruncate, ftruncate64.
        case ftruncate
    }

    /// The errno a failed call sets (TORQLOG_FAULT_ERRNO).
    enum Code: String, CaseIterable, Sendable {
        case eio = "EIO", enospc = "ENOSPC", eacces = "EACCES"

        var value: Int32 {
            switch self {
            case .eio: EIO
            case .enospc: ENOSPC
            case .eacces: EACCES
            }
        }

        /// The C library's text for it, as `torqlog` reports it: "Input/output error".
        var message: String { String(cString: strerror(value)) }
    }

    /// TORQLOG_FAULT_MODE.
    enum Mode: String, Sendable {
        /// Only the `at`-th call fails; later ones work (a failed fdatasync on Linux).
        case once
        /// Every call from the `at`-th on fails (a full disk).
        case sticky
    }

    var op: Op
    /// 1-based.
    var at: Int
    var errno: Code
    var mode: Mode
    /// (op `.write` only) The `at`-th write writes half of its bytes and returns
    /// that count; the `at + 1`-th fails (sticky: it and every later one).
    var short: Bool

    init(op: Op, at: Int, errno: Code = .eio, mode: Mode = .once, short: Bool = false) {
        self.op = op
        self.at = at
        self.errno = errno
        self.mode = mode
        self.short = short
    }

    var description: String {
        "\(op.rawValue) #\(at) \(errno.rawValue) \(mode.rawValue)\(short ? " short" : "")"
    }

    /// The environment (for `TorqlogBinary.run`'s `env:`) of a run with this fault,
    /// on files under `dir`, logging to `log` when given: LD_PRELOAD and the
    /// TORQLOG_FAULT_* variables (those not used removed).
    func environment(dir: String, log: String? = nil) throws -> [String: String?] {
        var env = try FaultShim.countingEnvironment(dir: dir, log: log)
        env["TORQLOG_FAULT_OP"] = op.rawValue
        env["TORQLOG_FAULT_AT"] = String(at)
        env["TORQLOG_FAULT_ERRNO"] = errno.rawValue
        env["TORQLOG_FAULT_MODE"] = mode.rawValue
        env["TORQLOG_FAULT_SHORT"] = short ? "1" : nil
        return env
    }
}

/// The shim's log of one or more runs (TORQLOG_FAULT_LOG), parsed.
struct FaultLog: Sendable {
    /// One counted call.
    struct Call: Sendable, CustomStringConvertible {
        /// The op's name: a `Fault.Op` raw value, or `unlink` (counted, not in `Fault.Op`).
        var op: String
        /// Its number among the calls of `op` in its process (1-based).
        var n: Int
        /// The libc function called: `write`, `pwrite`, `openat`...
        var symbol: String
        var pid: Int32
        /// The file (for a rename: `OLD -> NEW`), symbolic links in its directory resolved.
        var path: String

        var description: String { "\(op) #\(n) \(symbol) \(path)" }
    }

    /// A call the shim failed (or, `short`, made a short write).
    struct Injection: Sendable {
        var op: String
        var n: Int
        /// `EIO`, `ENOSPC`... (empty for a short write).
        var errno: String
        var symbol: String
        var pid: Int32
        /// A short write rather than a failure.
        var short: Bool
        /// For a short write: the bytes written, of those asked for.
        var written = 0, asked = 0
    }

    var calls: [Call] = []
    var injections: [Injection] = []
    /// Configuration errors the shim reported.
    var errors: [String] = []

    /// Calls per op (every op present, 0 when none), over all processes.
    var counts: [Fault.Op: Int] {
        var counts = Dictionary(uniqueKeysWithValues: Fault.Op.allCases.map { ($0, 0) })
        for call in calls { if let op = Fault.Op(rawValue: call.op) { counts[op, default: 0] += 1 } }
        return counts
    }

    /// The calls of `op`, in order.
    func calls(_ op: Fault.Op) -> [Call] { calls.filter { $0.op == op.rawValue } }

    /// Failures injected (not short writes).
    var failures: [Injection] { injections.filter { !$0.short } }

    /// Parses the log at `path`; an absent file is an empty log (nothing was counted).
    init(contentsOf path: String) throws {
        let text = FileManager.default.fileExists(atPath: path) ? try String(contentsOfFile: path, encoding: .utf8) : ""
        try self.init(text: text)
    }

    init(text: String) throws {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            func int(_ i: Int) throws -> Int {
                guard i < f.count, let v = Int(f[i]) else { throw HarnessError("fault shim log: bad line: \(line)") }
                return v
            }
            switch f[0] {
            case "total":
                continue
            case "error":
                errors.append(String(line.dropFirst(6)))
            case "injected":  // injected OP N ERRNAME SYMBOL PID
                let rest = f.count == 5 ? f[4].split(separator: " ").map(String.init) : []
                guard f.count == 5, rest.count == 2, let pid = Int32(rest[1]) else {
                    throw HarnessError("fault shim log: bad line: \(line)")
                }
                injections.append(Injection(op: f[1], n: try int(2), errno: f[3], symbol: rest[0], pid: pid, short: false))
            case "short":  // short OP N WROTE/ASKED SYMBOL PID
                let rest = f.count == 5 ? f[4].split(separator: " ").map(String.init) : []
                guard f.count == 5, rest.count == 2, let pid = Int32(rest[1]) else {
                    throw HarnessError("fault shim log: bad line: \(line)")
                }
                let bytes = f[3].split(separator: "/").compactMap { Int($0) }
                guard bytes.count == 2 else { throw HarnessError("fault shim log: bad line: \(line)") }
                injections.append(Injection(op: f[1], n: try int(2), errno: "", symbol: rest[0], pid: pid, short: true,
                                            written: bytes[0], asked: bytes[1]))
            default:  // OP N SYMBOL PID PATH
                guard f.count == 5, let pid = Int32(f[3]) else { throw HarnessError("fault shim log: bad line: \(line)") }
                calls.append(Call(op: f[0], n: try int(1), symbol: f[2], pid: pid, path: f[4]))
            }
        }
    }
}
