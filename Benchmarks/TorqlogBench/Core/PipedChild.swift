#if canImport(Glibc)
import Glibc
#endif

/// A child process whose standard output is a pipe this process reads line
/// by line as the child writes (for `torqlog tail -f`).
final class PipedChild: Sendable {
    let pid: pid_t
    private let output: Int32

    /// Starts `executable` with `arguments`, stdin from /dev/null, stderr to the file `stderr`.
    init(executable: String, arguments: [String], stderr: String) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw BenchError("pipe failed: \(String(cString: strerror(errno)))") }
        // Neither end is inherited by other children (dup2 onto the child's stdout clears the flag there).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw BenchError("cannot run \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        output = fds[0]
    }

    /// Reads the child's output and calls `body` with each complete line (no
    /// newline) and the CLOCK_MONOTONIC time its chunk was read, until `body`
    /// returns false. Fails when the child closes its output first, or
    /// nothing arrives for `stallSeconds`.
    func readLines(stallSeconds: Double, _ body: (UnsafeRawBufferPointer, UInt64) -> Bool) throws {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var pfd = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(stallSeconds * 1000))
            if ready < 0 {
                if errno == EINTR { continue }
                throw BenchError("poll on the child's output failed: \(String(cString: strerror(errno)))")
            }
            guard ready > 0 else { throw BenchError("no output from the child for \(Int(stallSeconds)) s") }
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError("reading the child's output failed: \(String(cString: strerror(errno)))")
            }
            guard n > 0 else { throw BenchError("the child closed its output early") }
            let now = monotonicNanoseconds()
            pending.append(contentsOf: chunk[0..<n])
            var start = 0
            var keepGoing = true
            pending.withUnsafeBytes { all in
                for i in 0..<all.count where all[i] == 0x0A {
                    if keepGoing { keepGoing = body(UnsafeRawBufferPointer(rebasing: all[start..<i]), now) }
                    start = i + 1
                }
            }
            pending.removeFirst(start)
            if !keepGoing { return }
        }
    }

    /// Sends SIGTERM, reaps the child, closes the pipe; returns the exit status (128 + signal when killed).
    @discardableResult
    func terminate() -> Int32 {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(output)
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
