/// Reads a store without locking it: a snapshot of the segments present when
/// it was created, and of the records they hold when each is read.
///
/// Sealed segments are read through their index: a run filter reads the run's
/// blocks only (version 3: one run page and those blocks' entries, then the
/// blocks, whose records of the run are already in sequence order); any other
/// read decompresses one group at a time and returns its records in sequence
/// order (FORMAT.md §7.4). WAL segments are read frame by frame.
/// Every record it returns passed its checksums. A partial frame at the end
/// of the last segment (a write in progress) ends the data; anything else that
/// fails a check is thrown as `StoreError(.corruption)` with file and offset.
/// Memory stays bounded by one group of a sealed segment (16 MiB of JSONL as
/// sealing writes them), one block, or one read chunk, whatever the store's size.
public final class StoreReader {
    /// The store being read.
    public let directory: StoreDirectory
    /// The segments, by base sequence.
    public let segments: [SegmentFile]
    private var sealedCache: [UInt64: SealedSegment] = [:]
    private var block: DecodedBlock?
    private var group: DecodedGroup?

    /// Bytes of segment data read so far (frames, blocks, the parts of indexes read), for measurements.
    public var bytesRead: Int64 { dataBytesRead + sealedCache.values.reduce(0) { $0 + $1.indexBytesRead } }
    private var dataBytesRead: Int64 = 0
    /// Sealed blocks read (and decompressed) so far, for measurements.
    public private(set) var blocksRead = 0

    /// Opens `directory` for reading: lists its segments, reads no data.
    public init(directory: StoreDirectory) throws {
        try directory.requireExisting()
        self.directory = directory
        self.segments = try directory.segments()
        self.lastBase = segments.last?.base
    }

    /// The base of the directory's last segment, the active one when it is a WAL segment.
    private let lastBase: UInt64?
    /// The end sequence of the last segment ``forEach(_:_:)`` read to its end.
    private var lastEnd: UInt64?

    /// Reads one segment file on its own (a `.wal` or sealed `.lz4` file named
    /// by its base sequence, e.g. given on a command line), verified, in order.
    ///
    /// The file counts as the active segment (where a partial tail is "not
    /// written yet", not damage) when no segment after it is in its directory.
    /// - Returns: the segment's end sequence (FORMAT.md §1), for a caller
    ///   checking contiguity; nil when `body` stopped early.
    @discardableResult
    public static func forEach(segmentFile path: String, _ filter: RecordFilter = RecordFilter(),
                               _ body: (RecordView) throws -> Bool) throws -> UInt64? {
        let name = String(path.split(separator: "/").last ?? "")
        let dir = Filesystem.parentPath(of: path)
        let reader = try StoreReader(directory: StoreDirectory(dir.isEmpty ? "." : dir), only: name)
        var completed = true
        try reader.forEach(filter) { r in
            let goOn = try body(r)
            if !goOn { completed = false }
            return goOn
        }
        return completed ? reader.lastEnd : nil
    }

    /// How many blocks the sealed segment file `path` has, which a scan may
    /// read on different threads with ``SealedBlockReader``, and its end
    /// sequence. Reading it checks the segment's whole index (every block
    /// entry and run page), as a full read of the segment does.
    package static func sealedBlocks(segmentFile path: String) throws -> (count: Int, endSequence: UInt64) {
        let s = try SealedSegment(path: path)
        try s.checkWholeIndex()
        return (s.blockCount, s.endSequence)
    }

    private init(directory: StoreDirectory, only name: String) throws {
        self.directory = directory
        self.lastBase = try directory.segments().last?.base
        if let base = SegmentName.parseSealed(name) {
            segments = [SegmentFile(base: base, path: directory.file(name), kind: .sealed)]
        } else if let base = SegmentName.parseWAL(name) {
            segments = [SegmentFile(base: base, path: directory.file(name), kind: .wal)]
        } else {
            throw StoreError(.invalidArgument, path: directory.file(name),
                             "not a segment file name (20 digits followed by .wal or .lz4)")
        }
    }

    /// The open sealed segment `seg` (trailer and index read once).
    func sealed(_ seg: SegmentFile) throws -> SealedSegment {
        if let s = sealedCache[seg.base] { return s }
        let s = try SealedSegment(path: seg.path, base: seg.base)
        sealedCache[seg.base] = s
        return s
    }

    /// What identifies the content of the sealed segment `seg`, from its
    /// trailer and index (no data read): a file derived from the segment
    /// (such as a run summary) that records it is stale once it differs,
    /// e.g. after compaction rewrote or merged the segment.
    package func sealedIdentity(_ seg: SegmentFile) throws -> SealedSegmentIdentity {
        let s = try sealed(seg)
        return SealedSegmentIdentity(base: s.base, endSequence: s.endSequence, recordCount: s.index.recordCount,
                                     indexCRC: s.indexCRC, fileLength: s.fileLength)
    }

    /// The segments readers read: ``segments`` without the leftovers of an
    /// interrupted merge (FORMAT.md §8.2). Reads the sealed segments' indexes.
    public func readableSegments() throws -> [SegmentFile] {
        if let readable { return readable }
        let r = try SegmentChain.withoutLeftovers(segments) { try sealed($0).endSequence }.segments
        readable = r
        return r
    }
    private var readable: [SegmentFile]?

    /// Throws the first gap or overlap among segments already read, given
    /// with their end sequences (merge leftovers are skipped): the store's one
    /// contiguity rule, for readers that read segments on their own.
    package static func checkContiguous(_ spans: [(SegmentFile, UInt64)]) throws {
        try SegmentChain.check(spans.map { (segment: $0.0, end: $0.1) })
    }

    /// Opens a listed segment (a WAL segment sealed since the listing is found under its sealed name).
    private func open(_ seg: SegmentFile, verifyPayload: Bool = true) throws -> OpenedSegment {
        let opened = try OpenedSegment.open(directory, base: seg.base, verifyPayload: verifyPayload, sealed: sealed)
        guard let opened else {
            throw StoreError(.notFound, path: seg.path, "segment removed while reading (by retention, compaction or archive --move)")
        }
        return opened
    }

    private func decodedBlock() throws -> DecodedBlock {
        if let block { return block }
        let b = try DecodedBlock()
        block = b
        return b
    }

    private func decodedGroup() throws -> DecodedGroup {
        if let group { return group }
        let g = try DecodedGroup()
        group = g
        return g
    }

    /// Calls `body` with the records of sealed segment `s` matching `filter`,
    /// in sequence order; returns false when `body` stopped.
    private func forEach(in s: SealedSegment, _ filter: RecordFilter, _ body: (RecordView) throws -> Bool) throws -> Bool {
        if filter.runKey != nil {
            // A run's records, block after block, are in sequence order (FORMAT.md §7.4): read them as they come.
            let block = try decodedBlock()
            var last: UInt64?
            for b in try s.runBlocks(filter) {
                try s.read(block: b, into: block)
                dataBytesRead += Int64(block.bytesRead)
                blocksRead += 1
                let goOn = try block.forEach(filter, segment: s.base) { r in
                    if let last, r.sequence <= last {
                        throw StoreError(.corruption, path: s.path, offset: r.location.offset,
                                         "block \(b): the run's record \(r.sequence) comes after its record \(last)")
                    }
                    last = r.sequence
                    return try body(r)
                }
                if !goOn { return false }
            }
            return true
        }
        if filter.isEmpty { try s.checkWholeIndex() }
        let group = try decodedGroup()
        for g in s.groups.indices {
            let blocks = try s.candidateBlocks(ofGroup: g, filter)
            guard !blocks.isEmpty else { continue }
            try group.load(s, group: g, blocks: blocks)
            dataBytesRead += Int64(group.bytesRead)
            blocksRead += blocks.count
            if try !group.forEach(filter, segment: s.base, { r, _ in try body(r) }) { return false }
        }
        return true
    }

    /// Whether `seg` is the active segment: the last one, a WAL segment.
    private func isActive(_ seg: SegmentFile) -> Bool {
        seg.base == lastBase && seg.kind == .wal
    }

    /// Calls `body` with every record matching `filter`, in sequence order.
    /// `body` returns false to stop early.
    ///
    /// - Throws: `.corruption` for damage, a gap or an overlap between
    ///   segments (merge leftovers are skipped, FORMAT.md §8.2).
    public func forEach(_ filter: RecordFilter = RecordFilter(), _ body: (RecordView) throws -> Bool) throws {
        var chain = SegmentChain()
        for seg in segments {
            switch try chain.link(seg, sealedEnd: { try sealed(seg).endSequence }) {
            case .follows: break
            case .leftover: continue
            case .gap(let error), .overlap(let error): throw error
            }
            switch try open(seg) {
            case .sealed(let s):
                if try !forEach(in: s, filter, body) { return }
                chain.keep(seg, end: s.endSequence)
                lastEnd = s.endSequence
            case .wal(let cursor):
                if filter.runKey != nil {
                    // Locate the run's frames from headers alone, then read only those.
                    var found: [FrameLocation] = []
                    let end = try scanHeaders(seg) { f in
                        if filter.matches(f) { found.append(FrameLocation(segment: seg.base, offset: f.offset, sequence: f.sequence)) }
                    }
                    if try !read(found, in: cursor, body) { return }
                    chain.keep(seg, end: end)
                    lastEnd = end
                    continue
                }
                var stopped = false
                let end = try cursor.readToEnd(isActive: isActive(seg)) { f in
                    guard !stopped else { return }
                    dataBytesRead += Int64(f.header.frameLength)
                    if filter.matches(f), try !body(RecordView(f, segment: seg.base)) { stopped = true }
                }
                if stopped { return }
                try end.check()
                chain.keep(seg, end: cursor.expectedSequence)
                lastEnd = cursor.expectedSequence
            }
        }
    }

    /// Reads the WAL frames at `locations` (ascending, all in `cursor`'s segment), verifying each.
    private func read(_ locations: [FrameLocation], in cursor: SegmentCursor, _ body: (RecordView) throws -> Bool) throws -> Bool {
        for loc in locations {
            cursor.seek(to: loc.offset, sequence: loc.sequence)
            switch try cursor.next() {
            case .frame(let f):
                dataBytesRead += Int64(f.header.frameLength)
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
        segments: for seg in try readableSegments().reversed() {
            switch try open(seg) {
            case .sealed(let s) where filter.runKey != nil:
                let block = try decodedBlock()
                for b in try s.runBlocks(filter).reversed() {
                    try s.read(block: b, into: block)
                    dataBytesRead += Int64(block.bytesRead)
                    blocksRead += 1
                    var here: [OwnedRecord] = []
                    _ = try block.forEach(filter, segment: seg.base) { here.append(OwnedRecord($0)); return true }
                    kept.append(contentsOf: here.reversed())
                    if kept.count >= count { break segments }
                }
            case .sealed(let s):
                let group = try decodedGroup()
                for g in s.groups.indices.reversed() {
                    let blocks = try s.candidateBlocks(ofGroup: g, filter)
                    guard !blocks.isEmpty else { continue }
                    try group.load(s, group: g, blocks: blocks)
                    dataBytesRead += Int64(group.bytesRead)
                    blocksRead += blocks.count
                    var here: [OwnedRecord] = []
                    _ = try group.forEach(filter, segment: seg.base) { r, _ in here.append(OwnedRecord(r)); return true }
                    kept.append(contentsOf: here.suffix(count - kept.count).reversed())
                    if kept.count >= count { break segments }
                }
            case .wal(let cursor):
                var found: [FrameLocation] = []
                try scanHeaders(seg) { f in
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
        for seg in segments where seg.kind == .wal {
            try scanHeaders(seg) { f in
                if filter.matches(f) { found.append(FrameLocation(segment: seg.base, offset: f.offset, sequence: f.sequence)) }
            }
        }
        return found
    }

    /// Where the next record will be once written: after the last segment's valid records.
    public func endPosition() throws -> StorePosition {
        guard let last = segments.last else { return StorePosition(segment: 0, offset: Int64(SegmentHeader.size), sequence: 0) }
        if case .sealed(let s) = try open(last) {
            return StorePosition(segment: s.endSequence, offset: Int64(SegmentHeader.size), sequence: s.endSequence)
        }
        var end = StorePosition(segment: last.base, offset: Int64(SegmentHeader.size), sequence: last.base)
        try scanHeaders(last) { f in
            end = StorePosition(segment: last.base, offset: f.offset + Int64(f.header.frameLength), sequence: f.sequence + 1)
        }
        return end
    }

    /// Walks the frame headers of WAL segment `segment` (header checksums
    /// only); returns the sequence number after its last frame.
    @discardableResult
    func scanHeaders(_ segment: SegmentFile, _ body: (FrameView) throws -> Void) throws -> UInt64 {
        guard case .wal(let cursor) = try open(segment, verifyPayload: false) else {
            throw StoreError(.notFound, path: segment.path, "segment sealed while reading; read it again")
        }
        let end = try cursor.readToEnd(isActive: isActive(segment)) { f in
            dataBytesRead += Int64(FrameHeader.size + Int(f.header.runLength) + Int(f.header.typeLength))
            try body(f)
        }
        try end.check()
        return cursor.expectedSequence
    }

    /// Per-segment summaries from headers and indexes (sealed data is not read).
    func summaries(_ body: (SegmentFile, SegmentSummary) throws -> Void) throws {
        for seg in try readableSegments() {
            switch try open(seg, verifyPayload: false) {
            case .sealed(let s):
                try body(seg, .sealed(s))
            case .wal:
                try body(seg, .wal)
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

/// The identity of a sealed segment's content (see ``StoreReader/sealedIdentity(_:)``).
package struct SealedSegmentIdentity: Sendable, Hashable {
    /// The base sequence (its name).
    package var base: UInt64
    /// The index's `end_sequence`.
    package var endSequence: UInt64
    /// Records in the segment.
    package var recordCount: UInt64
    /// The trailer's `index_crc`.
    package var indexCRC: UInt32
    /// The file's size in bytes.
    package var fileLength: Int64

    package init(base: UInt64, endSequence: UInt64, recordCount: UInt64, indexCRC: UInt32, fileLength: Int64) {
        self.base = base
        self.endSequence = endSequence
        self.recordCount = recordCount
        self.indexCRC = indexCRC
        self.fileLength = fileLength
    }
}

extension StoreReader {
    /// Where a reader resuming at `sequence` starts: the position of that
    /// record (or of the first one after it, or the end of the store), and
    /// the first sequence the store still holds (above `sequence` when
    /// retention removed records the reader had not reached).
    public func position(resuming sequence: UInt64) throws -> (position: StorePosition, firstRetained: UInt64) {
        let readable = try readableSegments()
        guard let first = readable.first else {
            let end = try endPosition()
            return (end, end.sequence)
        }
        guard sequence > first.base else {
            return (StorePosition(segment: first.base, offset: Int64(SegmentHeader.size), sequence: first.base), first.base)
        }
        guard let holder = readable.last(where: { $0.base <= sequence }) else { return (try endPosition(), first.base) }
        switch try open(holder, verifyPayload: false) {
        case .sealed(let s):
            if sequence >= s.endSequence, holder == readable.last {
                return (StorePosition(segment: s.endSequence, offset: Int64(SegmentHeader.size), sequence: s.endSequence), first.base)
            }
            return (StorePosition(segment: holder.base, offset: Int64(SegmentHeader.size), sequence: sequence), first.base)
        case .wal:
            var found: StorePosition?
            var end = StorePosition(segment: holder.base, offset: Int64(SegmentHeader.size), sequence: holder.base)
            try scanHeaders(holder) { f in
                if found == nil, f.sequence >= sequence {
                    found = StorePosition(segment: holder.base, offset: f.offset, sequence: f.sequence)
                }
                end = StorePosition(segment: holder.base, offset: f.offset + Int64(f.header.frameLength), sequence: f.sequence + 1)
            }
            return (found ?? end, first.base)
        }
    }
}
