/// Layouts of a sealed segment (FORMAT.md §7): LZ4 data frames, each
/// followed by a skippable keys frame, then a skippable index frame ending
/// in a fixed-size trailer.
enum SealedFormat {
    /// Skippable-frame magic of a block's keys frame.
    static let keysMagic: UInt32 = 0x184D_2A51
    /// Skippable-frame magic of the index frame.
    static let indexMagic: UInt32 = 0x184D_2A50
    /// The sealed-segment format version (the store's format version 2).
    static let version: UInt32 = 2
    /// Bytes of the trailer at the very end of the file.
    static let trailerSize = 48
    /// `TQLGSEG\n`, the last 8 bytes of every sealed segment.
    static let trailerMagic: [UInt8] = Array("TQLGSEG\n".utf8)
    /// Bytes of one block entry in the index.
    static let blockEntrySize = 56
    /// Bytes of one record entry in a keys table.
    static let keyEntrySize = 20
    /// Uncompressed JSONL per block before a new block starts.
    static let targetBlockSize = 256 << 10
    /// "No run" / "no type" in a keys table.
    static let noRun = UInt32.max
    static let noType = UInt16.max

    /// `00000000000000000042.lz4`.
}

/// One block of a sealed segment, as the index describes it.
struct SealedBlock: Sendable, Equatable {
    /// File offset of the block's LZ4 data frame.
    var offset: UInt64
    /// Bytes of the data frame.
    var dataLength: UInt32
    /// Bytes of the keys frame that follows it (skippable header included).
    var keysLength: UInt32
    /// Bytes of the block's JSONL once decompressed.
    var jsonlLength: UInt32
    /// Records in the block.
    var count: UInt32
    /// Sequence number of its first record.
    var firstSequence: UInt64
    /// Its last record's sequence minus its first's (count − 1 unless records were compacted away).
    var span: UInt32
    /// Smallest and largest event time in the block (`Int64.max`/`Int64.min` when none has one).
    var minTime: Int64
    var maxTime: Int64
    /// CRC-32C of the data frame and keys frame bytes.
    var crc: UInt32

    var totalLength: Int { Int(dataLength) + Int(keysLength) }

    func encode(into out: inout [UInt8]) {
        out.appendLE(offset); out.appendLE(dataLength); out.appendLE(keysLength); out.appendLE(jsonlLength)
        out.appendLE(count); out.appendLE(firstSequence); out.appendLE(minTime); out.appendLE(maxTime)
        out.appendLE(crc); out.appendLE(span)
    }

    /// Sequence number of its last record.
    var lastSequence: UInt64 { firstSequence + UInt64(span) }

    static func decode(_ r: inout ByteReader) throws -> SealedBlock {
        let offset = try r.u64(), dataLength = try r.u32(), keysLength = try r.u32(), jsonlLength = try r.u32()
        let count = try r.u32(), first = try r.u64(), minTime = try r.i64(), maxTime = try r.i64(), crc = try r.u32()
        return SealedBlock(offset: offset, dataLength: dataLength, keysLength: keysLength, jsonlLength: jsonlLength, count: count,
                           firstSequence: first, span: try r.u32(), minTime: minTime, maxTime: maxTime, crc: crc)
    }
}

/// The fixed 48-byte trailer at the end of a sealed segment.
struct SealedTrailer: Sendable, Equatable {
    var indexOffset: UInt64
    var indexLength: UInt32
    var indexCRC: UInt32
    var firstSequence: UInt64
    var recordCount: UInt64

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(indexOffset); out.appendLE(indexLength); out.appendLE(indexCRC)
        out.appendLE(firstSequence); out.appendLE(recordCount); out.appendLE(SealedFormat.version)
        let crc = out.withUnsafeBytes { CRC32C.checksum($0) }
        out.appendLE(crc)
        out.append(contentsOf: SealedFormat.trailerMagic)
        return out
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem) -> SealedTrailer {
        guard bytes.count == SealedFormat.trailerSize else { throw FormatProblem("trailer truncated") }
        guard Array(bytes[40..<48]) == SealedFormat.trailerMagic else { throw FormatProblem("trailer magic missing: not a sealed torqlog segment, or truncated") }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<36]))
        guard stored == computed else { throw FormatProblem("trailer checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))") }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        guard version == SealedFormat.version else { throw FormatProblem("unsupported sealed segment version \(version)") }
        return SealedTrailer(
            indexOffset: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            indexLength: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            indexCRC: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            firstSequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            recordCount: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }
}

/// A sealed segment's index: its blocks, and for each run key the blocks that hold it.
struct SealedIndex: Sendable {
    var blocks: [SealedBlock]
    /// Run key → indices into `blocks`, ascending.
    var runs: [ByteKey: [UInt32]]
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

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(SealedFormat.version)
        out.appendLE(UInt32(blocks.count))
        for b in blocks { b.encode(into: &out) }
        out.appendLE(UInt32(runs.count))
        for (key, list) in runs.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            out.appendLE(UInt16(key.bytes.count)); out.append(contentsOf: key.bytes)
            out.appendLE(UInt32(list.count)); for i in list { out.appendLE(i) }
        }
        out.appendLE(UInt32(types.count))
        for (key, n) in types.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out.append(UInt8(key.count)); out.append(contentsOf: key); out.appendLE(n)
        }
        out.appendLE(recordsWithoutRun)
        out.appendLE(recordsWithoutTime)
        out.appendLE(recordCount); out.appendLE(jsonlBytes); out.appendLE(minTime); out.appendLE(maxTime); out.appendLE(firstSequence)
        out.appendLE(endSequence)
        return out
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> SealedIndex {
        var r = ByteReader(bytes)
        let version = try r.u32()
        guard version == SealedFormat.version else { throw FormatProblem("index version \(version)") }
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
        let nTypes = Int(try r.u32())
        guard nTypes <= bytes.count else { throw FormatProblem("index type count \(nTypes) too large") }
        var types: [[UInt8]: UInt64] = [:]
        for _ in 0..<nTypes {
            let key = try r.bytes(Int(try r.u8()))
            types[key] = try r.u64()
        }
        let withoutRun = try r.u64()
        let withoutTime = try r.u64()
        var idx = SealedIndex(blocks: blocks, runs: runs, recordCount: try r.u64(), jsonlBytes: try r.u64(),
                              minTime: try r.i64(), maxTime: try r.i64(), firstSequence: try r.u64(), endSequence: try r.u64())
        idx.types = types
        idx.recordsWithoutRun = withoutRun
        idx.recordsWithoutTime = withoutTime
        guard r.remaining == 0 else { throw FormatProblem("\(r.remaining) stray bytes after the index") }
        return idx
    }
}

/// A problem in a sealed segment's structure.
struct FormatProblem: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Bounds-checked little-endian reads.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
    var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int) throws(FormatProblem) -> Int {
        guard n >= 0, n <= remaining else { throw FormatProblem("structure truncated at byte \(position) (need \(n), have \(remaining))") }
        defer { position += n }
        return position
    }
    mutating func u8() throws(FormatProblem) -> UInt8 { bytes[try take(1)] }
    mutating func u16() throws(FormatProblem) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2), as: UInt16.self)) }
    mutating func u32() throws(FormatProblem) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
    mutating func u64() throws(FormatProblem) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
    mutating func i64() throws(FormatProblem) -> Int64 { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: Int64.self)) }
    mutating func bytes(_ n: Int) throws(FormatProblem) -> [UInt8] {
        let at = try take(n)
        return Array(bytes[at..<(at + n)])
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
