#if canImport(Glibc)
import Glibc
#endif

/// What a writer does to a store before it appends (FORMAT.md §4): clean up
/// what an interrupted writer, seal or merge left, cut back what a failed
/// writer may not have made durable, and find the end of the active segment.
struct WALRecovery {
    /// The active segment, open for appending, and where its data ends.
    var file: OwnedFile
    var base: UInt64
    var size: Int64
    var nextSequence: UInt64
    /// Closed WAL segments waiting to be sealed.
    var closedSegments: [SegmentFile]
    /// What was done, for the caller to report.
    var report: LogWriter.Recovery

    /// Recovers `directory`, whose writer lock the caller holds.
    ///
    /// - Parameter failure: the failure of a previous writer of this store in
    ///   this process; the segment is cut back to where that writer's data was
    ///   durable, and WAL segments it created after that point are removed.
    init(_ directory: StoreDirectory, resumingAfter failure: LogWriter.Failure?) throws {
        var report = LogWriter.Recovery(bytesDropped: 0, segment: "", temporaryFilesRemoved: 0)
        var changed = false
        for name in try Filesystem.list(directory.path) where name.hasSuffix(".tmp") {
            try Filesystem.remove(directory.file(name))
            report.temporaryFilesRemoved += 1
            changed = true
        }
        // A WAL segment whose sealed twin exists was sealed completely (the
        // sealed file is renamed into place only after it is synced): drop it.
        let sealedBases = Set(try Filesystem.list(directory.path).compactMap(SegmentName.parseSealed))
        for wal in try directory.walSegments() where sealedBases.contains(wal.base) {
            try Filesystem.remove(wal.path)
            report.sealedDuplicatesRemoved += 1
            changed = true
        }
        if let failure {
            let durable = failure.durable
            // Segments a failed writer created after its durable point hold nothing acknowledged.
            for wal in try directory.walSegments() where wal.base > durable.segment {
                try Filesystem.remove(wal.path)
                changed = true
            }
            let path = directory.file(SegmentName.wal(durable.segment))
            if Filesystem.exists(path) {
                let file = try OwnedFile.open(path, flags: O_RDWR)
                let size = try file.size()
                if size > durable.offset {
                    try file.truncate(to: durable.offset)
                    try file.syncData()
                    report.bytesDropped += size - durable.offset
                    report.truncatedAt = durable.offset
                    report.reason = "cut back to where a failed writer's data was last durable"
                }
                try file.close()
            }
        }
        if changed { try Filesystem.syncDirectory(directory.path) }
        report.coveredSegmentsRemoved = try Compactor.removeCoveredSegments(directory)

        var segments = try directory.segments()
        if segments.last?.kind != .wal {
            // Empty store, or everything sealed: start a WAL segment after the last sealed one.
            let base = try segments.last.map { try SealedSegment(path: $0.path, base: $0.base).endSequence } ?? 0
            try Self.createSegment(directory, base: base)
            segments = try directory.segments()
        }
        let last = segments[segments.count - 1]
        let file = try OwnedFile.open(last.path, flags: O_RDWR | O_APPEND)
        report.segment = last.path
        let cursor = try SegmentCursor(file: file, verifyPayload: true)
        try cursor.checkBase(last.base)
        switch try cursor.readToEnd(isActive: true, { _ in }) {
        case .clean:
            break
        case .unfinished(let at, let reason):
            // An incomplete last frame: a write that never finished, never acknowledged.
            report.bytesDropped += cursor.fileLength - at
            report.truncatedAt = at
            report.reason = report.reason.map { $0 + "; then " + reason } ?? reason
            try file.truncate(to: at)
        case .damaged(let error):
            var refused = error
            refused.message += "; refusing to open for writing (run `torqlog verify`)"
            throw refused
        }
        // What is in the segment now is what this writer reports as durable:
        // make it so (a crashed writer may have left records only in the page cache).
        try file.syncData()
        self.file = file
        self.base = last.base
        self.size = cursor.offset
        self.nextSequence = cursor.expectedSequence
        self.closedSegments = segments.dropLast().filter { $0.kind == .wal }
        self.report = report
    }

    /// Creates an empty segment crash-safely: temporary name, fdatasync, rename, fsync directory.
    static func createSegment(_ directory: StoreDirectory, base: UInt64) throws {
        let name = directory.file(SegmentName.wal(base))
        let tmp = name + ".tmp"
        let file = try OwnedFile.open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try SegmentHeader(baseSequence: base).encoded().withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try file.close()
        try Filesystem.rename(tmp, name)
        try Filesystem.syncDirectory(directory.path)
    }
}
