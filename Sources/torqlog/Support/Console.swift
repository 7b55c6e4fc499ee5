import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// Output helpers: unbuffered stderr messages, TTY detection.
enum Console {
    /// Prints `torqlog: message` on standard error.
    static func error(_ message: String) {
        write(2, "torqlog: " + message + "\n")
    }

    /// Prints `message` on standard error.
    static func note(_ message: String) {
        write(2, message + "\n")
    }

    static func write(_ fd: Int32, _ text: String) {
        var t = text
        t.withUTF8 { buf in
            guard var p = buf.baseAddress else { return }
            var left = buf.count
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 { if errno == EINTR { continue }; return }
                p += n
                left -= n
            }
        }
    }

    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Whether colour may be used on `fd` (a TTY, and `NO_COLOR` unset).
    static func colour(_ fd: Int32) -> Bool {
        isTTY(fd) && getenv("NO_COLOR") == nil
    }
}

/// A buffered writer for standard output (or a file) that ends quietly when the reader goes away.
final class OutputStream {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private let ownsFD: Bool
    private let flushThreshold = 256 << 10
    /// Set when writing failed: the reader closed the pipe (EPIPE) or the disk refused; callers stop producing.
    private(set) var closed = false
    /// Why writing failed, unless the reader just went away (EPIPE, which is not an error for a filter).
    private(set) var failure: String?

    init(fd: Int32 = 1) {
        self.fd = fd
        self.ownsFD = false
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// Opens (creating, 0644) `path` for writing, or standard output for nil or `-`.
    init(path: String?) throws {
        guard let path, path != "-" else {
            self.fd = 1
            self.ownsFD = false
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.io, path: path, "cannot open for writing: \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.ownsFD = true
    }

    deinit {
        flush()
        if ownsFD { close(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { flush() }
    }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= flushThreshold { flush() }
    }

    func writeLine(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= flushThreshold { flush() }
    }

    func flush() {
        guard !buffer.isEmpty, !closed else { buffer.removeAll(keepingCapacity: true); return }
        buffer.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno != EPIPE { failure = String(cString: strerror(errno)) }
                    closed = true
                    return
                }
                p += n
                left -= n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
