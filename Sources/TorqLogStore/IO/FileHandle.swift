#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import SystemPackage

/// An open file descriptor with one owner: closed exactly once, by ``close()``
/// or, failing that, when the last reference goes away.
///
/// A class, not a struct, so that a writer can hand the active segment to a
/// concurrent `fdatasync` while a rollover replaces it: the descriptor stays
/// open (and its number is not reused) until both are done with it.
///
/// Every failing call throws a ``StoreError`` with the operation, the path and
/// the `errno`. A file that was written must be closed with ``close()``, whose
/// error is reported (some file systems report a failed write-back only
/// there); `deinit` closes silently, for files only read and for paths where
/// an earlier error is already being thrown (which a close error must not hide).
final class OwnedFile: Sendable {
    let fd: Int32
    let path: String
    private let closed = Atomic<Bool>(false)

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        if !closed.load(ordering: .acquiring) { _ = Glibc.close(fd) }
    }

    /// Opens `path`; `flags` as for open(2); files are created 0600. With
    /// `O_CREAT`, a failure is a ``FileOperation/create`` error.
    static func open(_ path: String, flags: Int32, mode: mode_t = 0o600) throws -> OwnedFile {
        let operation: FileOperation = flags & O_CREAT != 0 ? .create : .open
        let fd = InjectedFaults.failure(operation, path: path) ?? Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.lastError(operation, path: path) }
        return OwnedFile(fd: fd, path: path)
    }

    /// Closes the descriptor now, reporting a failure. Later calls do nothing.
    func close() throws {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        // Linux releases the descriptor even when close fails: never retry it.
        guard Glibc.close(fd) == 0 else { throw StoreError.lastError(.close, path: path) }
    }

    /// The file's current size.
    func size() throws -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.lastError(.fstat, path: path) }
        return Int64(st.st_size)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the bytes read (short only at EOF).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.lastError(.read, path: path, offset: offset + Int64(done))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at the file's current position. On a failure,
    /// some of the bytes may have been written (a short write).
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = InjectedFaults.failure(.write, path: path) ?? Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.lastError(.write, path: path)
            }
            p += n
            left -= n
        }
    }

    /// Writes all of `bytes` at `offset`, without moving the file position.
    func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        var at = off_t(offset)
        while left > 0 {
            let n = InjectedFaults.failure(.write, path: path) ?? pwrite(fd, p, left, at)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.lastError(.write, path: path, offset: Int64(at))
            }
            p += n
            left -= n
            at += off_t(n)
        }
    }

    /// Flushes the file's data (and the metadata needed to read it) to stable storage.
    func syncData() throws {
        while (InjectedFaults.failure(.fdatasync, path: path) as Int32? ?? fdatasync(fd)) != 0 {
            if errno == EINTR { continue }
            throw StoreError.lastError(.fdatasync, path: path)
        }
    }

    /// Truncates the file to `length` bytes.
    func truncate(to length: Int64) throws {
        guard (InjectedFaults.failure(.ftruncate, path: path) as Int32? ?? ftruncate(fd, off_t(length))) == 0 else {
            throw StoreError.lastError(.ftruncate, path: path)
        }
    }
}

extension StoreError {
    /// The failure of `operation` with the calling thread's current `errno`.
    static func lastError(_ operation: FileOperation, path: String?, offset: Int64? = nil) -> StoreError {
        StoreError(operation, errno: Errno(rawValue: Glibc.errno), path: path, offset: offset)
    }
}
