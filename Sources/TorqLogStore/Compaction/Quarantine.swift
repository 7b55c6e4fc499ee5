/// Moves damaged sealed segments out of a store into its `quarantine/`
/// folder, never deleting them, and leaves in each one's place an empty
/// sealed segment covering the same sequence range, so readers go on with
/// the rest and `verify` keeps reporting what was set aside.
public struct Quarantine {
    /// The folder, inside the store, that holds quarantined segments.
    public static let folderName = "quarantine"

    let directory: StoreDirectory

    /// Quarantine for the store `writer` has open (and locked).
    public init(writer: LogWriter) { directory = writer.directory }

    /// Quarantines the sealed segments with damage in `report`; returns their new paths.
    public func isolate(_ report: StoreVerifier.Report) throws -> [String] {
        let damaged = Set(report.problems.filter(\.isDamage).map(\.path))
        let segments = try directory.segments()
        var moved: [String] = []
        for (i, seg) in segments.enumerated() where seg.kind == .sealed && damaged.contains(seg.path) {
            // The range it covered: up to the next segment's start.
            let end = i + 1 < segments.count ? segments[i + 1].base : seg.base
            let folder = directory.file(Self.folderName)
            try Filesystem.makeDirectory(folder)
            let target = folder + "/" + SegmentName.sealed(seg.base)
            try Filesystem.rename(seg.path, target)
            let writer = SealedSegmentWriter(path: seg.path + ".tmp", firstSequence: seg.base)
            try writer.open()
            _ = try writer.finish(endSequence: end)
            try Filesystem.rename(seg.path + ".tmp", seg.path)
            try Filesystem.syncDirectory(folder)
            try Filesystem.syncDirectory(directory.path)
            moved.append(target)
        }
        return moved
    }

    /// Segment files currently in quarantine.
    public static func contents(_ directory: StoreDirectory) -> [String] {
        (try? Filesystem.list(directory.file(folderName)))?.sorted() ?? []
    }
}
