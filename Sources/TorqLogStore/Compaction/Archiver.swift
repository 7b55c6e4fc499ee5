#if canImport(Glibc)
import Glibc
#endif
import TorqJSON

/// Copies (or moves) sealed segments to another directory that is itself a
/// valid read-only store, verifying each copy by checksum before anything is
/// removed, and keeps a manifest there (FORMAT.md §8.3).
public struct Archiver {
    /// What an archive run did.
    public struct Report: Sendable {
        /// Segments copied now.
        public var copied = 0
        /// Segments already in the archive with the same checksum.
        public var alreadyArchived = 0
        /// Segments removed from the store after their copy was verified (`move`).
        public var removed = 0
        /// Bytes copied.
        public var bytes: Int64 = 0
    }

    /// The manifest's file name in an archive directory.
    public static let manifestName = "MANIFEST.json"

    let store: StoreDirectory

    /// An archiver for `store`. Moving needs the store's writer lock: hold a `LogWriter` open meanwhile.
    public init(store: StoreDirectory) { self.store = store }

    /// Archives the oldest sealed segments into `target`: all of them, or while
    /// every record of a segment is older than `before` (nanoseconds).
    public func archive(to target: StoreDirectory, before: Int64? = nil, move: Bool = false) throws -> Report {
        try Filesystem.makeDirectory(target.path)
        var report = Report()
        for seg in try store.segments() where seg.kind == .sealed {
            let sealed = try SealedSegment(path: seg.path, base: seg.base)
            if let before {
                let idx = sealed.index
                guard idx.recordsWithoutTime == 0, idx.recordCount == 0 || idx.maxTime < before else { break }
            }
            let name = SegmentName.sealed(seg.base)
            let dest = target.file(name)
            let sourceCRC = try Self.checksum(of: seg.path)
            if Filesystem.exists(dest), try Self.checksum(of: dest) == sourceCRC {
                report.alreadyArchived += 1
            } else {
                let bytes = try Self.copy(seg.path, to: dest + ".tmp")
                let copyCRC = try Self.checksum(of: dest + ".tmp")
                guard copyCRC == sourceCRC else {
                    var mismatch = StoreError(.io, path: dest, "copy checksum \(hex(copyCRC)) differs from the source's \(hex(sourceCRC)); nothing removed")
                    do { try Filesystem.remove(dest + ".tmp") } catch {
                        mismatch.message += "; removing the bad copy \(dest).tmp failed too (\(error))"
                    }
                    throw mismatch
                }
                try Filesystem.rename(dest + ".tmp", dest)
                try Filesystem.syncDirectory(target.path)
                report.copied += 1
                report.bytes += bytes
            }
            _ = try SealedSegment(path: dest, base: seg.base)  // the copy opens as a segment
            if move {
                try Filesystem.remove(seg.path)
                try Filesystem.syncDirectory(store.path)
                report.removed += 1
            }
        }
        try writeManifest(target)
        return report
    }

    /// Rewrites `target`'s manifest: its segments, sequence and time ranges, sizes and checksums.
    func writeManifest(_ target: StoreDirectory) throws {
        var entries: [String] = []
        for seg in try target.segments() where seg.kind == .sealed {
            let s = try SealedSegment(path: seg.path, base: seg.base)
            let i = s.index
            let times = i.minTime <= i.maxTime
                ? "\"min_time\":\"\(RFC3339.format(nanoseconds: i.minTime, fractionDigits: 9))\",\"max_time\":\"\(RFC3339.format(nanoseconds: i.maxTime, fractionDigits: 9))\""
                : "\"min_time\":null,\"max_time\":null"
            entries.append("{\"name\":\"\(SegmentName.sealed(seg.base))\",\"first_sequence\":\(seg.base),\"end_sequence\":\(s.endSequence),\"records\":\(i.recordCount),\(times),\"bytes\":\(s.fileLength),\"crc32c\":\"\(hex(try Self.checksum(of: seg.path)))\"}")
        }
        let text = "{\"format_version\":\(SealedFormat.version),\"segments\":[\n  " + entries.joined(separator: ",\n  ") + "\n]}\n"
        let path = target.file(Self.manifestName)
        let file = try OwnedFile.open(path + ".tmp", flags: O_WRONLY | O_CREAT | O_TRUNC)
        try Array(text.utf8).withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try file.close()
        try Filesystem.rename(path + ".tmp", path)
        try Filesystem.syncDirectory(target.path)
    }

    /// CRC-32C of a whole file, streamed.
    static func checksum(of path: String) throws -> UInt32 {
        let file = try OwnedFile.open(path, flags: O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var crc: UInt32 = 0
        var at: Int64 = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: at) }
            if n == 0 { break }
            crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<n]), continuing: crc) }
            at += Int64(n)
        }
        return crc
    }

    /// Copies `from` to `to` (created 0600) and fdatasyncs it; returns the bytes copied.
    static func copy(_ from: String, to: String) throws -> Int64 {
        let src = try OwnedFile.open(from, flags: O_RDONLY)
        let dst = try OwnedFile.open(to, flags: O_WRONLY | O_CREAT | O_TRUNC)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var at: Int64 = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try src.read(into: $0.baseAddress!, count: $0.count, at: at) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try dst.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            at += Int64(n)
        }
        try dst.syncData()
        try dst.close()
        return at
    }
}
