/// Turns a closed WAL segment into a sealed segment (FORMAT.md §7), crash-safely:
/// write `NAME.lz4.tmp`, fdatasync, rename to `NAME.lz4`, fsync the directory,
/// and only then remove the WAL segment (and fsync the directory again).
struct SegmentSealer {
    let directory: StoreDirectory
    var layout: SealLayout = .standard

    /// What sealing one segment did.
    struct Result: Sendable {
        var records: Int
        var jsonlBytes: Int64
        var sealedBytes: Int64
        var walBytes: Int64
        var path: String
    }

    /// Seals the WAL segment `wal`; the WAL file is removed afterwards.
    /// Throws (leaving the WAL untouched) if any frame of it fails a check.
    /// With `cancel` set, stops before the next record or block (throwing
    /// `SealCancelled`), its temporary file removed and the WAL segment kept.
    func seal(_ wal: SegmentFile, cancel: CancelFlag? = nil) throws -> Result {
        let cursor = try SegmentCursor(path: wal.path, verifyPayload: true)
        try cursor.checkBase(wal.base)
        let finalPath = directory.file(SegmentName.sealed(wal.base))
        let writer = SealedSegmentWriter(path: finalPath + ".tmp", firstSequence: wal.base, layout: layout, cancel: cancel)
        try writer.open()
        let summary: (records: Int, jsonlBytes: Int64, fileBytes: Int64)
        do {
            // Only closed segments are sealed: a torn tail here is damage (FORMAT.md §2.3).
            let end = try cursor.readToEnd(isActive: false) { f in
                if let cancel, cancel.isSet { throw SealCancelled() }
                try writer.add(sequence: f.sequence, payload: f.payload ?? UnsafeRawBufferPointer(start: nil, count: 0),
                               run: f.runKey, type: f.type, flags: f.header.flags, time: f.header.time)
            }
            try end.check()
            summary = try writer.finish(endSequence: cursor.expectedSequence)
        } catch {
            throw writer.abandon(after: error)
        }
        try Filesystem.rename(finalPath + ".tmp", finalPath)
        try Filesystem.syncDirectory(directory.path)
        try SealPoint.reached(.renamed)
        let walBytes = Filesystem.fileSize(wal.path) ?? 0
        try Filesystem.remove(wal.path)
        try Filesystem.syncDirectory(directory.path)
        return Result(records: summary.records, jsonlBytes: summary.jsonlBytes, sealedBytes: summary.fileBytes,
                      walBytes: walBytes, path: finalPath)
    }
}

/// Writes a sealed segment (version 3, FORMAT.md §7.4) from records given in
/// sequence order: it keeps one group of records in memory (at most about
/// `layout.groupBytes` of JSONL), writes the group's blocks clustered by run
/// once the group is full, and the index and trailer at ``finish(endSequence:)``.
final class SealedSegmentWriter {
    let path: String
    let firstSequence: UInt64
    let layout: SealLayout
    /// When set, the writer stops before its next block, throwing `SealCancelled`.
    let cancel: CancelFlag?
    private var file: OwnedFile?
    private var offset: UInt64 = 0
    private var group = RecordGroup()
    private var jsonl: [UInt8] = []
    private var keys = KeysTable()
    private var frame: [UInt8] = []
    private var packed: [UInt8] = []
    private var index: SealedIndex
    private var blocks: [SealedBlock] = []
    private var runs: [ByteKey: [UInt32]] = [:]
    private var types: [ByteKey: UInt64] = [:]
    private var lastSequence: UInt64?
    /// For the block being written: its number of each of the group's runs and types (-1: none yet).
    private var blockRun: [Int32] = []
    private var blockType: [Int32] = []

    init(path: String, firstSequence: UInt64, layout: SealLayout = .standard, cancel: CancelFlag? = nil) {
        self.path = path
        self.cancel = cancel
        self.firstSequence = firstSequence
        self.layout = layout
        index = SealedIndex(version: SealedFormat.version, blockCount: 0, groups: [], recordCount: 0, jsonlBytes: 0,
                            minTime: .max, maxTime: .min, firstSequence: firstSequence, endSequence: firstSequence)
    }

    func open() throws {
        file = try OwnedFile.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    }

    /// Adds one record (its sequence, payload and keys as a WAL frame has them); sequences must ascend.
    /// Writes the group's blocks when the group is full.
    func add(sequence: UInt64, payload: UnsafeRawBufferPointer, run: UnsafeRawBufferPointer?, type: UnsafeRawBufferPointer?,
             flags: FrameHeader.Flags, time: Int64) throws {
        guard sequence >= firstSequence, lastSequence.map({ sequence > $0 }) ?? true else {
            throw StoreError(.invalidArgument, path: path, "record sequence \(sequence) out of order")
        }
        // A group ends before a record that would take its JSONL above the group size (or its
        // sequences beyond what a u32 delta spans): only a lone record can make a group larger.
        if let first = group.firstSequence,
           group.jsonlBytes + payload.count + 1 > layout.groupBytes || sequence - first > UInt64(UInt32.max) {
            try flushGroup()
        }
        if lastSequence == nil { group.reserve(jsonlBytes: layout.groupBytes) }
        lastSequence = sequence
        group.add(sequence: sequence, payload: payload, run: run, type: type, flags: flags, time: time)
        if flags.contains(.hasTime) {
            index.minTime = min(index.minTime, time); index.maxTime = max(index.maxTime, time)
        } else {
            index.recordsWithoutTime += 1
        }
        if run == nil { index.recordsWithoutRun += 1 }
    }

    /// Writes the group's blocks, clustered by run (``RecordGroup``).
    private func flushGroup() throws {
        guard !group.isEmpty else { return }
        let firstBlock = blocks.count
        blockRun = [Int32](repeating: -1, count: group.runKeys.count)
        blockType = [Int32](repeating: -1, count: group.typeTags.count)
        var first = UInt64.max, last = UInt64.min
        for r in group.records { first = min(first, r.sequence); last = max(last, r.sequence) }
        for block in group.blocks(layout) {
            if let cancel, cancel.isSet { throw SealCancelled() }
            try write(block)
        }
        index.groups.append(SealedGroup(firstSequence: first, span: UInt32(last - first), count: UInt32(group.records.count),
                                        firstBlock: firstBlock, blockCount: blocks.count - firstBlock))
        index.recordCount += UInt64(group.records.count)
        index.jsonlBytes += UInt64(group.jsonlBytes)
        group.removeAll()
    }

    /// Writes one block: its data frame and its keys frame (FORMAT.md §7.1, §7.2).
    private func write(_ block: RecordGroup.Block) throws {
        guard let file else { throw StoreError(.invalidArgument, path: path, "sealed segment writer not open") }
        var first = UInt64.max, last = UInt64.min
        var minTime = Int64.max, maxTime = Int64.min
        jsonl.removeAll(keepingCapacity: true)
        keys.removeAll()
        for i in block.records { first = min(first, group.records[i].sequence); last = max(last, group.records[i].sequence) }
        // The keys table numbers the block's runs and types itself, in order of first appearance;
        // blockRun and blockType map the group's numbers to the block's.
        group.payloads.withUnsafeBytes { all in
            for i in block.records {
                let r = group.records[i]
                jsonl.append(contentsOf: UnsafeRawBufferPointer(rebasing: all[r.start...(r.start + r.length)]))
                if r.flags.contains(.hasTime) { minTime = min(minTime, r.time); maxTime = max(maxTime, r.time) }
                var e = KeysTable.Entry(sequenceDelta: UInt32(r.sequence - first), flags: r.flags.rawValue, time: r.time)
                if r.run >= 0 {
                    let g = Int(r.run)
                    if blockRun[g] < 0 { blockRun[g] = Int32(keys.addRun(group.runKeys[g])) }
                    e.run = UInt32(blockRun[g])
                }
                if r.type >= 0 {
                    let g = Int(r.type)
                    if blockType[g] < 0 { blockType[g] = Int32(keys.addType(group.typeTags[g])) }
                    e.type = UInt16(blockType[g])
                }
                keys.add(e)
            }
        }
        for i in block.records {
            let r = group.records[i]
            if r.run >= 0 { blockRun[Int(r.run)] = -1 }
            if r.type >= 0 { blockType[Int(r.type)] = -1 }
        }
        frame.removeAll(keepingCapacity: true)
        try jsonl.withUnsafeBytes { try LZ4Frame.compress($0, appendingTo: &frame) }
        let dataLength = frame.count
        // The keys frame: a skippable frame whose content is an LZ4 frame of the keys table.
        let table = keys.encoded()
        packed.removeAll(keepingCapacity: true)
        try table.withUnsafeBytes { try LZ4Frame.compress($0, appendingTo: &packed) }
        frame.appendLE(SealedFormat.keysMagic)
        frame.appendLE(UInt32(packed.count + 4))
        frame.appendLE(UInt32(table.count))
        frame.append(contentsOf: packed)
        let crc = frame.withUnsafeBytes { CRC32C.checksum($0) }
        try frame.withUnsafeBytes { try file.writeAll($0) }
        let number = UInt32(blocks.count)
        blocks.append(SealedBlock(offset: offset, dataLength: UInt32(dataLength), keysLength: UInt32(frame.count - dataLength),
                                  jsonlLength: UInt32(jsonl.count), count: UInt32(block.records.count), firstSequence: first,
                                  span: UInt32(last - first), minTime: minTime, maxTime: maxTime, crc: crc, kind: block.kind))
        // The keys table's run dictionary is exactly the block's distinct runs.
        for run in keys.runs { runs[ByteKey(run), default: []].append(number) }
        var typeCounts = [Int](repeating: 0, count: keys.types.count)
        for e in keys.entries where e.type != SealedFormat.noType { typeCounts[Int(e.type)] += 1 }
        for (i, t) in keys.types.enumerated() { types[ByteKey(t), default: 0] += UInt64(typeCounts[i]) }
        offset += UInt64(frame.count)
    }

    /// Writes the last group, the index frame (block table, run pages, head)
    /// and the trailer; fdatasyncs. Returns totals.
    /// `endSequence` is where the next segment starts (above every record here).
    func finish(endSequence: UInt64) throws -> (records: Int, jsonlBytes: Int64, fileBytes: Int64) {
        try flushGroup()
        guard endSequence > (lastSequence ?? firstSequence) || (lastSequence == nil && endSequence >= firstSequence) else {
            throw StoreError(.invalidArgument, path: path, "end sequence \(endSequence) is not above the last record")
        }
        guard let file else { throw StoreError(.invalidArgument, path: path, "sealed segment writer not open") }
        index.endSequence = endSequence
        index.blockCount = blocks.count
        index.types = Dictionary(uniqueKeysWithValues: types.map { ($0.key.bytes, $0.value) })
        index.runCount = runs.count
        index.blockTableOffset = offset + 8
        var body: [UInt8] = []
        body.reserveCapacity(blocks.count * SealedFormat.blockEntrySizeV3)
        for b in blocks { b.encodeV3(into: &body) }
        let sorted = runs.map { (key: $0.key.bytes, blocks: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let (pageBytes, pages) = RunPage.paginate(sorted, pageBytes: layout.runPageBytes, offset: index.blockTableOffset + UInt64(body.count))
        body.append(contentsOf: pageBytes)
        index.pages = pages
        let head = index.encodedHead()
        let headCRC = head.withUnsafeBytes { CRC32C.checksum($0) }
        let headOffset = index.blockTableOffset + UInt64(body.count)
        var out: [UInt8] = []
        out.reserveCapacity(8 + body.count + head.count + SealedFormat.trailerSize)
        out.appendLE(SealedFormat.indexMagic)
        out.appendLE(UInt32(body.count + head.count + SealedFormat.trailerSize))
        out.append(contentsOf: body)
        out.append(contentsOf: head)
        out.append(contentsOf: SealedTrailer(indexOffset: headOffset, indexLength: UInt32(head.count), indexCRC: headCRC,
                                             firstSequence: firstSequence, recordCount: index.recordCount).encoded())
        try out.withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try file.close()
        offset += UInt64(out.count)
        self.file = nil
        return (Int(index.recordCount), Int64(index.jsonlBytes), Int64(offset))
    }

    /// Removes the temporary file (a writer that fails before `finish` leaves
    /// it for the next writer's recovery, which removes every `*.tmp`).
    func abandon() throws {
        let f = file
        file = nil
        try f?.close()
        try Filesystem.remove(path)
    }

    /// Abandons the segment after `error`; returns `error`, or, when the clean-up
    /// fails too, `error` with that failure added (neither is hidden).
    func abandon(after error: any Error) -> any Error {
        do {
            try abandon()
            return error
        } catch let cleanup {
            guard var e = error as? StoreError else { return error }
            e.message += "; removing \(path) failed too (\(cleanup)); the next writer removes it"
            return e
        }
    }
}

/// Test hook: named points of the seal and compaction protocols where a test
/// process can ask to be killed (`TORQLOG_CRASH_AT=renamed`), so crash tests hit
/// every step. Does nothing unless the variable is set.
enum SealPoint: String {
    case renamed, compactionRenamed, compactionWritten

    static func reached(_ point: SealPoint) throws {
        guard let v = getenv("TORQLOG_CRASH_AT"), String(cString: v) == point.rawValue else { return }
        kill(getpid(), SIGKILL)
    }
}

#if canImport(Glibc)
import Glibc
#endif
