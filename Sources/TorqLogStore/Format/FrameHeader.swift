/// The fixed 32-byte header of a frame (FORMAT.md §2.2).
///
/// Layout, little-endian: `crc u32 · header_crc u32 · payload_len u32 ·
/// run_len u16 · type_len u8 · flags u8 · sequence u64 · time i64`, followed by
/// the run key, the type tag and the payload.
public struct FrameHeader: Sendable, Equatable {
    /// Size of the fixed header in bytes.
    public static let size = 32
    /// The largest payload a frame may carry (16 MiB).
    public static let maxPayloadLength = 16 * 1024 * 1024
    /// The longest run key stored in a header.
    public static let maxRunKeyLength = Int(UInt16.max)
    /// The longest type tag stored in a header.
    public static let maxTypeLength = Int(UInt8.max)

    /// Flag bits of a frame.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The frame carries a run key.
        public static let hasRun = Flags(rawValue: 1 << 0)
        /// The frame carries a type tag.
        public static let hasType = Flags(rawValue: 1 << 1)
        /// The frame carries an event time.
        public static let hasTime = Flags(rawValue: 1 << 2)
        /// The record had a run key too long for the header (not stored).
        public static let runTooLong = Flags(rawValue: 1 << 3)
        /// The record had a type tag too long for the header (not stored).
        public static let typeTooLong = Flags(rawValue: 1 << 4)
        /// Every bit a version-1 frame may set.
        public static let known: Flags = [.hasRun, .hasType, .hasTime, .runTooLong, .typeTooLong]
    }

    public var crc: UInt32
    public var headerCRC: UInt32
    public var payloadLength: UInt32
    public var runLength: UInt16
    public var typeLength: UInt8
    public var flags: Flags
    public var sequence: UInt64
    public var time: Int64

    /// Total bytes of the frame: header, keys and payload.
    @inlinable
    public var frameLength: Int { Self.size + Int(runLength) + Int(typeLength) + Int(payloadLength) }

    /// Reads the header fields from 32 bytes at `p` (no checks).
    @inlinable
    public init(loadingFrom p: UnsafeRawPointer) {
        crc = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        headerCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        payloadLength = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        runLength = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        typeLength = p.load(fromByteOffset: 14, as: UInt8.self)
        flags = Flags(rawValue: p.load(fromByteOffset: 15, as: UInt8.self))
        sequence = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        time = Int64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: Int64.self))
    }

    /// Checks the header checksum of the frame at `p` (32 readable bytes).
    @inlinable
    public static func headerChecksumMatches(_ p: UnsafeRawPointer) -> Bool {
        let stored = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return stored == CRC32C.checksum(UnsafeRawBufferPointer(start: p + 8, count: 24))
    }

    /// Why the fields of a header whose checksum matched are still invalid, or nil.
    public func fieldProblem(expectedSequence: UInt64?) -> String? {
        if !flags.isSubset(of: .known) { return "reserved flag bits set (flags 0x\(String(flags.rawValue, radix: 16)))" }
        if Int(payloadLength) > Self.maxPayloadLength { return "payload length \(payloadLength) exceeds the 16 MiB limit" }
        if runLength != 0 && !flags.contains(.hasRun) { return "run key length \(runLength) without HAS_RUN" }
        if typeLength != 0 && !flags.contains(.hasType) { return "type length \(typeLength) without HAS_TYPE" }
        if time != 0 && !flags.contains(.hasTime) { return "time set without HAS_TIME" }
        if let expectedSequence, sequence != expectedSequence {
            return "sequence \(sequence) where \(expectedSequence) was expected"
        }
        return nil
    }
}
