#if canImport(Glibc)
import Glibc
#endif

/// Rewrites sealed segments: retention by age and size, merging small
/// segments, and erasing one run everywhere (FORMAT.md §8).
///
/// Retention (by age or size) never removes a record that a cursor
/// (``StoreCursor``, a `torqlog forward` stream) has not passed: such records
/// are kept and counted in ``Report/recordsKeptForCursors``, with the cursors
/// that hold them. Erasing a run is the user's explicit choice and is not held back.
///
/// Every rewrite is crash-safe, Kafka's way: the new segment is written under
/// a temporary name, synced, renamed over the old one and the directory
/// synced, so a crash leaves the old segment or the new one, never neither.
/// A compactor needs the writer lock: make one from an open `LogWriter`.
/// It only touches sealed segments; the writer keeps appending to the active WAL.
public struct Compactor {
    /// What a compaction did.
    public struct Report: Sendable {
        /// Segments deleted whole.
        public var segmentsDeleted = 0
        /// Segments rewritten (without some records, or merged).
        public var segmentsRewritten = 0
        /// Records removed.
        public var recordsRemoved = 0
        /// Bytes of segment files before and after.
        public var bytesBefore: Int64 = 0
        public var bytesAfter: Int64 = 0
        /// Records retention would have removed but kept, because a cursor (``StoreCursor``) has not passed them.
        public var recordsKeptForCursors = 0
        /// The cursors that kept them.
        public var cursorsHolding: [String] = []
    }

    /// The lowest cursor of the store and the names of the cursors at it; nil without cursors.
    /// Retention keeps every record at or above it: nothing a forward stream has not delivered is deleted.
    private func cursorFloor() throws -> (sequence: UInt64, names: [String])? {
        let cursors = try StoreCursor.all(in: directory)
        guard let low = cursors.map(\.sequence).min() else { return nil }
        return (low, cursors.filter { $0.sequence == low }.map(\.name))
    }

    let directory: StoreDirectory

    /// A compactor for the store `writer` has open (and locked).
    public init(writer: LogWriter) {
        directory = writer.directory
    }

    init(directory: StoreDirectory) {
        self.directory = directory
    }

    /// The sealed segments before the first WAL segment, oldest first. Only
    /// these are compacted: a closed WAL segment that failed to seal sits
    /// between older and newer sealed ones, and deleting or merging across it
    /// would break the chain of segments (FORMAT.md §1).
    /// (`allSealed`: every sealed segment, for rewrites that keep each
    /// segment's range, such as dropping a run.)
    private func sealedSegments(allSealed: Bool = false) throws -> [SealedSegment] {
        let listing = try SegmentChain.withoutLeftovers(directory.segments()) {
            try SealedSegment(path: $0.path, base: $0.base).endSequence
        }.segments
        let chosen = allSealed ? listing.filter { $0.kind == .sealed } : Array(listing.prefix { $0.kind == .sealed })
        return try chosen.map { try SealedSegment(path: $0.path, base: $0.base) }
    }

    private func totalBytes() throws -> Int64 {
        try directory.segments().reduce(0) { $0 + (Filesystem.fileSize($1.path) ?? 0) }
    }

    /// Removes records older than `cutoff` (event time, nanoseconds): whole
    /// segments whose every record is older go; a segment that straddles the
    /// cutoff is rewritten without its expired records. Records without an
    /// event time never expire by age.
    public func removeRecords(olderThan cutoff: Int64) throws -> Report {
        var report = Report()
        report.bytesBefore = try totalBytes()
        // Whole-segment deletion only from the oldest end (and before any WAL
        // segment), so segments stay contiguous; rewrites keep a segment's range.
        let deletable = Set(try sealedSegments().map(\.base))
        let floor = try cursorFloor()
        var prefix = true
        for s in try sealedSegments(allSealed: true) {
            let idx = s.index
            let expiresWhole = idx.recordCount == 0 || (idx.recordsWithoutTime == 0 && idx.maxTime < cutoff)
            let passed = floor.map { s.endSequence <= $0.sequence } ?? true
            if prefix && expiresWhole && deletable.contains(s.base) && passed {
                try Filesystem.remove(s.path)
                try Filesystem.syncDirectory(directory.path)
                report.segmentsDeleted += 1
                report.recordsRemoved += Int(idx.recordCount)
                continue
            }
            prefix = false
            // Nothing with a time, or nothing old enough: keep the segment as it is.
            guard idx.minTime <= idx.maxTime, idx.minTime < cutoff else { continue }
            var kept = 0
            let removed = try rewrite(s) { _, time, sequence in
                if time.map({ $0 >= cutoff }) ?? true { return true }
                guard let floor, sequence >= floor.sequence else { return false }
                kept += 1
                return true
            }
            if removed > 0 { report.segmentsRewritten += 1; report.recordsRemoved += removed }
            if kept > 0 {
                report.recordsKeptForCursors += kept
                report.cursorsHolding = floor?.names ?? []
            }
        }
        report.bytesAfter = try totalBytes()
        return report
    }

    /// Deletes the oldest sealed segments until the store takes at most `maxBytes` on disk
    /// (never the WAL segments; granularity: one segment).
    public func trim(toBytes maxBytes: Int64) throws -> Report {
        var report = Report()
        report.bytesBefore = try totalBytes()
        var total = report.bytesBefore
        let floor = try cursorFloor()
        for s in try sealedSegments() where total > maxBytes {
            if let floor, s.endSequence > floor.sequence {
                // A cursor has not passed this segment: it stays, and so do the newer ones.
                report.recordsKeptForCursors += Int(s.endSequence - max(s.base, floor.sequence))
                report.cursorsHolding = floor.names
                break
            }
            let size = s.fileLength
            try Filesystem.remove(s.path)
            try Filesystem.syncDirectory(directory.path)
            total -= size
            report.segmentsDeleted += 1
            report.recordsRemoved += Int(s.index.recordCount)
        }
        report.bytesAfter = try totalBytes()
        return report
    }

    /// Erases every record of run `runKey` from every sealed segment (seal the
    /// WAL first: `LogWriter.sealAll()`), then scans the store to prove it is gone.
    public func dropRun(_ runKey: String) throws -> Report {
        var report = Report()
        report.bytesBefore = try totalBytes()
        let key = Array(runKey.utf8)
        for s in try sealedSegments(allSealed: true) where try !s.blocks(ofRun: key).isEmpty {
            let removed = try rewrite(s) { run, _, _ in run.map { !$0.elementsEqual(key) } ?? true }
            report.recordsRemoved += removed
            report.segmentsRewritten += 1
        }
        var left = 0
        try StoreReader(directory: directory).forEach(RecordFilter(runKey: runKey)) { _ in left += 1; return true }
        guard left == 0 else {
            throw StoreError(.io, path: directory.path, "run \(runKey) still has \(left) records after dropping it (are they in the active WAL segment?)")
        }
        report.bytesAfter = try totalBytes()
        return report
    }

    /// Merges runs of adjacent sealed segments smaller than `targetBytes` into
    /// segments of about `targetBytes`.
    public func merge(targetBytes: Int64) throws -> Report {
        var report = Report()
        report.bytesBefore = try totalBytes()
        var group: [SealedSegment] = []
        var groupBytes: Int64 = 0
        func flush() throws {
            defer { group.removeAll(); groupBytes = 0 }
            guard group.count > 1, let first = group.first, let last = group.last else { return }
            let tmp = first.path + ".tmp"
            let writer = SealedSegmentWriter(path: tmp, firstSequence: first.base)
            try writer.open()
            for s in group {
                try s.forEachRecord { r, flags in
                    try writer.add(sequence: r.sequence, payload: r.payload, run: r.runKey, type: r.type, flags: flags, time: r.time ?? 0)
                }
            }
            _ = try writer.finish(endSequence: last.endSequence)
            try Filesystem.rename(tmp, first.path)
            try Filesystem.syncDirectory(directory.path)
            try SealPoint.reached(.compactionRenamed)
            // The merged segment now covers the others: they are redundant, remove them.
            for s in group.dropFirst() { try Filesystem.remove(s.path) }
            try Filesystem.syncDirectory(directory.path)
            report.segmentsRewritten += 1
            report.segmentsDeleted += group.count - 1
        }
        for s in try sealedSegments() {
            if s.fileLength >= targetBytes || groupBytes + s.fileLength > targetBytes { try flush() }
            if s.fileLength < targetBytes {
                group.append(s)
                groupBytes += s.fileLength
            }
        }
        try flush()
        report.bytesAfter = try totalBytes()
        return report
    }

    /// Removes sealed segments wholly covered by an earlier one (left by a merge interrupted
    /// after its rename; FORMAT.md §8.2); returns how many.
    static func removeCoveredSegments(_ directory: StoreDirectory) throws -> Int {
        let leftovers = try SegmentChain.withoutLeftovers(directory.segments()) {
            try SealedSegment(path: $0.path, base: $0.base).endSequence
        }.leftovers
        for segment in leftovers { try Filesystem.remove(segment.path) }
        if !leftovers.isEmpty { try Filesystem.syncDirectory(directory.path) }
        return leftovers.count
    }

    /// Rewrites `s` keeping the records `keep(run, time, sequence)` accepts; returns how many were removed.
    private func rewrite(_ s: SealedSegment, keep: (UnsafeRawBufferPointer?, Int64?, UInt64) -> Bool) throws -> Int {
        let tmp = s.path + ".tmp"
        let writer = SealedSegmentWriter(path: tmp, firstSequence: s.base)
        try writer.open()
        var removed = 0
        try s.forEachRecord { r, flags in
            if keep(r.runKey, r.time, r.sequence) {
                try writer.add(sequence: r.sequence, payload: r.payload, run: r.runKey, type: r.type, flags: flags, time: r.time ?? 0)
            } else {
                removed += 1
            }
        }
        guard removed > 0 else {
            try writer.abandon()
            return 0
        }
        _ = try writer.finish(endSequence: s.endSequence)
        try SealPoint.reached(.compactionWritten)
        try Filesystem.rename(tmp, s.path)
        try Filesystem.syncDirectory(directory.path)
        try SealPoint.reached(.compactionRenamed)
        return removed
    }
}
