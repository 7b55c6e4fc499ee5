#if canImport(Glibc)
import Glibc
#endif

/// Where a store lives, and the files in it (FORMAT.md §1).
public struct StoreDirectory: Sendable, Hashable {
    /// The environment variable that overrides the default store directory.
    public static let environmentVariable = "TORQLOG_DIR"

    /// The directory's path.
    public let path: String

    /// A store at `path`.
    public init(_ path: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        self.path = p
    }

    /// The Unix socket a `torqlog serve` holding this store listens on, for the
    /// store's other producers (FORMAT.md §5): `serve.sock`, mode 0600.
    public var serverSocket: String { path + "/serve.sock" }

    /// The store to use: `explicit` when given, else `$TORQLOG_DIR`, else `~/.torqlog`.
    public static func resolve(_ explicit: String?) -> StoreDirectory {
        if let explicit, !explicit.isEmpty { return StoreDirectory(expandTilde(explicit)) }
        if let env = getenv(environmentVariable), let value = String(validatingCString: env), !value.isEmpty {
            return StoreDirectory(expandTilde(value))
        }
        return StoreDirectory(expandTilde("~/.torqlog"))
    }

    static func expandTilde(_ p: String) -> String {
        guard p == "~" || p.hasPrefix("~/") else { return p }
        var home = getenv("HOME").flatMap { String(validatingCString: $0) } ?? ""
        if home.isEmpty, let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir {
            home = String(cString: dir)
        }
        return home + p.dropFirst()
    }

    /// The path of a file in the store.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Whether the directory exists.
    public var exists: Bool {
        var isDir = false
        return Filesystem.exists(path, isDirectory: &isDir) && isDir
    }

    /// The WAL segments, ordered by base sequence (including any whose sealed twin exists).
    public func walSegments() throws -> [SegmentFile] {
        try Filesystem.list(path).compactMap { name in
            SegmentName.parseWAL(name).map { SegmentFile(base: $0, path: file(name), kind: .wal) }
        }.sorted { $0.base < $1.base }
    }

    /// Every segment, sealed and WAL, ordered by base sequence. Where a WAL
    /// segment and a sealed one have the same base (a seal finished, the WAL
    /// not yet removed), the sealed one is the segment.
    public func segments() throws -> [SegmentFile] {
        var byBase: [UInt64: SegmentFile] = [:]
        for name in try Filesystem.list(path) {
            if let base = SegmentName.parseSealed(name) {
                byBase[base] = SegmentFile(base: base, path: file(name), kind: .sealed)
            } else if let base = SegmentName.parseWAL(name), byBase[base]?.kind != .sealed {
                byBase[base] = SegmentFile(base: base, path: file(name), kind: .wal)
            }
        }
        return byBase.values.sorted { $0.base < $1.base }
    }

    /// Files named like a segment but with the extension `ext` (e.g. `runs`
    /// for run summaries derived from a sealed segment), by base sequence.
    package func derivedFiles(extension ext: String) throws -> [(base: UInt64, path: String)] {
        try Filesystem.list(path).compactMap { name in
            let suffix = "." + ext
            guard name.hasSuffix(suffix), let base = SegmentName.parseSealed(String(name.dropLast(suffix.count)) + ".lz4") else { return nil }
            return (base, file(name))
        }.sorted { $0.base < $1.base }
    }

    /// Fails with a clear error when no store exists here (readers never create one).
    public func requireExisting() throws {
        guard exists else {
            throw StoreError(.notFound, path: path, "no torqlog store here (use --dir or \(Self.environmentVariable))")
        }
    }
}

/// A segment file: its base sequence, path and kind.
public struct SegmentFile: Sendable, Hashable {
    /// A write-ahead-log segment (`.wal`) or a sealed, compressed one (`.lz4`).
    public enum Kind: Sendable, Hashable { case wal, sealed }
    /// The sequence number of its first record (from the name).
    public var base: UInt64
    /// Its full path.
    public var path: String
    /// Its kind.
    public var kind: Kind

    package init(base: UInt64, path: String, kind: Kind) {
        self.base = base
        self.path = path
        self.kind = kind
    }
}
