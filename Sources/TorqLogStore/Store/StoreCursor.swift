#if canImport(Glibc)
import Glibc
#endif

/// How far a named reader of the store (a `torqlog forward` stream) has
/// delivered: every record below ``sequence`` is done with. Kept in the store
/// directory as `cursor-NAME` (FORMAT.md, "Cursor files"), one line of text:
///
///     torqlog-cursor 1 <sequence> <dropped>
///
/// `dropped` counts records retention removed before the reader had passed
/// them (nothing else ever removes them). A cursor is written crash-safely:
/// a temporary file `.cursor-NAME.new` is written and fsynced, renamed over
/// the cursor, and the directory fsynced; a crash at any point leaves the old
/// cursor or the new one, never a torn one. (Not `*.tmp`: a writer opening the
/// store removes those, and a forward saves its cursor while writers come and go.)
public struct StoreCursor: Sendable, Hashable {
    /// The reader's name: letters, digits, `-`, `_` and `.`, 1 to 64 bytes.
    public var name: String
    /// Every record below this sequence has been delivered.
    public var sequence: UInt64
    /// Records retention removed before this reader passed them.
    public var dropped: UInt64

    public init(name: String, sequence: UInt64, dropped: UInt64 = 0) {
        self.name = name
        self.sequence = sequence
        self.dropped = dropped
    }

    static let prefix = "cursor-"
    static let magic = "torqlog-cursor"

    /// Why `name` cannot name a cursor (nil: it can).
    public static func problem(name: String) -> String? {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return "a cursor name has 1 to 64 bytes (got \(bytes.count))" }
        let ok = bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
        guard ok, name != ".", name != ".." else { return "a cursor name has only letters, digits, '-', '_' and '.' (got '\(name)')" }
        return nil
    }

    /// The cursor file of `name` in `directory`.
    public static func path(_ name: String, in directory: StoreDirectory) -> String { directory.file(prefix + name) }

    /// The cursor `name` of `directory`; nil when there is none yet.
    ///
    /// - Throws: `.corruption` (naming the file) when the file is not a cursor; an I/O error when it cannot be read.
    public static func load(_ name: String, in directory: StoreDirectory) throws -> StoreCursor? {
        let path = Self.path(name, in: directory)
        guard Filesystem.exists(path) else { return nil }
        let file = try OwnedFile.open(path, flags: O_RDONLY)
        var bytes = [UInt8](repeating: 0, count: 256)
        let n = try bytes.withUnsafeMutableBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return try file.read(into: base, count: buffer.count, at: 0)
        }
        try file.close()
        let text = String(decoding: bytes[0..<n], as: UTF8.self)
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 4, parts[0] == magic, parts[1] == "1", let sequence = UInt64(parts[2]), let dropped = UInt64(parts[3]) else {
            throw StoreError(.corruption, path: path, "not a cursor file (expected '\(magic) 1 <sequence> <dropped>', got \(n) bytes)")
        }
        return StoreCursor(name: name, sequence: sequence, dropped: dropped)
    }

    /// Every cursor of `directory`.
    public static func all(in directory: StoreDirectory) throws -> [StoreCursor] {
        var out: [StoreCursor] = []
        for entry in try Filesystem.list(directory.path).sorted() where entry.hasPrefix(prefix) {
            let name = String(entry.dropFirst(prefix.count))
            guard problem(name: name) == nil, let cursor = try load(name, in: directory) else { continue }
            out.append(cursor)
        }
        return out
    }

    /// Writes this cursor crash-safely (temporary file, fsync, rename, directory fsync).
    /// On a throw the previous cursor is still in place.
    public func save(in directory: StoreDirectory) throws {
        let path = Self.path(name, in: directory)
        let temporary = directory.file("." + Self.prefix + name + ".new")
        let text = Array("\(Self.magic) 1 \(sequence) \(dropped)\n".utf8)
        let file = try OwnedFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
        do {
            try text.withUnsafeBytes { try file.writeAll($0) }
            try file.syncData()
        } catch {
            // The write's or sync's error is the one reported; the temporary file is overwritten by the next save.
            do { try file.close() } catch {}
            throw error
        }
        try file.close()
        try Filesystem.rename(temporary, path)
        try Filesystem.syncDirectory(directory.path)
    }
}
