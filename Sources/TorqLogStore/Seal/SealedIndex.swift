/// What a sealed segment's index says, for both versions (FORMAT.md §7.3,
/// §7.4): its totals, its groups, and where the rest of its index is. The
/// block entries and run lists are read apart (``SealedSegment``): whole for
/// version 2, one at a time for version 3.
struct SealedIndex: Sendable {
    /// 2 or 3.
    var version: UInt32
    var blockCount: Int
    /// The groups, in sequence order; a version 2 segment has one per block.
    var groups: [SealedGroup]
    /// Type tag → records with it.
    var types: [[UInt8]: UInt64] = [:]
    /// Records without a run key.
    var recordsWithoutRun: UInt64 = 0
    /// Records without an event time.
    var recordsWithoutTime: UInt64 = 0
    var recordCount: UInt64
    var jsonlBytes: UInt64
    var minTime: Int64
    var maxTime: Int64
    var firstSequence: UInt64
    /// The sequence number the next segment starts at: every record here is below it.
    var endSequence: UInt64
    /// Distinct run keys.
    var runCount: Int = 0
    /// Version 3: file offset of block entry 0.
    var blockTableOffset: UInt64 = 0
    /// Version 3: the run directory's pages, in key order.
    var pages: [RunPage.Reference] = []

    /// The group holding block `block`.
    func group(ofBlock block: Int) -> Int? {
        var lo = 0, hi = groups.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let g = groups[mid]
            if block < g.firstBlock { hi = mid - 1 } else if block >= g.firstBlock + g.blockCount { lo = mid + 1 } else { return mid }
        }
        return nil
    }
}

/// A group of records (FORMAT.md §7.4): consecutive in sequence, laid out in
/// consecutive blocks clustered by run. A version 2 block is a group of its own.
struct SealedGroup: Sendable, Equatable {
    /// The smallest sequence in the group.
    var firstSequence: UInt64
    /// The largest minus the smallest.
    var span: UInt32
    /// Records in the group.
    var count: UInt32
    var firstBlock: Int
    var blockCount: Int

    var lastSequence: UInt64 { firstSequence + UInt64(span) }
    var blocks: Range<Int> { firstBlock..<(firstBlock + blockCount) }

    func encode(into out: inout [UInt8]) {
        out.appendLE(firstSequence); out.appendLE(span); out.appendLE(count)
        out.appendLE(UInt32(firstBlock)); out.appendLE(UInt32(blockCount))
    }

    static func decode(_ r: inout ByteReader) throws(FormatProblem) -> SealedGroup {
        SealedGroup(firstSequence: try r.u64(), span: try r.u32(), count: try r.u32(),
                    firstBlock: Int(try r.u32()), blockCount: Int(try r.u32()))
    }
}

// MARK: - Version 2 (FORMAT.md §7.3)

extension SealedIndex {
    /// A version 2 index: everything in one piece, block entries and run lists included.
    static func decodeV2(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem)
        -> (index: SealedIndex, blocks: [SealedBlock], runs: [ByteKey: [UInt32]]) {
        var r = ByteReader(bytes)
        let version = try r.u32()
        guard version == SealedFormat.version2 else { throw FormatProblem("index version \(version)") }
        let nBlocks = Int(try r.u32())
        guard nBlocks <= bytes.count / SealedFormat.blockEntrySize else { throw FormatProblem("index block count \(nBlocks) too large") }
        var blocks: [SealedBlock] = []
        blocks.reserveCapacity(nBlocks)
        for _ in 0..<nBlocks { blocks.append(try SealedBlock.decode(&r)) }
        let nRuns = Int(try r.u32())
        guard nRuns <= bytes.count else { throw FormatProblem("index run count \(nRuns) too large") }
        var runs: [ByteKey: [UInt32]] = [:]
        runs.reserveCapacity(nRuns)
        for _ in 0..<nRuns {
            let key = try r.bytes(Int(try r.u16()))
            let n = Int(try r.u32())
            guard n <= nBlocks else { throw FormatProblem("run lists \(n) blocks of \(nBlocks)") }
            var list: [UInt32] = []
            list.reserveCapacity(n)
            for _ in 0..<n {
                let i = try r.u32()
                guard Int(i) < nBlocks else { throw FormatProblem("run lists block \(i) of \(nBlocks)") }
                list.append(i)
            }
            runs[ByteKey(key)] = list
        }
        let types = try decodeTypes(&r, limit: bytes.count)
        let withoutRun = try r.u64()
        let withoutTime = try r.u64()
        var idx = SealedIndex(version: version, blockCount: nBlocks,
                              groups: blocks.enumerated().map { i, b in
                                  SealedGroup(firstSequence: b.firstSequence, span: b.span, count: b.count, firstBlock: i, blockCount: 1)
                              },
                              recordCount: try r.u64(), jsonlBytes: try r.u64(), minTime: try r.i64(), maxTime: try r.i64(),
                              firstSequence: try r.u64(), endSequence: try r.u64())
        idx.types = types
        idx.recordsWithoutRun = withoutRun
        idx.recordsWithoutTime = withoutTime
        idx.runCount = runs.count
        guard r.remaining == 0 else { throw FormatProblem("\(r.remaining) stray bytes after the index") }
        return (idx, blocks, runs)
    }

    private static func decodeTypes(_ r: inout ByteReader, limit: Int) throws(FormatProblem) -> [[UInt8]: UInt64] {
        let nTypes = Int(try r.u32())
        guard nTypes <= limit else { throw FormatProblem("index type count \(nTypes) too large") }
        var types: [[UInt8]: UInt64] = [:]
        for _ in 0..<nTypes {
            let key = try r.bytes(Int(try r.u8()))
            types[key] = try r.u64()
        }
        return types
    }
}

// MARK: - Version 3 (FORMAT.md §7.4): the index head

extension SealedIndex {
    /// The head of a version 3 index: what the trailer points to and its checksum covers.
    func encodedHead() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(SealedFormat.version)
        out.appendLE(UInt32(blockCount))
        out.appendLE(blockTableOffset)
        out.appendLE(UInt32(groups.count))
        for g in groups { g.encode(into: &out) }
        out.appendLE(UInt32(types.count))
        for (key, n) in types.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out.append(UInt8(key.count)); out.append(contentsOf: key); out.appendLE(n)
        }
        out.appendLE(recordsWithoutRun)
        out.appendLE(recordsWithoutTime)
        out.appendLE(recordCount); out.appendLE(jsonlBytes); out.appendLE(minTime); out.appendLE(maxTime)
        out.appendLE(firstSequence); out.appendLE(endSequence)
        out.appendLE(UInt32(runCount))
        out.appendLE(UInt32(pages.count))
        for p in pages {
            out.appendLE(p.offset); out.appendLE(p.length); out.appendLE(p.runs)
            out.appendLE(UInt16(p.firstKey.count)); out.append(contentsOf: p.firstKey)
        }
        return out
    }

    /// Decodes a version 3 head (its checksum already checked against the trailer's).
    static func decodeHead(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem) -> SealedIndex {
        var r = ByteReader(bytes)
        let version = try r.u32()
        guard version == SealedFormat.version else { throw FormatProblem("index version \(version)") }
        let nBlocks = Int(try r.u32())
        let tableOffset = try r.u64()
        let nGroups = Int(try r.u32())
        guard nGroups <= r.remaining / SealedFormat.groupEntrySize else { throw FormatProblem("index group count \(nGroups) too large") }
        var groups: [SealedGroup] = []
        groups.reserveCapacity(nGroups)
        for _ in 0..<nGroups { groups.append(try SealedGroup.decode(&r)) }
        let types = try decodeTypes(&r, limit: bytes.count)
        let withoutRun = try r.u64()
        let withoutTime = try r.u64()
        var idx = SealedIndex(version: version, blockCount: nBlocks, groups: groups,
                              recordCount: try r.u64(), jsonlBytes: try r.u64(), minTime: try r.i64(), maxTime: try r.i64(),
                              firstSequence: try r.u64(), endSequence: try r.u64())
        idx.types = types
        idx.recordsWithoutRun = withoutRun
        idx.recordsWithoutTime = withoutTime
        idx.blockTableOffset = tableOffset
        idx.runCount = Int(try r.u32())
        let nPages = Int(try r.u32())
        guard nPages <= r.remaining / 18 else { throw FormatProblem("index page count \(nPages) too large") }
        idx.pages.reserveCapacity(nPages)
        for _ in 0..<nPages {
            let offset = try r.u64(), length = try r.u32(), runs = try r.u32()
            idx.pages.append(RunPage.Reference(offset: offset, length: length, runs: runs, firstKey: try r.bytes(Int(try r.u16()))))
        }
        guard r.remaining == 0 else { throw FormatProblem("\(r.remaining) stray bytes after the index head") }
        return idx
    }

    /// Checks what a version 3 head states about itself and the file (no other
    /// part of the index read): groups tile the blocks in ascending sequence
    /// below `end_sequence` and count every record; the block table and the run
    /// pages lie back to back between the index frame's header and the head at `headOffset`.
    func checkHead(base: UInt64, headOffset: UInt64) throws(FormatProblem) {
        var nextBlock = 0
        var nextSequence = base
        var records: UInt64 = 0
        for (i, g) in groups.enumerated() {
            guard g.firstBlock == nextBlock, g.blockCount > 0, g.count > 0, UInt64(g.span) >= UInt64(g.count) - 1,
                  g.firstSequence >= nextSequence, g.lastSequence < endSequence else {
                throw FormatProblem("group \(i) is inconsistent (blocks \(g.firstBlock)+\(g.blockCount), sequences \(g.firstSequence)+\(g.span), \(g.count) records)")
            }
            nextBlock += g.blockCount
            nextSequence = g.lastSequence + 1
            records += UInt64(g.count)
        }
        guard nextBlock == blockCount, records == recordCount else {
            throw FormatProblem("groups cover \(nextBlock) blocks and \(records) records; the index says \(blockCount) and \(recordCount)")
        }
        let tableEnd = blockTableOffset + UInt64(blockCount) * UInt64(SealedFormat.blockEntrySizeV3)
        var at = tableEnd
        var runs = 0
        for (i, p) in pages.enumerated() {
            guard p.offset == at, p.length >= 8, p.runs > 0, i == 0 || pages[i - 1].firstKey.lexicographicallyPrecedes(p.firstKey) else {
                throw FormatProblem("run page \(i) is misplaced (at \(p.offset), \(p.length) bytes, expected at \(at))")
            }
            at += UInt64(p.length)
            runs += Int(p.runs)
        }
        guard blockTableOffset >= 8, at == headOffset, runs == runCount else {
            throw FormatProblem("block table and run pages (\(blockTableOffset)..<\(at), \(runs) runs) do not end at the head (\(headOffset), \(runCount) runs)")
        }
    }
}
