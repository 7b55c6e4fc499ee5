import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child process with stdin/stdout/stderr redirected to files, timed
/// end to end (spawn to reaped), with the child's peak RSS.
struct Subprocess {
    struct Result {
        var exitStatus: Int32
        /// Wall-clock seconds from just before posix_spawn to just after wait4.
        var seconds: Double
        /// The child's CPU seconds, user + system.
        var cpuSeconds: Double
        /// What the child wrote on stderr (when it went to a file), for error messages.
        var stderr: String
    }

    var executable: String
    var arguments: [String]
    var stdin: String = "/dev/null"
    var stdout: String = "/dev/null"
    var stderr: String = "/dev/null"

    func run() throws -> Result {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = monotonicNanoseconds()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot run \(executable): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: \(String(cString: strerror(errno)))") }
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exit: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        var errText = ""
        if exit != 0 && stderr != "/dev/null" {
            errText = ProcessStats.readSmallFile(stderr).map { String($0.prefix(2000)) } ?? ""
        }
        if stderr != "/dev/null" { unlink(stderr) }
        return Result(exitStatus: exit, seconds: seconds, cpuSeconds: ProcessStats.seconds(usage), stderr: errText)
    }

    /// The child's peak RSS in bytes, from one extra (untimed) run under GNU time; nil without /usr/bin/time.
    ///
    /// Not from our own wait4: posix_spawn's child shares this process's memory
    /// until it execs, and Linux counts that in the child's ru_maxrss; GNU time's
    /// child is forked from the small `time` process instead.
    func peakRSS(scratch: String) throws -> Int64? {
        let time = "/usr/bin/time"
        guard access(time, X_OK) == 0 else { return nil }
        let report = scratch + ".time"
        defer { unlink(report) }
        var wrapped = self
        wrapped.executable = time
        wrapped.arguments = ["-f", "%M", "-o", report, executable] + arguments
        _ = try wrapped.runChecked("\(time) \(executable)")
        guard let text = ProcessStats.readSmallFile(report),
              let kb = Int64(text.split(separator: "\n").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "") else { return nil }
        return kb * 1024
    }

    /// Runs and fails with the child's stderr unless it exits with 0.
    func runChecked(_ what: String) throws -> Result {
        let r = try run()
        guard r.exitStatus == 0 else {
            throw BenchError("\(what) exited with status \(r.exitStatus): \(r.stderr.isEmpty ? "(no stderr)" : r.stderr)")
        }
        return r
    }
}
