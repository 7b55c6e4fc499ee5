/// One page of a version 3 segment's run directory (FORMAT.md §7.4): the run
/// keys of a stretch of the key order, each with the blocks that hold it, and
/// a checksum of its own, so that a replay reads one page, not the directory.
///
/// ```
/// u32 runs
/// runs × { u16 key length, key, u32 n, n × u32 block (ascending) }
/// u32 CRC-32C of the bytes above
/// ```
struct RunPage {
    /// Where a page is and its first key, as the index head lists it.
    struct Reference: Sendable, Equatable {
        var offset: UInt64
        var length: UInt32
        var runs: UInt32
        var firstKey: [UInt8]
    }

    /// The page's runs, in byte order of their keys.
    var entries: [(key: [UInt8], blocks: [UInt32])]

    /// Lays `runs` (in byte order of their keys) out in pages that end once they hold `pageBytes`
    /// bytes, the first at `offset`; returns the pages' bytes and their references.
    static func paginate(_ runs: [(key: [UInt8], blocks: [UInt32])], pageBytes: Int, offset: UInt64)
        -> (bytes: [UInt8], pages: [Reference]) {
        var out: [UInt8] = []
        var pages: [Reference] = []
        var i = 0
        while i < runs.count {
            let start = out.count
            out.appendLE(UInt32(0))  // the count, set below
            let first = i
            repeat {
                let (key, blocks) = runs[i]
                out.appendLE(UInt16(key.count)); out.append(contentsOf: key)
                out.appendLE(UInt32(blocks.count)); for b in blocks { out.appendLE(b) }
                i += 1
            } while i < runs.count && out.count - start < pageBytes
            let n = UInt32(i - first)
            withUnsafeBytes(of: n.littleEndian) { out.replaceSubrange(start..<(start + 4), with: $0) }
            let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            out.appendLE(crc)
            pages.append(Reference(offset: offset + UInt64(start), length: UInt32(out.count - start), runs: n, firstKey: runs[first].key))
        }
        return (out, pages)
    }

    /// Decodes and checks a page read from `reference` in a segment of `blockCount` blocks.
    static func decode(_ bytes: UnsafeRawBufferPointer, _ reference: Reference, blockCount: Int) throws(FormatProblem) -> RunPage {
        guard bytes.count == Int(reference.length), bytes.count >= 8 else { throw FormatProblem("run page truncated") }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
        guard stored == computed else { throw FormatProblem("run page checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))") }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
        let n = try r.u32()
        guard n == reference.runs else { throw FormatProblem("run page holds \(n) runs, the index says \(reference.runs)") }
        var entries: [(key: [UInt8], blocks: [UInt32])] = []
        entries.reserveCapacity(Int(n))
        for _ in 0..<n {
            let key = try r.bytes(Int(try r.u16()))
            let m = Int(try r.u32())
            guard m > 0, m <= blockCount, m <= r.remaining / 4 else { throw FormatProblem("run page lists \(m) blocks for a run") }
            var blocks: [UInt32] = []
            blocks.reserveCapacity(m)
            for _ in 0..<m {
                let b = try r.u32()
                guard Int(b) < blockCount, blocks.last.map({ $0 < b }) ?? true else {
                    throw FormatProblem("run page lists block \(b) out of order or of \(blockCount)")
                }
                blocks.append(b)
            }
            if let last = entries.last?.key, !last.lexicographicallyPrecedes(key) { throw FormatProblem("run page keys out of order") }
            entries.append((key, blocks))
        }
        guard r.remaining == 0 else { throw FormatProblem("\(r.remaining) stray bytes in a run page") }
        guard entries.first?.key == reference.firstKey else { throw FormatProblem("run page's first key differs from the index's") }
        return RunPage(entries: entries)
    }

    /// The page among `pages` (sorted by first key) that holds `key` if any segment run has it.
    static func locate(_ key: [UInt8], in pages: [Reference]) -> Int? {
        // The last page whose first key is at most `key`.
        var lo = 0, hi = pages.count - 1, found: Int?
        while lo <= hi {
            let mid = (lo + hi) / 2
            if pages[mid].firstKey.lexicographicallyPrecedes(key) || pages[mid].firstKey == key {
                found = mid
                lo = mid + 1
            } else {
                hi = mid - 1
            }
        }
        return found
    }

    /// The blocks of run `key`, or nil when this page does not hold it.
    func blocks(of key: [UInt8]) -> [UInt32]? {
        var lo = 0, hi = entries.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let k = entries[mid].key
            if k == key { return entries[mid].blocks }
            if k.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }
}
