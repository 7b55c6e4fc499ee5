/// An open sealed segment, version 2 or 3 (FORMAT.md §7): its trailer and
/// index head, read on open (never its data), and the rest read on demand.
///
/// A version 2 index is one piece, read and checked whole on open. A version 3
/// index is read sparsely: on open only the trailer and the head (totals,
/// groups, types, the run directory's page list); a replay then reads one run
/// page and the entries of the blocks that run is in, each checked by its own
/// CRC-32C. ``checkWholeIndex()`` reads and checks all of it.
///
/// Every check that fails throws `StoreError(.corruption)` naming the file and
/// the byte offset of the damaged part.
final class SealedSegment {
    let path: String
    let base: UInt64
    let index: SealedIndex
    let fileLength: Int64
    /// The index's CRC-32C, from the trailer: it covers every block's checksum (version 2) or
    /// every group and run page (version 3), so it changes with any rewrite.
    let indexCRC: UInt32
    /// Bytes of the index read so far (trailer, head, block entries, run pages), for measurements.
    private(set) var indexBytesRead: Int64 = 0
    private let file: OwnedFile
    /// Block entries read so far (all of them for version 2).
    private var entries: [SealedBlock?]
    private var allEntriesChecked = false
    /// Every run's blocks, once read (on open for version 2).
    private var runTable: [ByteKey: [UInt32]]?

    var version: UInt32 { index.version }
    /// Where the next segment starts; every record here is below it.
    var endSequence: UInt64 { index.endSequence }
    var blockCount: Int { index.blockCount }
    var groups: [SealedGroup] { index.groups }

    /// The sealed segment file `path`, its base sequence read from its name.
    convenience init(path: String) throws {
        let name = String(path.split(separator: "/").last ?? "")
        guard let base = SegmentName.parseSealed(name) else {
            throw StoreError(.invalidArgument, path: path, "not a sealed segment file name (20 digits followed by .lz4)")
        }
        try self.init(path: path, base: base)
    }

    /// Opens `path`: reads the 48-byte trailer and the index head it points to, checks both.
    init(path: String, base: UInt64) throws {
        let file = try OwnedFile.open(path, flags: O_RDONLY)
        let length = try file.size()
        guard length >= Int64(SealedFormat.trailerSize + 8) else {
            throw StoreError(.corruption, path: path, offset: 0, "sealed segment of \(length) bytes is too short for a trailer")
        }
        let trailerOffset = length - Int64(SealedFormat.trailerSize)
        let raw = try Self.read(file, path: path, count: SealedFormat.trailerSize, at: trailerOffset)
        let trailer: SealedTrailer
        do { trailer = try raw.withUnsafeBytes { try SealedTrailer.decode($0) } } catch let e as FormatProblem {
            throw StoreError(.corruption, path: path, offset: trailerOffset, e.description)
        }
        let bodyEnd = Int64(trailer.indexOffset) + Int64(trailer.indexLength)
        guard trailer.indexOffset >= 8, bodyEnd == trailerOffset else {
            throw StoreError(.corruption, path: path, offset: trailerOffset,
                             "trailer points to an index at \(trailer.indexOffset)+\(trailer.indexLength), not ending at the trailer")
        }
        let body = try Self.read(file, path: path, count: Int(trailer.indexLength), at: Int64(trailer.indexOffset))
        let crc = body.withUnsafeBytes { CRC32C.checksum($0) }
        guard crc == trailer.indexCRC else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset),
                             "index checksum mismatch (stored \(hex(trailer.indexCRC)), computed \(hex(crc)))")
        }
        var index: SealedIndex
        var entries: [SealedBlock?] = []
        var runTable: [ByteKey: [UInt32]]?
        do {
            if trailer.version == SealedFormat.version2 {
                let v2 = try body.withUnsafeBytes { try SealedIndex.decodeV2($0) }
                index = v2.index
                entries = v2.blocks
                runTable = v2.runs
            } else {
                index = try body.withUnsafeBytes { try SealedIndex.decodeHead($0) }
                try index.checkHead(base: base, headOffset: trailer.indexOffset)
                entries = [SealedBlock?](repeating: nil, count: index.blockCount)
            }
        } catch {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset), "index: \(error)")
        }
        // The index frame's header: right before the index (version 2) or the block table (version 3).
        let frameStart = trailer.version == SealedFormat.version2 ? Int64(trailer.indexOffset) - 8 : Int64(index.blockTableOffset) - 8
        let header = try Self.read(file, path: path, count: 8, at: frameStart)
        let magic = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        let size = header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
        guard magic == SealedFormat.indexMagic, Int64(size) == length - frameStart - 8 else {
            throw StoreError(.corruption, path: path, offset: frameStart, "index frame header damaged")
        }
        guard index.firstSequence == base, trailer.firstSequence == base, index.recordCount == trailer.recordCount,
              index.endSequence >= base else {
            throw StoreError(.corruption, path: path, offset: Int64(trailer.indexOffset),
                             "index says first sequence \(index.firstSequence) and \(index.recordCount) records; name says \(base), trailer \(trailer.recordCount)")
        }
        self.path = path
        self.base = base
        self.index = index
        self.fileLength = length
        self.indexCRC = trailer.indexCRC
        self.file = file
        self.entries = entries
        self.runTable = runTable
        indexBytesRead = Int64(SealedFormat.trailerSize + body.count + 8)
        if trailer.version == SealedFormat.version2 {
            try checkTiling(entries.map { $0! }, dataEnd: UInt64(frameStart))
            allEntriesChecked = true
        }
    }

    private static func read(_ file: OwnedFile, path: String, count: Int, at offset: Int64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let got = try bytes.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: count, at: offset) }
        guard got == count else {
            throw StoreError(.corruption, path: path, offset: offset, "\(count) bytes expected at \(offset), the file ends after \(got)")
        }
        return bytes
    }

    private func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        indexBytesRead += Int64(count)
        return try Self.read(file, path: path, count: count, at: Int64(offset))
    }

    // MARK: - Block entries

    /// The entry of block `i`.
    func block(_ i: Int) throws -> SealedBlock {
        if let b = entries[i] { return b }
        return try blocks([i])[0]
    }

    /// The entries of `list` (block numbers, ascending), reading the ones not read
    /// yet, adjacent ones together, each checked by its own checksum.
    func blocks(_ list: [Int]) throws -> [SealedBlock] {
        var i = 0
        while i < list.count {
            guard entries[list[i]] == nil else { i += 1; continue }
            var j = i + 1
            while j < list.count, list[j] == list[j - 1] + 1, entries[list[j]] == nil { j += 1 }
            try readEntries(list[i]...list[j - 1])
            i = j
        }
        return list.map { entries[$0]! }
    }

    /// Every block entry, read and checked (they must tile the data area) once.
    func allBlocks() throws -> [SealedBlock] {
        if !allEntriesChecked {
            if index.blockCount > 0 { try readEntries(0...(index.blockCount - 1), all: true) }
            try checkTiling(entries.map { $0! }, dataEnd: index.blockTableOffset - 8)
            allEntriesChecked = true
        }
        return entries.map { $0! }
    }

    private func readEntries(_ range: ClosedRange<Int>, all: Bool = false) throws {
        let size = SealedFormat.blockEntrySizeV3
        let at = index.blockTableOffset + UInt64(range.lowerBound * size)
        let bytes = try read(count: range.count * size, at: at)
        for (k, i) in range.enumerated() where all || entries[i] == nil {
            let entryOffset = Int64(at) + Int64(k * size)
            let b: SealedBlock
            do {
                b = try bytes.withUnsafeBytes { try SealedBlock.decodeV3(UnsafeRawBufferPointer(rebasing: $0[(k * size)..<((k + 1) * size)])) }
            } catch {
                throw StoreError(.corruption, path: path, offset: entryOffset, "block \(i) entry: \(error)")
            }
            guard let g = index.group(ofBlock: i).map({ index.groups[$0] }), b.count > 0, b.count <= g.count,
                  UInt64(b.span) >= UInt64(b.count) - 1, b.firstSequence >= g.firstSequence, b.lastSequence <= g.lastSequence,
                  b.offset + UInt64(b.totalLength) <= index.blockTableOffset - 8, b.keysLength >= 12 else {
                throw StoreError(.corruption, path: path, offset: entryOffset, "block \(i) entry is inconsistent with its group or the file")
            }
            entries[i] = b
        }
    }

    /// Blocks must tile the data area; version 2 blocks ascend in sequence, and
    /// every group's blocks hold its records.
    private func checkTiling(_ blocks: [SealedBlock], dataEnd: UInt64) throws {
        let at = index.version == SealedFormat.version2 ? Int64(dataEnd) + 8 : Int64(index.blockTableOffset)
        var expectOffset: UInt64 = 0
        var nextSeq = base
        for (i, b) in blocks.enumerated() {
            let ordered = index.version != SealedFormat.version2 || b.firstSequence >= nextSeq
            guard b.offset == expectOffset, ordered, b.count > 0, UInt64(b.span) >= UInt64(b.count) - 1,
                  b.lastSequence < index.endSequence else {
                throw StoreError(.corruption, path: path, offset: at, "index entry of block \(i) is inconsistent")
            }
            expectOffset += UInt64(b.totalLength)
            nextSeq = b.lastSequence + 1
        }
        for (i, g) in index.groups.enumerated() where blocks[g.blocks].reduce(0, { $0 + UInt64($1.count) }) != UInt64(g.count) {
            throw StoreError(.corruption, path: path, offset: at, "the blocks of group \(i) do not hold its \(g.count) records")
        }
        guard expectOffset == dataEnd, blocks.reduce(0, { $0 + UInt64($1.count) }) == index.recordCount else {
            throw StoreError(.corruption, path: path, offset: at, "index blocks do not cover the segment")
        }
    }

    // MARK: - Runs

    /// The blocks holding records of run `key`, ascending (version 3: one run page read).
    func blocks(ofRun key: [UInt8]) throws -> [Int] {
        if let runTable { return (runTable[ByteKey(key)] ?? []).map(Int.init) }
        guard let p = RunPage.locate(key, in: index.pages) else { return [] }
        return (try page(p).blocks(of: key) ?? []).map(Int.init)
    }

    /// Every run key with its blocks (version 3: every run page read).
    func allRuns() throws -> [ByteKey: [UInt32]] {
        if let runTable { return runTable }
        var table: [ByteKey: [UInt32]] = [:]
        table.reserveCapacity(index.runCount)
        for p in index.pages.indices {
            for e in try page(p).entries { table[ByteKey(e.key)] = e.blocks }
        }
        guard table.count == index.runCount else {
            throw StoreError(.corruption, path: path, offset: Int64(index.pages.first?.offset ?? 0),
                             "run directory lists \(table.count) runs, the index says \(index.runCount)")
        }
        runTable = table
        return table
    }

    private func page(_ p: Int) throws -> RunPage {
        let ref = index.pages[p]
        let bytes = try read(count: Int(ref.length), at: ref.offset)
        do {
            return try bytes.withUnsafeBytes { try RunPage.decode($0, ref, blockCount: index.blockCount) }
        } catch {
            throw StoreError(.corruption, path: path, offset: Int64(ref.offset), "run page \(p): \(error)")
        }
    }

    /// Reads and checks every part of the index (block table, run pages), as a
    /// reader of the whole segment does.
    func checkWholeIndex() throws {
        _ = try allBlocks()
        _ = try allRuns()
    }

    // MARK: - Choosing blocks

    /// The blocks of run `filter.runKey` that may hold records matching `filter` (by time, from their entries), ascending.
    func runBlocks(_ filter: RecordFilter) throws -> [Int] {
        guard let run = filter.runKey else { return [] }
        let list = try blocks(ofRun: run)
        guard filter.since != nil || filter.until != nil else { return list }
        return try zip(list, blocks(list)).filter { Self.mayMatch($0.1, filter) }.map(\.0)
    }

    /// The blocks of group `g` that may hold records matching `filter` (by time, from their entries).
    func candidateBlocks(ofGroup g: Int, _ filter: RecordFilter) throws -> [Int] {
        let all = Array(index.groups[g].blocks)
        guard filter.since != nil || filter.until != nil else { return all }
        return try zip(all, blocks(all)).filter { Self.mayMatch($0.1, filter) }.map(\.0)
    }

    private static func mayMatch(_ b: SealedBlock, _ filter: RecordFilter) -> Bool {
        if b.minTime > b.maxTime { return false }  // no record with a time
        if let since = filter.since, b.maxTime < since { return false }
        if let until = filter.until, b.minTime >= until { return false }
        return true
    }

    // MARK: - Reading blocks

    /// Reads, checks and decompresses block `i` into `block`. The block's
    /// CRC-32C is always checked; LZ4's own content checksums only when
    /// `verifyContentChecksums` (as `verify` does).
    func read(block i: Int, into block: DecodedBlock, verifyContentChecksums: Bool = false) throws {
        let b = try self.block(i)
        do {
            try block.load(from: self, entry: b, verifyContentChecksums: verifyContentChecksums)
        } catch let e as FormatProblem {
            throw StoreError(.corruption, path: path, offset: Int64(b.offset), "block \(i): \(e.description)")
        }
    }

    /// Reads block `b`'s bytes into `raw`, checks its CRC-32C, decompresses its
    /// JSONL into `jsonl` (exactly `b.jsonlLength` bytes) and returns its keys
    /// table, checked against the entry and the segment's version.
    func loadBlock(_ b: SealedBlock, raw: inout [UInt8], table: inout [UInt8], jsonl: UnsafeMutableRawBufferPointer,
                   decompressor: LZ4Frame.Decompressor, verifyContentChecksums: Bool) throws -> KeysTable {
        if raw.count < b.totalLength { raw = [UInt8](repeating: 0, count: b.totalLength) }
        let got = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: b.totalLength, at: Int64(b.offset)) }
        guard got == b.totalLength else { throw FormatProblem("block truncated (\(got) of \(b.totalLength) bytes)") }
        let crc = raw.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<b.totalLength])) }
        guard crc == b.crc else { throw FormatProblem("block checksum mismatch (stored \(hex(b.crc)), computed \(hex(crc)))") }
        let dataLength = Int(b.dataLength)
        var tableSize = 0
        try raw.withUnsafeBytes { r in
            do {
                try decompressor.decompress(UnsafeRawBufferPointer(rebasing: r[0..<dataLength]), into: jsonl,
                                            verifyContentChecksum: verifyContentChecksums)
            } catch let e as LZ4Frame.DecompressionError { throw FormatProblem("data frame: \(e.message)") }
            var kr = ByteReader(UnsafeRawBufferPointer(rebasing: r[dataLength..<b.totalLength]))
            guard try kr.u32() == SealedFormat.keysMagic else { throw FormatProblem("keys frame magic missing") }
            let size = Int(try kr.u32())
            guard size == kr.remaining, size >= 4 else { throw FormatProblem("keys frame size \(size) does not match the index") }
            tableSize = Int(try kr.u32())
            guard tableSize <= 64 << 20 else { throw FormatProblem("keys table size \(tableSize) implausible") }
            do {
                try decompressor.decompress(UnsafeRawBufferPointer(rebasing: r[(dataLength + 12)..<b.totalLength]), expectedSize: tableSize,
                                            into: &table, verifyContentChecksum: verifyContentChecksums)
            } catch let e as LZ4Frame.DecompressionError { throw FormatProblem("keys frame: \(e.message)") }
        }
        let order: KeysTable.Order = index.version == SealedFormat.version2 ? .sequence : .clustered(b.kind)
        let keys = try table.withUnsafeBytes { try KeysTable.decode(UnsafeRawBufferPointer(rebasing: $0[0..<tableSize]), order: order) }
        let lastDelta = index.version == SealedFormat.version2 ? keys.entries.last?.sequenceDelta : keys.entries.map(\.sequenceDelta).max()
        guard keys.entries.count == Int(b.count), lastDelta == b.span else {
            throw FormatProblem("keys table has \(keys.entries.count) records up to +\(lastDelta ?? 0), the index says \(b.count) up to +\(b.span)")
        }
        return keys
    }
}

/// The offsets of the lines of `jsonl` (a block's JSONL): exactly `count` lines,
/// none empty, the last ending the block; `starts` gets `count + 1` offsets (the
/// last a sentinel, where a next line would start).
func splitLines(_ jsonl: UnsafeRawBufferPointer, count: Int, base: Int = 0, into starts: inout [Int]) throws(FormatProblem) {
    let n = jsonl.count
    var start = 0
    var lines = 0
    while start < n {
        guard let nl = memchr(jsonl.baseAddress! + start, 0x0A, n - start) else { throw FormatProblem("last line has no newline") }
        let end = jsonl.baseAddress!.distance(to: UnsafeRawPointer(nl))
        guard end > start else { throw FormatProblem("empty line in block") }
        guard lines < count else { throw FormatProblem("block holds more than the \(count) lines the index says") }
        starts.append(base + start)
        lines += 1
        start = end + 1
    }
    guard lines == count else { throw FormatProblem("block holds \(lines) lines, the index says \(count)") }
    starts.append(base + n)
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
    var bytesRead: Int { entry.totalLength }

    fileprivate func load(from segment: SealedSegment, entry b: SealedBlock, verifyContentChecksums: Bool) throws {
        entry = b
        let n = Int(b.jsonlLength)
        if jsonl.count < n { jsonl = [UInt8](repeating: 0, count: n) }
        keys = try jsonl.withUnsafeMutableBytes { j in
            try segment.loadBlock(b, raw: &raw, table: &tableBytes, jsonl: UnsafeMutableRawBufferPointer(rebasing: j[0..<n]),
                                  decompressor: decompressor, verifyContentChecksums: verifyContentChecksums)
        }
        lineStarts.removeAll(keepingCapacity: true)
        try jsonl.withUnsafeBytes { try splitLines(UnsafeRawBufferPointer(rebasing: $0[0..<n]), count: Int(b.count), into: &lineStarts) }
    }

    /// Calls `body` with each record of the block that matches `filter`, in the
    /// block's order (sequence order in a version 2 block, cluster order in a
    /// version 3 one: see ``DecodedGroup`` for sequence order), from record
    /// `from` on; returns false when `body` asked to stop.
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
