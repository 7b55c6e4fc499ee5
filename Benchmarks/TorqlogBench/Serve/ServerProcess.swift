import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `torqlog serve` child for the serve benchmark: started on a free port,
/// read back from its one stdout line, stopped with SIGTERM.
final class ServerProcess {
    let pid: pid_t
    let port: Int
    let store: String
    private let stdoutPath: String
    private let stderrPath: String

    init(binary: String, store: String, arguments: [String], scratch: String) throws {
        self.store = store
        stdoutPath = scratch + ".out"
        stderrPath = scratch + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let all = [binary, "--dir", store, "serve", "--listen", "127.0.0.1:0", "--log-level", "warning"] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot run \(binary) serve: \(String(cString: strerror(rc)))") }
        self.pid = pid
        var found: Int?
        for _ in 0..<400 {
            if let text = ProcessStats.readSmallFile(stdoutPath), let range = text.range(of: "127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { found = port; break }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw BenchError("torqlog serve exited at start: \(ProcessStats.readSmallFile(stderrPath) ?? "")")
            }
            usleep(25_000)
        }
        guard let found else {
            kill(pid, SIGKILL)
            throw BenchError("torqlog serve did not say where it listens within 10 s")
        }
        port = found
    }

    /// The server's peak resident memory so far (VmHWM), in bytes.
    var peakRSS: Int64 {
        guard let text = ProcessStats.readSmallFile("/proc/\(pid)/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int64(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return 0
    }

    /// The server's CPU seconds so far (user + system, from /proc/PID/stat).
    var cpuSeconds: Double {
        guard let text = ProcessStats.readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM, then waits; the exit status (128 + signal when killed).
    @discardableResult
    func stop() -> Int32 {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        unlink(stdoutPath)
        unlink(stderrPath)
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
