/// Reads a store without locking it: a snapshot of the segments present when
/// it was created, and of the records they hold when each is read.
///
/// Every record it returns passed its checksums. A partial frame at the end of
/// the last segment (a write in progress) ends the data; anything else that
/// fails a check is thrown as `StoreError(.corruption)` with segment and offset.
public final class StoreReader {
    /// The store being read.
    public let directory: StoreDirectory
    /// The WAL segments, by base sequence.
    public let segments: [SegmentFileName]

    /// Opens `directory` for reading: lists its segments, reads no data.
    public init(directory: StoreDirectory) throws {
        try directory.requireExisting()
        self.directory = directory
        self.segments = try directory.walSegments()
    }

    /// Calls `body` with every record matching `filter`, in sequence order.
    /// `body` returns false to stop early.
    public func forEach(_ filter: RecordFilter = RecordFilter(), _ body: (RecordView) throws -> Bool) throws {
        if filter.runKey != nil {
            // Locate the run's frames from headers alone, then read only those.
            let locations = try locate(filter)
            try read(locations, body)
            return
        }
        var expected: UInt64?
        for (i, segment) in segments.enumerated() {
            let cursor = try SegmentCursor(path: segment.path, verifyPayload: true)
            try checkName(cursor, segment)
            try checkContiguous(expected, segment)
            while true {
                switch try cursor.next() {
                case .frame(let f):
                    if filter.matches(f) { if try !body(RecordView(f, segment: segment.base)) { return } }
                    continue
                case .end: break
                case .partial(let at, let reason):
                    // Only the last segment may end in a frame still being written.
                    if i == segments.count - 1 { break }
                    throw StoreError(.corruption, path: segment.path, offset: at, reason + " in a closed segment")
                case .corrupt(let at, let reason):
                    throw StoreError(.corruption, path: segment.path, offset: at, reason)
                case .zeroTail(let at):
                    if i == segments.count - 1 { break }
                    throw StoreError(.corruption, path: segment.path, offset: at, "zero-filled bytes in a closed segment")
                }
                break
            }
            expected = cursor.expectedSequence
        }
    }

    /// The locations of the records matching `filter`, in sequence order, from a
    /// header-only scan (payloads are neither read nor checksummed here).
    public func locate(_ filter: RecordFilter, lastSegmentsFirst: Bool = false, limit: Int? = nil) throws -> [FrameLocation] {
        var found: [[FrameLocation]] = []
        var total = 0
        let order = lastSegmentsFirst ? Array(segments.indices.reversed()) : Array(segments.indices)
        var previousEnd: UInt64?
        for i in order {
            let segment = segments[i]
            var here: [FrameLocation] = []
            let end = try scanHeaders(i) { f in
                if filter.matches(f) { here.append(FrameLocation(segment: segment.base, offset: f.offset, sequence: f.sequence)) }
            }
            if lastSegmentsFirst {
                // Scanning backwards: this segment must end where the one after it starts.
                if i + 1 < segments.count { try checkContiguous(end, segments[i + 1]) }
            } else {
                try checkContiguous(previousEnd, segment)
                previousEnd = end
            }
            total += here.count
            found.append(here)
            if let limit, total >= limit { break }
        }
        var all = (lastSegmentsFirst ? found.reversed() : found).flatMap { $0 }
        if let limit, all.count > limit { all.removeFirst(all.count - limit) }
        return all
    }

    /// Reads the records at `locations` (ascending), verifying each frame's checksum.
    public func read(_ locations: [FrameLocation], _ body: (RecordView) throws -> Bool) throws {
        var cursor: SegmentCursor?
        var cursorBase: UInt64?
        for loc in locations {
            if cursorBase != loc.segment {
                guard let seg = segments.first(where: { $0.base == loc.segment }) else {
                    throw StoreError(.notFound, "segment \(SegmentName.wal(loc.segment)) is gone")
                }
                cursor = try SegmentCursor(path: seg.path, verifyPayload: true, chunkSize: 256 << 10)
                cursorBase = loc.segment
            }
            guard let c = cursor else { continue }
            c.seek(to: loc.offset, sequence: loc.sequence)
            switch try c.next() {
            case .frame(let f):
                if try !body(RecordView(f, segment: loc.segment)) { return }
            case .end, .zeroTail:
                throw StoreError(.corruption, path: c.path, offset: loc.offset, "indexed frame is missing")
            case .partial(let at, let reason), .corrupt(let at, let reason):
                throw StoreError(.corruption, path: c.path, offset: at, reason)
            }
        }
    }

    /// The last `count` records matching `filter`, oldest first.
    public func last(_ count: Int, _ filter: RecordFilter = RecordFilter(), _ body: (RecordView) throws -> Bool) throws {
        guard count > 0 else { return }
        try read(try locate(filter, lastSegmentsFirst: true, limit: count), body)
    }

    /// Where the next record will be once written: the end of the last segment's valid frames.
    public func endPosition() throws -> StorePosition {
        guard let last = segments.last else { return StorePosition(segment: 0, offset: Int64(SegmentHeader.size), sequence: 0) }
        var end = StorePosition(segment: last.base, offset: Int64(SegmentHeader.size), sequence: last.base)
        try scanHeaders(segments.count - 1) { f in
            end = StorePosition(segment: last.base, offset: f.offset + Int64(f.header.frameLength), sequence: f.sequence + 1)
        }
        return end
    }

    /// Walks the frame headers of segment `i` (header checksums only); returns
    /// the sequence number after its last frame.
    @discardableResult
    func scanHeaders(_ i: Int, _ body: (FrameView) throws -> Void) throws -> UInt64 {
        let segment = segments[i]
        let cursor = try SegmentCursor(path: segment.path, verifyPayload: false)
        try checkName(cursor, segment)
        while true {
            switch try cursor.next() {
            case .frame(let f): try body(f)
            case .end: return cursor.expectedSequence
            case .partial(let at, let reason):
                if i == segments.count - 1 { return cursor.expectedSequence }
                throw StoreError(.corruption, path: segment.path, offset: at, reason + " in a closed segment")
            case .corrupt(let at, let reason):
                throw StoreError(.corruption, path: segment.path, offset: at, reason)
            case .zeroTail(let at):
                if i == segments.count - 1 { return cursor.expectedSequence }
                throw StoreError(.corruption, path: segment.path, offset: at, "zero-filled bytes in a closed segment")
            }
        }
    }

    /// Segments must follow each other without a gap (FORMAT.md §1).
    private func checkContiguous(_ expected: UInt64?, _ segment: SegmentFileName) throws {
        guard let expected, expected != segment.base else { return }
        throw StoreError(.corruption, path: segment.path, offset: 0,
                         "segment starts at sequence \(segment.base) but the previous segment ends before \(expected): records are missing or duplicated")
    }

    private func checkName(_ cursor: SegmentCursor, _ segment: SegmentFileName) throws {
        guard cursor.header.baseSequence == segment.base else {
            throw StoreError(.corruption, path: segment.path, offset: 16,
                             "segment header says base sequence \(cursor.header.baseSequence), file name says \(segment.base)")
        }
    }
}

/// A place in the log: a segment, a byte offset in it, and the sequence number found there.
public struct StorePosition: Sendable, Hashable {
    /// Base sequence of the segment.
    public var segment: UInt64
    /// Byte offset in the segment file.
    public var offset: Int64
    /// Sequence number of the record at that offset.
    public var sequence: UInt64
}
