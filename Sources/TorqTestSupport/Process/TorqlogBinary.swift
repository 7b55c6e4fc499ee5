import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a helper could not do its job (a missing binary, a failed spawn, a timeout).
package struct HarnessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The built `torqlog` executable, and ways to run it.
package enum TorqlogBinary {
    /// The path of the binary: `$TORQLOG_BIN` if set, else the `torqlog` file
    /// next to the running test bundle (its directory or the parent directory).
    package static func path() throws -> String {
        switch located {
        case .success(let path): return path
        case .failure(let error): throw error
        }
    }

    private static let located: Result<String, HarnessError> = {
        // Children that die (SIGKILL in CrashTests, readers closing early) must not take
        // the test process down when it writes to their stdin.
        signal(SIGPIPE, SIG_IGN)
        if let env = ProcessInfo.processInfo.environment["TORQLOG_BIN"], !env.isEmpty {
            guard access(env, X_OK) == 0 else {
                return .failure(HarnessError("TORQLOG_BIN=\(env) is not an executable file"))
            }
            return .success(env)
        }
        var tried: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            for _ in 0..<2 {
                let candidate = dir.appendingPathComponent("torqlog").path
                tried.append(candidate)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                   access(candidate, X_OK) == 0 {
                    return .success(candidate)
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return .failure(HarnessError(
            "cannot find the torqlog binary (looked at \(tried.joined(separator: ", "))); "
            + "build it with `swift build` or set TORQLOG_BIN to its path"))
    }()

    /// Runs `torqlog ARGS` to completion, feeding `stdin` (nil: empty input) and
    /// collecting stdout and stderr concurrently.
    ///
    /// - Parameter env: variables to set (a nil value removes the variable).
    ///   `TORQLOG_DIR` is removed and `HOME` points nowhere unless given here, so
    ///   a test that forgets `--dir` fails instead of touching `~/.torqlog`.
    /// - Parameter timeout: seconds before the child is killed and the call throws.
    @discardableResult
    package static func run(_ args: [String], stdin: Data? = nil, env: [String: String?] = [:],
                    cwd: String? = nil, timeout: Double = 120) throws -> CommandResult {
        try Child(args, stdin: stdin.map { .data($0) } ?? .null, env: env, cwd: cwd).finish(timeout: timeout)
    }
}

extension Child {
    /// Runs `executable ARGS` to completion, as ``TorqlogBinary/run(_:stdin:env:cwd:timeout:)`` does for torqlog.
    package static func run(executable: String, _ args: [String], stdin: Data? = nil, env: [String: String?] = [:],
                    timeout: Double = 120) throws -> CommandResult {
        try Child(executable: executable, args, stdin: stdin.map { .data($0) } ?? .null, env: env).finish(timeout: timeout)
    }
}

/// What a finished `torqlog` run produced.
package struct CommandResult: Sendable {
    /// The exit status, or the signal number when `signaled`.
    package var status: Int32
    /// Whether the process was ended by a signal.
    package var signaled: Bool
    package var stdout: Data
    package var stderr: Data

    /// Exited normally with status 0.
    package var succeeded: Bool { !signaled && status == 0 }
    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    package var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Standard error split on `\n`, without the empty string after a final newline.
    package var stderrLines: [String] { stderrText.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stderrText.hasSuffix("\n") ? 1 : 0).map(String.init) }
    /// `status 0`, `status 65`, `signal 9`, for messages.
    package var how: String { signaled ? "signal \(status)" : "status \(status)" }
    /// A one-line summary with the start of stderr, for failure messages.
    package var summary: String {
        "\(how); stderr: " + String(stderrText.prefix(800))
    }
}

/// A running `torqlog` process with piped stdin, stdout and stderr.
///
/// Its stdout and stderr are drained by two threads into buffers as they arrive
/// (so the child never blocks on a full pipe), which tests can wait on.
package final class Child: @unchecked Sendable {
    // @unchecked: the mutable state lives in `IO`, guarded by its condition; the
    // `let`s are set before launch.

    package enum Input {
        /// Empty standard input: a pipe closed at once.
        case null
        /// These bytes, written by a thread, then end of input.
        case data(Data)
        /// A pipe kept open: use `write(_:)` and `closeInput()`.
        case pipe
    }

    /// Everything the drain threads and the termination handler touch.
    private final class IO: @unchecked Sendable {
        // @unchecked: every var is guarded by `condition`.
        let condition = NSCondition()
        var out = Data()
        var err = Data()
        var stdoutOpen = true
        var stderrOpen = true
        var exit: (status: Int32, signaled: Bool)?
        var inputFD: Int32 = -1
    }

    private let process = Process()
    private let io = IO()
    let arguments: [String]
    /// The child's pid.
    package let pid: Int32

    /// Starts `torqlog ARGS`.
    /// - Parameter stdinPipeSize: the capacity to give the stdin pipe (`F_SETPIPE_SZ`), when not the default 64 KiB.
    package convenience init(_ args: [String], stdin: Input = .pipe, env: [String: String?] = [:], cwd: String? = nil, stdinPipeSize: Int32? = nil) throws {
        try self.init(executable: try TorqlogBinary.path(), args, stdin: stdin, env: env, cwd: cwd, stdinPipeSize: stdinPipeSize)
    }

    /// Starts `executable ARGS` (another program a test needs: `python3`, `lz4`).
    package init(executable binary: String, _ args: [String], stdin: Input = .pipe, env: [String: String?] = [:], cwd: String? = nil,
         stdinPipeSize: Int32? = nil) throws {
        arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["TORQLOG_DIR"] = nil
        environment["TRACEPARENT"] = nil
        environment["TRACESTATE"] = nil
        environment["HOME"] = "/nonexistent/torqlog-cli-tests-home"
        for (k, v) in env { environment[k] = v }

        // Pipes are close-on-exec so that no other child started meanwhile (tests run in
        // parallel) inherits an end of them; dup2 onto 0/1/2 clears the flag in this child.
        let inPipe = try Self.makePipe(), outPipe = try Self.makePipe(), errPipe = try Self.makePipe()
        if let stdinPipeSize { _ = fcntl(inPipe.write, 1031 /* F_SETPIPE_SZ */, stdinPipeSize) }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = args
        process.environment = environment
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardInput = FileHandle(fileDescriptor: inPipe.read, closeOnDealloc: false)
        process.standardOutput = FileHandle(fileDescriptor: outPipe.write, closeOnDealloc: false)
        process.standardError = FileHandle(fileDescriptor: errPipe.write, closeOnDealloc: false)
        let io = self.io
        process.terminationHandler = { p in
            let result = (p.terminationStatus, p.terminationReason == .uncaughtSignal)
            io.condition.lock()
            io.exit = result
            io.condition.broadcast()
            io.condition.unlock()
        }
        do {
            // The child inherits the spawning thread's signal mask, and the threads tests run
            // on (libdispatch workers) block SIGTERM, SIGINT and the like: spawn with none blocked,
            // so that signalling a child works as it would from a shell.
            var none = sigset_t(), saved = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, &saved)
            defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
            try process.run()
        } catch {
            for fd in [inPipe.read, inPipe.write, outPipe.read, outPipe.write, errPipe.read, errPipe.write] { close(fd) }
            throw HarnessError("cannot start \(binary): \(error)")
        }
        pid = process.processIdentifier
        close(inPipe.read)
        close(outPipe.write)
        close(errPipe.write)
        io.condition.lock()
        io.inputFD = inPipe.write
        io.condition.unlock()

        Self.drain(outPipe.read, io, isStdout: true)
        Self.drain(errPipe.read, io, isStdout: false)
        switch stdin {
        case .pipe: break
        case .null: closeInput()
        case .data(let data):
            Thread { [self] in
                self.write(data)
                self.closeInput()
            }.start()
        }
    }

    deinit {
        // A test that failed half-way must not leave processes behind.
        io.condition.lock()
        let running = io.exit == nil
        let fd = io.inputFD
        io.condition.unlock()
        if running { kill(pid, SIGKILL) }
        if fd >= 0 { close(fd) }
    }

    /// glibc's `pipe2`, which the Glibc module does not export (it needs `_GNU_SOURCE`).
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let pipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        guard let pipe2 else { throw HarnessError("pipe2 is not available") }
        var fds: [Int32] = [-1, -1]
        guard fds.withUnsafeMutableBufferPointer({ pipe2($0.baseAddress!, O_CLOEXEC) }) == 0 else {
            throw HarnessError("pipe2: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    private static func drain(_ fd: Int32, _ io: IO, isStdout: Bool) {
        Thread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                io.condition.lock()
                if n > 0 {
                    if isStdout { io.out.append(contentsOf: buffer[0..<n]) } else { io.err.append(contentsOf: buffer[0..<n]) }
                } else if isStdout {
                    io.stdoutOpen = false
                } else {
                    io.stderrOpen = false
                }
                io.condition.broadcast()
                io.condition.unlock()
                if n <= 0 { break }
            }
            close(fd)
        }.start()
    }

    /// Writes all of `data` to the child's stdin; false if the child stopped reading
    /// (EPIPE) or the input is closed. Returns with `written` = bytes written.
    @discardableResult
    package func write(_ data: Data, written: inout Int) -> Bool {
        io.condition.lock()
        let fd = io.inputFD
        io.condition.unlock()
        written = 0
        guard fd >= 0 else { return false }
        var done = 0
        defer { written = done }
        return data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            while done < raw.count {
                let n = Glibc.write(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }

    /// Writes all of `data` to the child's stdin; false if it could not.
    @discardableResult
    package func write(_ data: Data) -> Bool {
        var written = 0
        return write(data, written: &written)
    }

    /// Closes the child's stdin (end of input).
    package func closeInput() {
        io.condition.lock()
        let fd = io.inputFD
        io.inputFD = -1
        io.condition.unlock()
        if fd >= 0 { close(fd) }
    }

    /// Sends `sig` to the child (unless it has already been reaped).
    package func signal(_ sig: Int32) {
        io.condition.lock()
        defer { io.condition.unlock() }
        if io.exit == nil { kill(pid, sig) }
    }

    /// What the child has written to stdout so far.
    package var stdout: Data { io.condition.lock(); defer { io.condition.unlock() }; return io.out }
    /// What the child has written to stderr so far.
    package var stderr: Data { io.condition.lock(); defer { io.condition.unlock() }; return io.err }

    /// Waits until `predicate(stdout so far)` holds; false on timeout, or when
    /// stdout ended without it holding.
    package func waitForStdout(timeout: Double, _ predicate: (Data) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        io.condition.lock()
        defer { io.condition.unlock() }
        while !predicate(io.out) {
            if !io.stdoutOpen { return false }
            if !io.condition.wait(until: deadline) { return predicate(io.out) }
        }
        return true
    }

    /// Waits for the child to exit and its output to end; nil on timeout.
    package func wait(timeout: Double) -> CommandResult? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        io.condition.lock()
        defer { io.condition.unlock() }
        while io.exit == nil || io.stdoutOpen || io.stderrOpen {
            if !io.condition.wait(until: deadline) { break }
        }
        guard let exit = io.exit, !io.stdoutOpen, !io.stderrOpen else { return nil }
        return CommandResult(status: exit.status, signaled: exit.signaled, stdout: io.out, stderr: io.err)
    }

    /// Waits for the child to finish; on timeout kills it and throws.
    package func finish(timeout: Double = 60) throws -> CommandResult {
        if let r = wait(timeout: timeout) { return r }
        signal(SIGKILL)
        _ = wait(timeout: 10)
        throw HarnessError("torqlog \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
    }

    /// Whether the process has exited (been reaped).
    var hasExited: Bool { io.condition.lock(); defer { io.condition.unlock() }; return io.exit != nil }
}

/// Runs `body` with a fresh temporary directory, removed afterwards.
package func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    var template = Array((FileManager.default.temporaryDirectory.path + "/torqlog-cli-XXXXXX").utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw HarnessError("mkdtemp: \(String(cString: strerror(errno)))")
    }
    let path = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Runs `body` with the path of a store directory (not yet created) inside a
/// temporary directory, removed afterwards.
package func withTemporaryStore<R>(_ body: (_ store: String, _ scratch: String) throws -> R) throws -> R {
    try withTemporaryDirectory { dir in try body(dir + "/store", dir) }
}

// MARK: - Comparing JSONL

/// Splits `data` into lines on `\n` (bytes, not characters: `\r\n` is not special).
/// A final line without `\n` is included; the empty string after a final `\n` is not.
package func splitLines(_ data: Data) -> [Data] {
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Data] in
        guard let base = raw.baseAddress else { return [] }
        var lines: [Data] = []
        var start = 0
        while start < raw.count {
            if let nl = memchr(base + start, 0x0A, raw.count - start) {
                let end = base.distance(to: UnsafeRawPointer(nl))
                lines.append(Data(bytes: base + start, count: end - start))
                start = end + 1
            } else {
                lines.append(Data(bytes: base + start, count: raw.count - start))
                break
            }
        }
        return lines
    }
}

/// The number of `\n` bytes in `data`.
package func countNewlines(_ data: Data) -> Int {
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int in
        guard let base = raw.baseAddress else { return 0 }
        var n = 0, at = 0
        while at < raw.count, let nl = memchr(base + at, 0x0A, raw.count - at) {
            n += 1
            at = base.distance(to: UnsafeRawPointer(nl)) + 1
        }
        return n
    }
}

/// `lines` as JSONL: each followed by `\n`.
package func jsonl(_ lines: [Data]) -> Data {
    var d = Data()
    d.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
    for l in lines { d.append(l); d.append(0x0A) }
    return d
}
