#if canImport(Glibc)
import Glibc
#endif

/// The single-writer lock of a store: an exclusive `flock(2)` on `LOCK`
/// holding the writer's pid (FORMAT.md §5). Released when this value is
/// dropped or the process dies.
final class StoreLock: Sendable {
    static let fileName = "LOCK"
    let file: OwnedFile

    private init(file: OwnedFile) { self.file = file }

    /// Releases the lock (it is also released when the descriptor closes).
    func release() {
        _ = flock(file.fd, LOCK_UN)
    }

    /// Takes the lock without blocking, or throws `.locked` naming the holder's pid.
    static func acquire(_ directory: StoreDirectory) throws -> StoreLock {
        let path = directory.file(fileName)
        let file = try OwnedFile.open(path, flags: O_RDWR | O_CREAT)
        if flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { throw StoreError.lastError(.flock, path: path) }
            // The holder's pid, for the message only: unreadable, it is "another process".
            var raw = [UInt8](repeating: 0, count: 32)
            let n = (try? raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 32, at: 0) }) ?? 0
            let text = String(decoding: raw[0..<n], as: UTF8.self).trimmingWhitespace()
            let holder = text.isEmpty ? "another process" : "pid \(text)"
            throw StoreError(.locked, path: directory.path, "the store is locked by another writer (\(holder)); only one writer at a time")
        }
        try file.truncate(to: 0)
        let pid = Array("\(getpid())\n".utf8)
        try pid.withUnsafeBytes { try file.writeAll($0, at: 0) }
        return StoreLock(file: file)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
