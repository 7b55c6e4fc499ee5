/// The records of one group of a sealed segment (or of some of its blocks),
/// decompressed and put back in sequence order (FORMAT.md §7.4): what export,
/// tail and compaction read a version 3 segment through. Reused across groups.
///
/// Memory: the group's JSONL (at most the sealer's `SealLayout.groupBytes`,
/// 16 MiB, or one record when a record alone is larger), ~130 bytes per
/// record, and one compressed block; whatever the segment's or the store's size.
final class DecodedGroup {
    struct Record {
        var sequence: UInt64
        /// The payload's bytes in `jsonl` (its `0x0A` not included).
        var start: Int
        var end: Int
        var time: Int64
        /// Offset of its run key (type tag) in `keyBytes`, or -1.
        var run: Int32
        var type: Int32
        var runLength: UInt16
        var typeLength: UInt8
        var flags: UInt8
        /// File offset of its block.
        var blockOffset: Int64
    }

    /// The records loaded, in sequence order.
    private(set) var records: [Record] = []
    private var jsonl: [UInt8] = []
    private var keyBytes: [UInt8] = []
    private var raw: [UInt8] = []
    private var table: [UInt8] = []
    private var lineStarts: [Int] = []
    private var slots: [Int32] = []
    private var unordered: [Record] = []
    private let decompressor: LZ4Frame.Decompressor
    /// Bytes read from disk by the last load (the blocks' data and keys frames).
    private(set) var bytesRead = 0

    init() throws { decompressor = try LZ4Frame.Decompressor() }

    /// Reads, checks and decompresses `blocks` (ascending, all in group `g` of
    /// `segment`), then orders their records by sequence. When every block of
    /// the group is read, checks that they hold exactly the group's records.
    ///
    /// - Throws: `StoreError(.corruption)` naming the segment and the offset
    ///   of the damaged block (or of the group's first block, for records that
    ///   do not add up).
    func load(_ segment: SealedSegment, group g: Int, blocks: [Int], verifyContentChecksums: Bool = false) throws {
        let group = segment.groups[g]
        let entries = try segment.blocks(blocks)
        let total = entries.reduce(0) { $0 + Int($1.jsonlLength) }
        if jsonl.count < total {
            // Groups of a segment differ in size by about a record: room for that, so that
            // the buffer is not reallocated group after group (each time leaving the old one to the allocator).
            jsonl = []
            jsonl = [UInt8](repeating: 0, count: total + min(total / 8, 1 << 20))
        }
        unordered.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        bytesRead = 0
        var offset = 0
        for (number, b) in zip(blocks, entries) {
            let n = Int(b.jsonlLength)
            do {
                let keys = try jsonl.withUnsafeMutableBytes { j in
                    try segment.loadBlock(b, raw: &raw, table: &table, jsonl: UnsafeMutableRawBufferPointer(rebasing: j[offset..<(offset + n)]),
                                          decompressor: decompressor, verifyContentChecksums: verifyContentChecksums)
                }
                lineStarts.removeAll(keepingCapacity: true)
                try jsonl.withUnsafeBytes {
                    try splitLines(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)]), count: Int(b.count), base: offset, into: &lineStarts)
                }
                add(keys, block: b)
            } catch let e as FormatProblem {
                throw StoreError(.corruption, path: segment.path, offset: Int64(b.offset), "block \(number): \(e.description)")
            }
            bytesRead += b.totalLength
            offset += n
        }
        try order(group, complete: blocks.count == group.blockCount, segment: segment)
    }

    /// Adds the records of a block just split into `lineStarts`.
    private func add(_ keys: KeysTable, block b: SealedBlock) {
        var runAt: [Int32] = []
        runAt.reserveCapacity(keys.runs.count)
        for r in keys.runs { runAt.append(Int32(keyBytes.count)); keyBytes.append(contentsOf: r) }
        var typeAt: [Int32] = []
        typeAt.reserveCapacity(keys.types.count)
        for t in keys.types { typeAt.append(Int32(keyBytes.count)); keyBytes.append(contentsOf: t) }
        for (i, e) in keys.entries.enumerated() {
            let hasRun = e.run != SealedFormat.noRun, hasType = e.type != SealedFormat.noType
            unordered.append(Record(sequence: b.firstSequence + UInt64(e.sequenceDelta), start: lineStarts[i],
                                    end: lineStarts[i + 1] - 1, time: e.time,
                                    run: hasRun ? runAt[Int(e.run)] : -1, type: hasType ? typeAt[Int(e.type)] : -1,
                                    runLength: hasRun ? UInt16(keys.runs[Int(e.run)].count) : 0,
                                    typeLength: hasType ? UInt8(keys.types[Int(e.type)].count) : 0,
                                    flags: e.flags, blockOffset: Int64(b.offset)))
        }
    }

    /// Puts `unordered` in sequence order into `records`: by placing each record
    /// at its offset in the group when the group is dense (the usual case:
    /// gaps only where compaction removed records), else by sorting.
    private func order(_ group: SealedGroup, complete: Bool, segment: SealedSegment) throws {
        func damage(_ why: String) -> StoreError {
            let at = (try? segment.block(group.firstBlock).offset).map(Int64.init) ?? 0
            return StoreError(.corruption, path: segment.path, offset: at, "group of blocks \(group.firstBlock)..<\(group.firstBlock + group.blockCount): \(why)")
        }
        if complete, unordered.count != Int(group.count) {
            throw damage("its blocks hold \(unordered.count) records, the index says \(group.count)")
        }
        records.removeAll(keepingCapacity: true)
        records.reserveCapacity(unordered.count)
        let span = Int(group.span)
        if span < 2 * unordered.count + 1024 {
            if slots.count < span + 1 { slots = [Int32](repeating: -1, count: span + 1) }
            for (i, r) in unordered.enumerated() {
                guard r.sequence >= group.firstSequence, r.sequence <= group.lastSequence else {
                    throw damage("sequence \(r.sequence) outside the group's \(group.firstSequence)...\(group.lastSequence)")
                }
                let d = Int(r.sequence - group.firstSequence)
                guard slots[d] < 0 else {
                    for k in 0...span { slots[k] = -1 }
                    throw damage("sequence \(r.sequence) appears twice")
                }
                slots[d] = Int32(i)
            }
            for d in 0...span where slots[d] >= 0 {
                records.append(unordered[Int(slots[d])])
                slots[d] = -1
            }
        } else {
            records.append(contentsOf: unordered)
            records.sort { $0.sequence < $1.sequence }
            for (i, r) in records.enumerated() {
                guard r.sequence >= group.firstSequence, r.sequence <= group.lastSequence else {
                    throw damage("sequence \(r.sequence) outside the group's \(group.firstSequence)...\(group.lastSequence)")
                }
                if i > 0, records[i - 1].sequence == r.sequence { throw damage("sequence \(r.sequence) appears twice") }
            }
        }
    }

    /// Calls `body` with each record loaded that matches `filter` and whose
    /// sequence is at least `from`, in sequence order, with its frame flags;
    /// returns false when `body` asked to stop.
    func forEach(_ filter: RecordFilter, segment: UInt64, from: UInt64 = 0,
                 _ body: (RecordView, FrameHeader.Flags) throws -> Bool) throws -> Bool {
        var lo = 0, hi = records.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if records[mid].sequence < from { lo = mid + 1 } else { hi = mid }
        }
        return try jsonl.withUnsafeBytes { j in
            try keyBytes.withUnsafeBytes { k in
                for r in records[lo...] {
                    let flags = FrameHeader.Flags(rawValue: r.flags)
                    let run = r.run >= 0 ? UnsafeRawBufferPointer(rebasing: k[Int(r.run)..<(Int(r.run) + Int(r.runLength))]) : nil
                    let type = r.type >= 0 ? UnsafeRawBufferPointer(rebasing: k[Int(r.type)..<(Int(r.type) + Int(r.typeLength))]) : nil
                    let time: Int64? = flags.contains(.hasTime) ? r.time : nil
                    guard filter.matches(run: run, type: type, time: time) else { continue }
                    let view = RecordView(sequence: r.sequence, time: time, runKey: run, type: type,
                                          payload: UnsafeRawBufferPointer(rebasing: j[r.start..<r.end]),
                                          location: FrameLocation(segment: segment, offset: r.blockOffset, sequence: r.sequence))
                    if try !body(view, flags) { return false }
                }
                return true
            }
        }
    }
}

extension SealedSegment {
    /// Calls `body` with every record of the segment, in sequence order, with
    /// its frame flags (what a rewrite needs), one group in memory at a time;
    /// reads and checks the whole index first.
    func forEachRecord(_ body: (RecordView, FrameHeader.Flags) throws -> Void) throws {
        try checkWholeIndex()
        let group = try DecodedGroup()
        for g in groups.indices {
            try group.load(self, group: g, blocks: Array(groups[g].blocks))
            _ = try group.forEach(RecordFilter(), segment: base) { r, flags in
                try body(r, flags)
                return true
            }
        }
    }
}
