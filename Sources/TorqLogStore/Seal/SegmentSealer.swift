/// Turns a closed WAL segment into a sealed segment (FORMAT.md §7), crash-safely:
/// write `NAME.lz4.tmp`, fdatasync, rename to `NAME.lz4`, fsync the directory,
/// and only then remove the WAL segment (and fsync the directory again).
struct SegmentSealer {
    let directory: StoreDirectory

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
    func seal(_ wal: SegmentFile, cancel: CancelFlag? = nil) throws -> Result {
        let cursor = try SegmentCursor(path: wal.path, verifyPayload: true)
        try cursor.checkBase(wal.base)
        let finalPath = directory.file(SegmentName.sealed(wal.base))
        let writer = SealedSegmentWriter(path: finalPath + ".tmp", firstSequence: wal.base)
        try writer.open()
        do {
            // Only closed segments are sealed: a torn tail here is damage (FORMAT.md §2.3).
            let end = try cursor.readToEnd(isActive: false) { f in
                if let cancel, writer.atBlockBoundary, cancel.isSet { throw SealCancelled() }
                try writer.add(sequence: f.sequence, payload: f.payload ?? UnsafeRawBufferPointer(start: nil, count: 0),
                               run: f.runKey, type: f.type, flags: f.header.flags, time: f.header.time)
            }
            try end.check()
        } catch {
            throw writer.abandon(after: error)
        }
        let summary = try writer.finish(endSequence: cursor.expectedSequence)
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

/// Writes a sealed segment from records given in sequence order.
final class SealedSegmentWriter {
    let path: String
    let firstSequence: UInt64
    private var file: OwnedFile?
    private var offset: UInt64 = 0
    private var jsonl: [UInt8] = []
    private var keys = KeysTable()
    private var blockMinTime = Int64.max, blockMaxTime = Int64.min
    private var blockFirst: UInt64
    private var index: SealedIndex
    private var frame: [UInt8] = []
    private var types: [ByteKey: UInt64] = [:]

    init(path: String, firstSequence: UInt64) {
        self.path = path
        self.firstSequence = firstSequence
        self.blockFirst = firstSequence
        index = SealedIndex(blocks: [], runs: [:], recordCount: 0, jsonlBytes: 0, minTime: .max, maxTime: .min,
                            firstSequence: firstSequence, endSequence: firstSequence)
        jsonl.reserveCapacity(SealedFormat.targetBlockSize + (1 << 16))
    }

    func open() throws {
        file = try OwnedFile.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    }

    private var lastSequence: UInt64?

    /// Adds one record (its sequence, payload and keys as a WAL frame has them); sequences must ascend.
    func add(sequence: UInt64, payload: UnsafeRawBufferPointer, run: UnsafeRawBufferPointer?, type: UnsafeRawBufferPointer?,
             flags: FrameHeader.Flags, time: Int64) throws {
        guard sequence >= firstSequence, lastSequence.map({ sequence > $0 }) ?? true else {
            throw StoreError(.invalidArgument, path: path, "record sequence \(sequence) out of order")
        }
        if keys.isFull || (!keys.entries.isEmpty && sequence - blockFirst > UInt64(UInt32.max)) { try flushBlock() }
        if keys.entries.isEmpty { blockFirst = sequence }
        lastSequence = sequence
        jsonl.append(contentsOf: payload)
        jsonl.append(0x0A)
        keys.add(sequenceDelta: UInt32(sequence - blockFirst), run: run, type: type, flags: flags, time: time)
        if flags.contains(.hasTime) {
            blockMinTime = min(blockMinTime, time); blockMaxTime = max(blockMaxTime, time)
        } else {
            index.recordsWithoutTime += 1
        }
        if run == nil { index.recordsWithoutRun += 1 }
        if jsonl.count >= SealedFormat.targetBlockSize { try flushBlock() }
    }

    private func flushBlock() throws {
        guard !keys.entries.isEmpty, let file else { return }
        frame.removeAll(keepingCapacity: true)
        try jsonl.withUnsafeBytes { try LZ4Frame.compress($0, appendingTo: &frame) }
        let dataLength = frame.count
        // The keys frame: a skippable frame whose content is an LZ4 frame of the keys table.
        let table = keys.encoded()
        var packed: [UInt8] = []
        try table.withUnsafeBytes { try LZ4Frame.compress($0, appendingTo: &packed) }
        frame.appendLE(SealedFormat.keysMagic)
        frame.appendLE(UInt32(packed.count + 4))
        frame.appendLE(UInt32(table.count))
        frame.append(contentsOf: packed)
        let crc = frame.withUnsafeBytes { CRC32C.checksum($0) }
        try frame.withUnsafeBytes { try file.writeAll($0) }
        let block = SealedBlock(offset: offset, dataLength: UInt32(dataLength), keysLength: UInt32(frame.count - dataLength),
                                jsonlLength: UInt32(jsonl.count), count: UInt32(keys.entries.count), firstSequence: blockFirst,
                                span: keys.entries.last?.sequenceDelta ?? 0, minTime: blockMinTime, maxTime: blockMaxTime, crc: crc)
        let blockNumber = UInt32(index.blocks.count)
        index.blocks.append(block)
        // The keys table's run dictionary is exactly the block's distinct runs.
        for run in keys.runs { index.runs[ByteKey(run), default: []].append(blockNumber) }
        var typeCounts = [Int](repeating: 0, count: keys.types.count)
        for e in keys.entries where e.type != SealedFormat.noType { typeCounts[Int(e.type)] += 1 }
        for (i, t) in keys.types.enumerated() { types[ByteKey(t), default: 0] += UInt64(typeCounts[i]) }
        index.recordCount += UInt64(keys.entries.count)
        index.jsonlBytes += UInt64(jsonl.count)
        index.minTime = min(index.minTime, blockMinTime)
        index.maxTime = max(index.maxTime, blockMaxTime)
        offset += UInt64(frame.count)
        jsonl.removeAll(keepingCapacity: true)
        keys.removeAll()
        blockMinTime = .max
        blockMaxTime = .min
    }

    /// Writes the last block, the index frame and the trailer; fdatasyncs. Returns totals.
    /// `endSequence` is where the next segment starts (above every record here).
    func finish(endSequence: UInt64) throws -> (records: Int, jsonlBytes: Int64, fileBytes: Int64) {
        try flushBlock()
        guard endSequence > (lastSequence ?? firstSequence) || (lastSequence == nil && endSequence >= firstSequence) else {
            throw StoreError(.invalidArgument, path: path, "end sequence \(endSequence) is not above the last record")
        }
        index.endSequence = endSequence
        guard let file else { throw StoreError(.invalidArgument, path: path, "sealed segment writer not open") }
        index.types = Dictionary(uniqueKeysWithValues: types.map { ($0.key.bytes, $0.value) })
        let body = index.encoded()
        let bodyCRC = body.withUnsafeBytes { CRC32C.checksum($0) }
        var out: [UInt8] = []
        out.appendLE(SealedFormat.indexMagic)
        out.appendLE(UInt32(body.count + SealedFormat.trailerSize))
        let bodyOffset = offset + 8
        out.append(contentsOf: body)
        out.append(contentsOf: SealedTrailer(indexOffset: bodyOffset, indexLength: UInt32(body.count), indexCRC: bodyCRC,
                                             firstSequence: firstSequence, recordCount: index.recordCount).encoded())
        try out.withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try file.close()
        offset += UInt64(out.count)
        self.file = nil
        return (Int(index.recordCount), Int64(index.jsonlBytes), Int64(offset))
    }

    /// Whether the next record starts a new block.
    var atBlockBoundary: Bool { keys.entries.isEmpty }

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
