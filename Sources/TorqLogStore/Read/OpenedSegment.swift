/// A segment opened for reading: a WAL segment's cursor, or a sealed segment.
enum OpenedSegment {
    case wal(SegmentCursor)
    case sealed(SealedSegment)

    /// Opens the segment of `directory` whose base sequence is `base`: its
    /// sealed file when there is one, else its WAL file. A WAL file sealed
    /// (renamed to `.lz4`, then removed) between a listing and this call is
    /// found under its sealed name: the one place that handles that race.
    ///
    /// - Parameter sealed: opens a sealed segment (readers pass their cache).
    /// - Returns: nil when the segment has neither file (not created yet, or removed).
    static func open(_ directory: StoreDirectory, base: UInt64, verifyPayload: Bool = true,
                     chunkSize: Int = SegmentCursor.defaultChunk,
                     sealed: (SegmentFile) throws -> SealedSegment) throws -> OpenedSegment? {
        let sealedName = SegmentFile(base: base, path: directory.file(SegmentName.sealed(base)), kind: .sealed)
        if Filesystem.exists(sealedName.path) { return .sealed(try sealed(sealedName)) }
        let walPath = directory.file(SegmentName.wal(base))
        do {
            let cursor = try SegmentCursor(path: walPath, verifyPayload: verifyPayload, chunkSize: chunkSize)
            try cursor.checkBase(base)
            return .wal(cursor)
        } catch let e as StoreError where e.kind == .io && e.errno == .noSuchFileOrDirectory {
            // Sealed and removed since we looked, or never there.
            guard Filesystem.exists(sealedName.path) else { return nil }
            return .sealed(try sealed(sealedName))
        }
    }
}
