import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// A stream of bytes the line reader pulls from.
public protocol ByteSource: AnyObject {
    /// Reads up to `count` bytes into `buffer`; 0 at the end.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int
}

/// A file (or standard input) read with `read(2)`.
public final class FileByteSource: ByteSource {
    private let fd: Int32
    private let ownsFD: Bool
    private let path: String

    /// Opens `path` for reading; `-` is standard input.
    public init(path: String) throws(InputError) {
        self.path = path
        if path == "-" {
            fd = 0
            ownsFD = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError.system("open", path: path, errno: errno) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw InputError(.invalidSource, path: path, "is a directory")
        }
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        self.fd = fd
        ownsFD = true
    }

    deinit { if ownsFD { close(fd) } }

    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError.system("read", path: path, errno: errno)
        }
    }
}

/// A gzip file decompressed with zlib's `gzread` (concatenated members are
/// read in turn; a file that is not gzip is read as is, as `gzread` does).
public final class GzipByteSource: ByteSource {
    private let file: gzFile
    private let path: String

    /// Opens `path`; `-` is standard input.
    public init(path: String) throws(InputError) {
        self.path = path
        let opened: gzFile? = path == "-" ? gzdopen(dup(0), "rb") : gzopen(path, "rb")
        guard let opened else {
            throw errno != 0 ? InputError.system("open", path: path, errno: errno) : InputError(.io, path: path, "cannot open: out of memory")
        }
        gzbuffer(opened, 256 << 10)
        file = opened
    }

    deinit { gzclose(file) }

    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(InputError) -> Int {
        let n = gzread(file, buffer, UInt32(min(count, Int(Int32.max))))
        var code: Int32 = 0
        if n > 0 { return Int(n) }
        if n == 0 {
            // A truncated file ends with Z_BUF_ERROR rather than quietly.
            _ = gzerror(file, &code)
            guard code == Z_BUF_ERROR else { return 0 }
            throw InputError(.corruptData, path: path, "truncated gzip data (unexpected end of file)")
        }
        var message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
        if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) } // zlib prefixes the path
        if code == Z_ERRNO { throw InputError.system("read", path: path, errno: errno) }
        throw InputError(.corruptData, path: path, "cannot decompress: " + message)
    }
}
