/// Reads a store without locking it: a snapshot of the segments present when
/// it was created, and of the records they hold when each is read.
///
/// Sealed segments are read block by block through their index (only the
/// blocks that can hold what a filter asks for); WAL segments frame by frame.
/// Every record it returns passed its checksums. A partial frame at the end
/// of the last segment (a write in progress) ends the data; anything else that
/// fails a check is thrown as `StoreError(.corruption)` with file and offset.
/// Memory stays bounded by one block or one read chunk, whatever the store's size.
public final class StoreReader {
    /// The store being read.
    public let directory: StoreDirectory
    /// The segments, by base sequence.
    public let segments: [SegmentFileName]
    private var sealedCache: [UInt64: SealedSegment] = [:]
    private var block: DecodedBlock?

    /// Bytes of segment data read so far (frames, blocks, indexes), for measurements.
    public private(set) var bytesRead: Int64 = 0

    /// Opens `directory` for reading: lists its segments, reads no data.
    public init(directory: StoreDirectory) throws {
        try directory.requireExisting()
        self.directory = directory
        self.segments = try directory.segments()
    }

    /// Reads one segment file on its own (a `.wal` or sealed `.lz4` file named
    /// by its base sequence, e.g. given on a command line), verified, in order.
    public static func forEach(segmentFile path: String, _ filter: RecordFilter = RecordFilter(),
                               _ body: (RecordView) throws -> Bool) throws {
        let name = String(path.split(separator: "/").last ?? "")
        let dir = Filesystem.parentPath(of: path)
        let reader = try StoreReader(directory: StoreDirectory(dir.isEmpty ? "." : dir), only: name)
        try reader.forEach(filter, body)
    }

    private init(directory: StoreDirectory, only name: String) throws {
        self.directory = directory
        if let base = SealedFormat.parseName(name) {
            segments = [SegmentFileName(base: base, path: directory.file(name), kind: .sealed)]
        } else if let base = SegmentName.parseWAL(name) {
            segments = [SegmentFileName(base: base, path: directory.file(name), kind: .wal)]
        } else {
            throw StoreError(.invalidArgument, path: directory.file(name),
                             "not a segment file name (20 digits followed by .wal or .lz4)")
        }
    }

    /// The open sealed segment `seg` (trailer and index read once).
    func sealed(_ seg: SegmentFileName) throws -> SealedSegment {
        if let s = sealedCache[seg.base] { return s }
        let s = try SealedSegment(path: seg.path, base: seg.base)
        bytesRead += Int64(s.index.blocks.count * SealedFormat.blockEntrySize + SealedFormat.trailerSize)
        sealedCache[seg.base] = s
        return s
    }

    /// Opens a segment as listed; a WAL segment sealed since the listing is found under its sealed name.
    private func open(_ i: Int) throws -> Opened {
        let seg = segments[i]
        if seg.kind == .sealed { return .sealed(try sealed(seg)) }
        do {
            let cursor = try SegmentCursor(path: seg.path, verifyPayload: true)
            try checkHeader(cursor, seg)
            return .wal(cursor)
        } catch let e as StoreError where e.kind == .io && !Filesystem.exists(seg.path) {
            let sealedName = SegmentFileName(base: seg.base, path: directory.file(SealedFormat.name(seg.base)), kind: .sealed)
            guard Filesystem.exists(sealedName.path) else { throw e }
            return .sealed(try sealed(sealedName))
        }
    }

    private enum Opened {
        case wal(SegmentCursor)
        case sealed(SealedSegment)
    }

    private func decodedBlock() throws -> DecodedBlock {
        if let block { return block }
        let b = try DecodedBlock()
        block = b
        return b
    }

    /// Calls `body` with every record matching `filter`, in sequence order.
    /// `body` returns false to stop early.
    public func forEach(_ filter: RecordFilter = RecordFilter(), _ body: (RecordView) throws -> Bool) throws {
        var expected: UInt64?
        for i in segments.indices {
            let seg = segments[i]
            if try isCovered(i, after: expected) { continue }
            try checkContiguous(expected, seg)
            switch try open(i) {
            case .sealed(let s):
                let block = try decodedBlock()
                for b in s.candidateBlocks(filter) {
                    try s.read(block: b, into: block)
                    bytesRead += Int64(block.bytesRead)
                    if try !block.forEach(filter, segment: seg.base, body) { return }
                }
                expected = s.endSequence
            case .wal(let cursor):
                if filter.runKey != nil {
                    // Locate the run's frames from headers alone, then read only those.
                    var found: [FrameLocation] = []
                    expected = try scanHeaders(i) { f in
                        if filter.matches(f) { found.append(FrameLocation(segment: seg.base, offset: f.offset, sequence: f.sequence)) }
                    }
                    if try !read(found, in: cursor, body) { return }
                    continue
                }
                while true {
                    let step = try cursor.next()
                    guard case .frame(let f) = step else {
                        try checkEnd(step, seg, isLast: i == segments.count - 1)
                        break
                    }
                    bytesRead += Int64(f.header.frameLength)
                    if filter.matches(f) { if try !body(RecordView(f, segment: seg.base)) { return } }
                }
                expected = cursor.expectedSequence
            }
        }
    }

    /// Reads the WAL frames at `locations` (ascending, all in `cursor`'s segment), verifying each.
    private func read(_ locations: [FrameLocation], in cursor: SegmentCursor, _ body: (RecordView) throws -> Bool) throws -> Bool {
        for loc in locations {
            cursor.seek(to: loc.offset, sequence: loc.sequence)
            switch try cursor.next() {
            case .frame(let f):
                bytesRead += Int64(f.header.frameLength)
                if try !body(RecordView(f, segment: loc.segment)) { return false }
            case .end, .zeroTail:
                throw StoreError(.corruption, path: cursor.path, offset: loc.offset, "indexed frame is missing")
            case .partial(let at, let reason), .corrupt(let at, let reason):
                throw StoreError(.corruption, path: cursor.path, offset: at, reason)
            }
        }
        return true
    }

    /// Calls `body` with the last `count` records matching `filter`, oldest first.
    /// Reads segments (and sealed blocks) from the end backwards until it has them.
    public func last(_ count: Int, _ filter: RecordFilter = RecordFilter(), _ body: (RecordView) throws -> Bool) throws {
        guard count > 0 else { return }
        var kept: [OwnedRecord] = []  // newest first
        segments: for i in segments.indices.reversed() {
            let seg = segments[i]
            switch try open(i) {
            case .sealed(let s):
                let block = try decodedBlock()
                for b in s.candidateBlocks(filter).reversed() {
                    try s.read(block: b, into: block)
                    bytesRead += Int64(block.bytesRead)
                    var here: [OwnedRecord] = []
                    _ = try block.forEach(filter, segment: seg.base) { here.append(OwnedRecord($0)); return true }
                    kept.append(contentsOf: here.reversed())
                    if kept.count >= count { break segments }
                }
            case .wal(let cursor):
                var found: [FrameLocation] = []
                try scanHeaders(i) { f in
                    if filter.matches(f) { found.append(FrameLocation(segment: seg.base, offset: f.offset, sequence: f.sequence)) }
                }
                var here: [OwnedRecord] = []
                _ = try read(Array(found.suffix(count - kept.count)), in: cursor) { here.append(OwnedRecord($0)); return true }
                kept.append(contentsOf: here.reversed())
                if kept.count >= count { break segments }
            }
        }
        for r in kept.prefix(count).reversed() {
            if try !r.withView(body) { return }
        }
    }

    /// The locations of the WAL frames matching `filter`, from headers alone (sealed segments are skipped).
    func locate(_ filter: RecordFilter) throws -> [FrameLocation] {
        var found: [FrameLocation] = []
        for i in segments.indices where segments[i].kind == .wal {
            let base = segments[i].base
            try scanHeaders(i) { f in
                if filter.matches(f) { found.append(FrameLocation(segment: base, offset: f.offset, sequence: f.sequence)) }
            }
        }
        return found
    }

    /// Where the next record will be once written: after the last segment's valid records.
    public func endPosition() throws -> StorePosition {
        guard let last = segments.last else { return StorePosition(segment: 0, offset: Int64(SegmentHeader.size), sequence: 0) }
        if case .sealed(let s) = try open(segments.count - 1) {
            return StorePosition(segment: s.endSequence, offset: Int64(SegmentHeader.size), sequence: s.endSequence)
        }
        var end = StorePosition(segment: last.base, offset: Int64(SegmentHeader.size), sequence: last.base)
        try scanHeaders(segments.count - 1) { f in
            end = StorePosition(segment: last.base, offset: f.offset + Int64(f.header.frameLength), sequence: f.sequence + 1)
        }
        return end
    }

    /// Walks the frame headers of WAL segment `i` (header checksums only); returns
    /// the sequence number after its last frame.
    @discardableResult
    func scanHeaders(_ i: Int, _ body: (FrameView) throws -> Void) throws -> UInt64 {
        let segment = segments[i]
        let cursor = try SegmentCursor(path: segment.path, verifyPayload: false)
        try checkHeader(cursor, segment)
        while true {
            let step = try cursor.next()
            guard case .frame(let f) = step else {
                try checkEnd(step, segment, isLast: i == segments.count - 1)
                return cursor.expectedSequence
            }
            bytesRead += Int64(FrameHeader.size + Int(f.header.runLength) + Int(f.header.typeLength))
            try body(f)
        }
    }

    /// Returns when `step` (not a frame) is a legitimate end of `segment`'s
    /// data: the end of the file, or, for the last segment only, a frame still
    /// being written. Throws the corruption otherwise.
    private func checkEnd(_ step: SegmentCursor.Step, _ segment: SegmentFileName, isLast: Bool) throws {
        switch step {
        case .frame, .end: return
        case .partial(let at, let reason):
            if isLast { return }
            throw StoreError(.corruption, path: segment.path, offset: at, reason + " in a closed segment")
        case .corrupt(let at, let reason):
            throw StoreError(.corruption, path: segment.path, offset: at, reason)
        case .zeroTail(let at):
            if isLast { return }
            throw StoreError(.corruption, path: segment.path, offset: at, "zero-filled bytes in a closed segment")
        }
    }

    /// A WAL segment's header must name the base sequence its file name says.
    private func checkHeader(_ cursor: SegmentCursor, _ segment: SegmentFileName) throws {
        guard cursor.header.baseSequence == segment.base else {
            throw StoreError(.corruption, path: segment.path, offset: 16,
                             "segment header says base sequence \(cursor.header.baseSequence), file name says \(segment.base)")
        }
    }

    /// A sealed segment wholly below `expected` is the leftover of an interrupted
    /// merge (FORMAT.md §8): its records are in the merged segment before it.
    private func isCovered(_ i: Int, after expected: UInt64?) throws -> Bool {
        guard let expected, segments[i].kind == .sealed, segments[i].base < expected else { return false }
        return try sealed(segments[i]).endSequence <= expected
    }

    /// Segments must follow each other without a gap (FORMAT.md §1).
    private func checkContiguous(_ expected: UInt64?, _ segment: SegmentFileName) throws {
        guard let expected, expected != segment.base else { return }
        throw StoreError(.corruption, path: segment.path, offset: 0,
                         "segment starts at sequence \(segment.base) but the previous segment ends before \(expected): records are missing or duplicated")
    }

    /// Per-segment summaries from headers and indexes (sealed data is not read).
    func summaries(_ body: (SegmentFileName, SegmentSummary) throws -> Void) throws {
        for i in segments.indices {
            switch try open(i) {
            case .sealed(let s):
                try body(segments[i], .sealed(s))
            case .wal:
                try body(segments[i], .wal)
            }
        }
    }

    enum SegmentSummary {
        case wal
        case sealed(SealedSegment)
    }
}

/// A copy of a record, for readers that must hold records past their callback.
struct OwnedRecord {
    var sequence: UInt64
    var time: Int64?
    var runKey: [UInt8]?
    var type: [UInt8]?
    var payload: [UInt8]
    var location: FrameLocation

    init(_ r: RecordView) {
        sequence = r.sequence
        time = r.time
        runKey = r.runKey.map(Array.init)
        type = r.type.map(Array.init)
        payload = Array(r.payload)
        location = r.location
    }

    func withView<R>(_ body: (RecordView) throws -> R) rethrows -> R {
        try withOptionalBytes(runKey) { run in
            try withOptionalBytes(type) { t in
                try payload.withUnsafeBytes { p in
                    try body(RecordView(sequence: sequence, time: time, runKey: run, type: t, payload: p, location: location))
                }
            }
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
