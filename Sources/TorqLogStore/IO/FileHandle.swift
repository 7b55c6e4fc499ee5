#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with one owner: closed exactly once, when the last
/// reference goes away.
///
/// A class, not a struct, so that a writer can hand the active segment to a
/// concurrent `fdatasync` while a rollover replaces it: the descriptor stays
/// open (and its number is not reused) until both are done with it.
final class OwnedFile: @unchecked Sendable {
    // @unchecked: `fd` and `path` are immutable; the kernel serialises the calls.
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { _ = Glibc.close(fd) }

    /// Opens `path`; `flags` as for open(2); files are created 0600.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws -> OwnedFile {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.errno("open", path: path) }
        return OwnedFile(fd: fd, path: path)
    }

    /// The file's current size.
    func size() throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.errno("fstat", path: path) }
        return Int64(st.st_size)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the bytes read (short only at EOF).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.errno("pread", path: path, offset: offset + Int64(done))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at the file's current position.
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.errno("write", path: path)
            }
            p += n
            left -= n
        }
    }

    /// Flushes the file's data (and the metadata needed to read it) to stable storage.
    func syncData() throws {
        while fdatasync(fd) != 0 {
            if errno == EINTR { continue }
            throw StoreError.errno("fdatasync", path: path)
        }
    }

    /// Truncates the file to `length` bytes.
    func truncate(to length: Int64) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw StoreError.errno("ftruncate", path: path) }
    }
}

extension StoreError {
    /// An I/O error carrying the current `errno`'s text.
    static func errno(_ call: String, path: String?, offset: Int64? = nil) -> StoreError {
        let code = Glibc.errno
        let text = String(cString: strerror(code))
        return StoreError(.io, path: path, offset: offset, "\(call) failed: \(text) (errno \(code))")
    }
}
