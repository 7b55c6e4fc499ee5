/// Layouts of a sealed segment (FORMAT.md §7): LZ4 data frames, each
/// followed by a skippable keys frame, then a skippable index frame ending
/// in a fixed-size trailer.
enum SealedFormat {
    /// Skippable-frame magic of a block's keys frame.
    static let keysMagic: UInt32 = 0x184D_2A51
    /// Skippable-frame magic of the index frame.
    static let indexMagic: UInt32 = 0x184D_2A50
    /// The sealed-segment version sealing writes (the store's format version 3:
    /// records clustered by run within groups, FORMAT.md §7.4).
    static let version: UInt32 = 3
    /// The first sealed-segment version (blocks in sequence order, FORMAT.md §7.1–7.3); still read.
    static let version2: UInt32 = 2
    /// Bytes of the trailer at the very end of the file.
    static let trailerSize = 48
    /// `TQLGSEG\n`, the last 8 bytes of every sealed segment.
    static let trailerMagic: [UInt8] = Array("TQLGSEG\n".utf8)
    /// Bytes of one block entry in a version 2 index.
    static let blockEntrySize = 56
    /// Bytes of one block entry in a version 3 block table (with its own checksum).
    static let blockEntrySizeV3 = 64
    /// Bytes of one group entry in a version 3 index head.
    static let groupEntrySize = 24
    /// Bytes of one record entry in a keys table.
    static let keyEntrySize = 20
    /// "No run" / "no type" in a keys table.
    static let noRun = UInt32.max
    static let noType = UInt16.max
}

/// One block of a sealed segment, as the index describes it.
struct SealedBlock: Sendable, Equatable {
    /// What a version 3 block holds (FORMAT.md §7.4).
    enum Kind: UInt8, Sendable {
        /// Records of one run only.
        case run = 0
        /// Runs too small in their group for blocks of their own, and records without a run key.
        case shared = 1
    }

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
    /// The smallest sequence number in the block (its first record's in version 2).
    var firstSequence: UInt64
    /// Its largest sequence minus its smallest (count − 1 unless records were compacted away).
    var span: UInt32
    /// Smallest and largest event time in the block (`Int64.max`/`Int64.min` when none has one).
    var minTime: Int64
    var maxTime: Int64
    /// CRC-32C of the data frame and keys frame bytes.
    var crc: UInt32
    /// Version 3 only (version 2 blocks are in sequence order and say `.shared`).
    var kind: Kind = .shared

    var totalLength: Int { Int(dataLength) + Int(keysLength) }

    /// The 56 bytes of a version 2 entry.
    func encode(into out: inout [UInt8]) {
        out.appendLE(offset); out.appendLE(dataLength); out.appendLE(keysLength); out.appendLE(jsonlLength)
        out.appendLE(count); out.appendLE(firstSequence); out.appendLE(minTime); out.appendLE(maxTime)
        out.appendLE(crc); out.appendLE(span)
    }

    /// The 64 bytes of a version 3 entry: the version 2 fields, `kind`, 3 bytes
    /// reserved (0), and the CRC-32C of those 60 bytes.
    func encodeV3(into out: inout [UInt8]) {
        let start = out.count
        encode(into: &out)
        out.append(kind.rawValue); out.append(0); out.append(0); out.append(0)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.appendLE(crc)
    }

    /// Sequence number of its last record (version 2), or its largest (version 3).
    var lastSequence: UInt64 { firstSequence + UInt64(span) }

    static func decode(_ r: inout ByteReader) throws(FormatProblem) -> SealedBlock {
        let offset = try r.u64(), dataLength = try r.u32(), keysLength = try r.u32(), jsonlLength = try r.u32()
        let count = try r.u32(), first = try r.u64(), minTime = try r.i64(), maxTime = try r.i64(), crc = try r.u32()
        return SealedBlock(offset: offset, dataLength: dataLength, keysLength: keysLength, jsonlLength: jsonlLength, count: count,
                           firstSequence: first, span: try r.u32(), minTime: minTime, maxTime: maxTime, crc: crc)
    }

    /// Decodes a 64-byte version 3 entry, checking its own checksum and reserved bytes.
    static func decodeV3(_ bytes: UnsafeRawBufferPointer) throws(FormatProblem) -> SealedBlock {
        guard bytes.count == SealedFormat.blockEntrySizeV3 else { throw FormatProblem("block entry truncated") }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        guard stored == computed else { throw FormatProblem("block entry checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))") }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<56]))
        var block = try decode(&r)
        guard let kind = Kind(rawValue: bytes[56]), bytes[57] == 0, bytes[58] == 0, bytes[59] == 0 else {
            throw FormatProblem("block entry kind \(bytes[56]) or reserved bytes invalid")
        }
        block.kind = kind
        return block
    }
}

/// The fixed 48-byte trailer at the end of a sealed segment.
struct SealedTrailer: Sendable, Equatable {
    var indexOffset: UInt64
    var indexLength: UInt32
    var indexCRC: UInt32
    var firstSequence: UInt64
    var recordCount: UInt64
    /// 2 or 3: how the rest of the segment is laid out.
    var version: UInt32 = SealedFormat.version

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(indexOffset); out.appendLE(indexLength); out.appendLE(indexCRC)
        out.appendLE(firstSequence); out.appendLE(recordCount); out.appendLE(version)
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
        guard version == SealedFormat.version || version == SealedFormat.version2 else {
            throw FormatProblem("unsupported sealed segment version \(version)")
        }
        return SealedTrailer(
            indexOffset: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            indexLength: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            indexCRC: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            firstSequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            recordCount: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
            version: version)
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
