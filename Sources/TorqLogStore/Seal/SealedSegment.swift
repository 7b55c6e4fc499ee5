/// An open sealed segment: its trailer and index, read on open (never its
/// data), and its blocks, read and decompressed one at a time on demand.
final class SealedSegment {
    let path: String
    let base: UInt64
    let index: SealedIndex
    let fileLength: Int64
    /// The index's CRC-32C, from the trailer: it covers every block's checksum, so it changes with any rewrite.
    let indexCRC: UInt32
    private let file: OwnedFile

    /// Opens `path`: reads the 48-byte trailer and the index it points to, checks both.
    init(path: String, base: UInt64) throws {
        let file = try OwnedFile.open(path, flags: O_RDONLY)
        let length = try file.size()
        guard length >= Int64(SealedFormat.trailerSize + 8) else {
            throw StoreError(.corruption, path: path, offset: 0, "sealed segment of \(length) bytes is too short for a trailer")
        }
        var raw = [UInt8](repeating: 0, count: SealedFormat.trailerSize)
        _ = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: length - Int64(SealedFormat.trailerSize)) }
        let trailer: SealedTrailer
        do { trailer = try raw.withUnsafeBytes { try SealedTrailer.decode($0) } } catch let e as FormatProblem {
            throw StoreError(.corruption, path: path, offset: length - Int64(SealedFormat.trailerSize), e.description)
        }
        let bodyEnd = Int64(trailer.indexOffset) + Int64(trailer.indexLength)
        guard trailer.indexOffset >= 8, bodyEnd == length - Int64(SealedFormat.trailerSize) else {
            throw StoreError(.corruption, path: path, offset: length - Int64(SealedFormat.trailerSize),
                             "trailer points to an index at \(trailer.indexOffset)+\(trailer.indexLength), not ending at the trailer")
        }
        var body = [UInt8](repeating: 0, count: Int(trailer.indexLength))
        var header = [UInt8](repeating: 0, count: 8)
        _ = try body.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: Int64(trailer.indexOffset)) }
        _ = try header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 8, at: Int64(trailer.indexOffset) - 8) }
        let crc = body.withUnsafeBytes { CRC32C.checksum($0) }
        guard crc == trailer.indexCRC else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset),
                             "index checksum mismatch (stored \(hex(trailer.indexCRC)), computed \(hex(crc)))")
        }
        let magic = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        let size = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
        guard magic == SealedFormat.indexMagic, Int(size) == body.count + SealedFormat.trailerSize else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset) - 8, "index frame header damaged")
        }
        let index: SealedIndex
        do { index = try body.withUnsafeBytes { try SealedIndex.decode($0) } } catch {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset), "index: \(error)")
        }
        guard index.firstSequence == base, trailer.firstSequence == base, index.recordCount == trailer.recordCount,
              index.endSequence >= base else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset),
                             "index says first sequence \(index.firstSequence) and \(index.recordCount) records; name says \(base), trailer \(trailer.recordCount)")
        }
        // Blocks must tile the data area, their sequences ascending within [base, end).
        var expectOffset: UInt64 = 0
        var nextSeq = base
        var records: UInt64 = 0
        for (i, b) in index.blocks.enumerated() {
            guard b.offset == expectOffset, b.firstSequence >= nextSeq, b.count > 0, UInt64(b.span) >= UInt64(b.count) - 1,
                  b.lastSequence < index.endSequence else {
                throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset), "index entry of block \(i) is inconsistent")
            }
            expectOffset += UInt64(b.totalLength)
            nextSeq = b.lastSequence + 1
            records += UInt64(b.count)
        }
        guard expectOffset + 8 == trailer.indexOffset, records == index.recordCount else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset), "index blocks do not cover the segment")
        }
        self.path = path
        self.base = base
        self.index = index
        self.fileLength = length
        self.indexCRC = trailer.indexCRC
        self.file = file
    }

    /// Where the next segment starts; every record here is below it.
    var endSequence: UInt64 { index.endSequence }

    /// The blocks that may hold records matching `filter` (by run and time, from the index).
    func candidateBlocks(_ filter: RecordFilter) -> [Int] {
        var list: [Int]
        if let run = filter.runKey {
            list = (index.runs[ByteKey(run)] ?? []).map(Int.init)
        } else {
            list = Array(index.blocks.indices)
        }
        if filter.since != nil || filter.until != nil {
            list = list.filter { i in
                let b = index.blocks[i]
                if b.minTime > b.maxTime { return false }  // no record with a time
                if let since = filter.since, b.maxTime < since { return false }
                if let until = filter.until, b.minTime >= until { return false }
                return true
            }
        }
        return list
    }

    /// Reads, checks and decompresses block `i` into `block`. The block's
    /// CRC-32C is always checked; LZ4's own content checksums only when
    /// `verifyContentChecksums` (as `verify` does).
    func read(block i: Int, into block: DecodedBlock, verifyContentChecksums: Bool = false) throws {
        let b = index.blocks[i]
        let at = Int64(b.offset)
        do {
            try block.load(from: file, entry: b, verifyContentChecksums: verifyContentChecksums)
        } catch let e as FormatProblem {
            throw StoreError(.corruption, path: path, offset: at, "block \(i): \(e.description)")
        }
    }
}

/// A decompressed block: its JSONL, the offsets of its lines, and its keys. Reused across blocks.
final class DecodedBlock {
    var raw: [UInt8] = []
    var jsonl: [UInt8] = []
    var lineStarts: [Int] = []
    var keys = KeysTable()
    var entry = SealedBlock(offset: 0, dataLength: 0, keysLength: 0, jsonlLength: 0, count: 0, firstSequence: 0, span: 0, minTime: 0, maxTime: 0, crc: 0)
    private var tableBytes: [UInt8] = []
    private let decompressor: LZ4Frame.Decompressor

    init() throws { decompressor = try LZ4Frame.Decompressor() }

    /// Bytes read from disk for the last block.
    var bytesRead: Int { raw.count }

    fileprivate func load(from file: OwnedFile, entry b: SealedBlock, verifyContentChecksums: Bool) throws {
        entry = b
        if raw.count != b.totalLength { raw = [UInt8](repeating: 0, count: b.totalLength) }
        let got = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: Int64(b.offset)) }
        guard got == b.totalLength else { throw FormatProblem("block truncated (\(got) of \(b.totalLength) bytes)") }
        let crc = raw.withUnsafeBytes { CRC32C.checksum($0) }
        guard crc == b.crc else { throw FormatProblem("block checksum mismatch (stored \(hex(b.crc)), computed \(hex(crc)))") }
        let dataLength = Int(b.dataLength)
        var tableSize = 0
        try raw.withUnsafeBytes { r in
            do {
                try decompressor.decompress(UnsafeRawBufferPointer(rebasing: r[0..<dataLength]), expectedSize: Int(b.jsonlLength), into: &jsonl,
                                            verifyContentChecksum: verifyContentChecksums)
            } catch let e as LZ4Frame.DecompressionError { throw FormatProblem("data frame: \(e.message)") }
            var kr = ByteReader(UnsafeRawBufferPointer(rebasing: r[dataLength...]))
            guard try kr.u32() == SealedFormat.keysMagic else { throw FormatProblem("keys frame magic missing") }
            let size = Int(try kr.u32())
            guard size == kr.remaining, size >= 4 else { throw FormatProblem("keys frame size \(size) does not match the index") }
            tableSize = Int(try kr.u32())
            guard tableSize <= 64 << 20 else { throw FormatProblem("keys table size \(tableSize) implausible") }
            do {
                try decompressor.decompress(UnsafeRawBufferPointer(rebasing: r[(dataLength + 12)...]), expectedSize: tableSize, into: &tableBytes,
                                            verifyContentChecksum: verifyContentChecksums)
            } catch let e as LZ4Frame.DecompressionError { throw FormatProblem("keys frame: \(e.message)") }
        }
        keys = try tableBytes.withUnsafeBytes { try KeysTable.decode(UnsafeRawBufferPointer(rebasing: $0[0..<tableSize])) }
        guard keys.entries.count == Int(b.count), keys.entries.last?.sequenceDelta == b.span else {
            throw FormatProblem("keys table has \(keys.entries.count) records up to +\(keys.entries.last?.sequenceDelta ?? 0), the index says \(b.count) up to +\(b.span)")
        }
        lineStarts.removeAll(keepingCapacity: true)
        let n = Int(b.jsonlLength)
        try jsonl.withUnsafeBytes { j in
            var start = 0
            while start < n {
                guard let nl = memchr(j.baseAddress! + start, 0x0A, n - start) else { throw FormatProblem("last line has no newline") }
                let end = j.baseAddress!.distance(to: UnsafeRawPointer(nl))
                guard end > start else { throw FormatProblem("empty line in block") }
                lineStarts.append(start)
                start = end + 1
            }
        }
        guard lineStarts.count == Int(b.count) else {
            throw FormatProblem("block holds \(lineStarts.count) lines, the index says \(b.count)")
        }
        lineStarts.append(n)  // sentinel: the next line would start after the last newline
    }

    /// The frame flags of the record with sequence `sequence` in this block.
    func flags(of sequence: UInt64) -> FrameHeader.Flags {
        let delta = UInt32(sequence - entry.firstSequence)
        var lo = 0, hi = keys.entries.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let d = keys.entries[mid].sequenceDelta
            if d == delta { return FrameHeader.Flags(rawValue: keys.entries[mid].flags) }
            if d < delta { lo = mid + 1 } else { hi = mid - 1 }
        }
        return []
    }

    /// Calls `body` with each record of the block that matches `filter`, from
    /// record `from` on; returns false when `body` asked to stop.
    func forEach(_ filter: RecordFilter, segment: UInt64, from: Int = 0, _ body: (RecordView) throws -> Bool) throws -> Bool {
        let first = entry.firstSequence
        let location = Int64(entry.offset)
        return try jsonl.withUnsafeBytes { j in
            for i in from..<keys.entries.count {
                let e = keys.entries[i]
                let flags = FrameHeader.Flags(rawValue: e.flags)
                let payload = UnsafeRawBufferPointer(rebasing: j[lineStarts[i]..<(lineStarts[i + 1] - 1)])
                let time: Int64? = flags.contains(.hasTime) ? e.time : nil
                let keep = try withOptionalBytes(flags.contains(.hasRun) ? keys.runs[Int(e.run)] : nil) { run in
                    try withOptionalBytes(flags.contains(.hasType) ? keys.types[Int(e.type)] : nil) { type in
                        guard filter.matches(run: run, type: type, time: time) else { return true }
                        let seq = first + UInt64(e.sequenceDelta)
                        return try body(RecordView(sequence: seq, time: time, runKey: run, type: type, payload: payload,
                                                   location: FrameLocation(segment: segment, offset: location, sequence: seq)))
                    }
                }
                if !keep { return false }
            }
            return true
        }
    }
}

func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}

#if canImport(Glibc)
import Glibc
#endif
