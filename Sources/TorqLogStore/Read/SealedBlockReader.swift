/// Reads ranges of blocks of sealed segments, each block on its own, with one
/// buffer kept from one range to the next: what a thread of a parallel scan
/// owns when the order of records does not matter (a compliance scan counts).
/// A block is at most a few hundred KiB decompressed (FORMAT.md §7), so
/// splitting segments among threads costs a block's memory per thread, not a
/// group's, as a read in sequence order would.
///
/// Not thread-safe: one per thread.
package final class SealedBlockReader {
    private let block: DecodedBlock

    /// A reader; its buffer grows to the largest block read.
    /// - Throws: when the LZ4 decompression context cannot be allocated.
    package init() throws {
        block = try DecodedBlock()
    }

    /// Calls `body` with the records of blocks `blocks` of the sealed segment
    /// file `path` matching `filter`: block after block, each block's records
    /// in its own order (sequence order in version 2; by run, then sequence,
    /// in version 3). Every block's checksum is checked, as
    /// ``StoreReader/forEach(_:_:)`` checks it; the whole index is checked by
    /// ``StoreReader/sealedBlocks(segmentFile:)``. Returns false when `body` stopped.
    package func forEach(sealedSegmentFile path: String, blocks: Range<Int>, _ filter: RecordFilter,
                         _ body: (RecordView) throws -> Bool) throws -> Bool {
        let s = try SealedSegment(path: path)
        guard blocks.lowerBound >= 0, blocks.upperBound <= s.blockCount else {
            throw StoreError(.invalidArgument, path: path, "blocks \(blocks) of a segment of \(s.blockCount)")
        }
        for b in blocks {
            try s.read(block: b, into: block)
            if try !block.forEach(filter, segment: s.base, body) { return false }
        }
        return true
    }
}
