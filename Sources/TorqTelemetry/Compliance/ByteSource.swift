import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// A stream of bytes the line reader pulls from.
protocol ByteSource: AnyObject {
    /// Reads up to `count` bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(TelemetryError) -> Int
}

/// A file (or standard input) read with `read(2)`.
final class FileByteSource: ByteSource {
    private let fd: Int32
    private let ownsFD: Bool
    private let path: String

    /// Opens `path` for reading; `-` is standard input.
    init(path: String) throws(TelemetryError) {
        self.path = path
        if path == "-" {
            fd = 0
            ownsFD = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TelemetryError(.io, path: path, "cannot open: " + String(cString: strerror(errno))) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw TelemetryError(.invalidSource, path: path, "is a directory")
        }
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        self.fd = fd
        ownsFD = true
    }

    deinit { if ownsFD { close(fd) } }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(TelemetryError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw TelemetryError(.io, path: path, "read failed: " + String(cString: strerror(errno)))
        }
    }
}

/// A gzip file decompressed with zlib's `gzread` (concatenated members are
/// read in turn; a file that is not gzip is read as is, as `gzread` does).
final class GzipByteSource: ByteSource {
    private let file: gzFile
    private let path: String

    /// Opens `path`; `-` is standard input.
    init(path: String) throws(TelemetryError) {
        self.path = path
        let opened: gzFile? = path == "-" ? gzdopen(dup(0), "rb") : gzopen(path, "rb")
        guard let opened else {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "out of memory"
            throw TelemetryError(.io, path: path, "cannot open: " + reason)
        }
        gzbuffer(opened, 256 << 10)
        file = opened
    }

    deinit { gzclose(file) }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(TelemetryError) -> Int {
        let n = gzread(file, buffer, UInt32(min(count, Int(Int32.max))))
        var code: Int32 = 0
        if n > 0 { return Int(n) }
        if n == 0 {
            // A truncated file ends with Z_BUF_ERROR rather than quietly.
            _ = gzerror(file, &code)
            guard code == Z_BUF_ERROR else { return 0 }
            throw TelemetryError(.io, path: path, "truncated gzip data (unexpected end of file)")
        }
        var message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
        if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) } // zlib prefixes the path
        throw TelemetryError(.io, path: path, "cannot decompress: " + message)
    }
}
