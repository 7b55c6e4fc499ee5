/// The 32-byte header at the start of every WAL segment file (FORMAT.md §2.1).
public struct SegmentHeader: Sendable, Equatable {
    /// `TQLGWAL\n`.
    public static let magic: [UInt8] = Array("TQLGWAL\n".utf8)
    /// The format version this code writes.
    public static let currentVersion: UInt32 = 1
    /// Size of the header in bytes.
    public static let size = 32

    /// Format version of the segment.
    public var version: UInt32
    /// Sequence number of the segment's first record; equals the number in its file name.
    public var baseSequence: UInt64

    /// A header for a new segment of the current version.
    public init(baseSequence: UInt64, version: UInt32 = SegmentHeader.currentVersion) {
        self.version = version
        self.baseSequence = baseSequence
    }

    /// The header's 32 bytes.
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { raw in
            for (i, b) in Self.magic.enumerated() { raw[i] = b }
            raw.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: UInt32(Self.size).littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: baseSequence.littleEndian, toByteOffset: 16, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self)
        }
        return bytes
    }

    /// Decodes and checks a header; the error names what is wrong.
    public static func decode(_ raw: UnsafeRawBufferPointer) -> Result<SegmentHeader, HeaderProblem> {
        guard raw.count >= size else { return .failure(.truncated(raw.count)) }
        guard Array(raw[0..<8]) == magic else { return .failure(.badMagic) }
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
        guard stored == computed else { return .failure(.checksum(stored: stored, computed: computed)) }
        let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == 1 else { return .failure(.unsupportedVersion(version)) }
        let length = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard length == UInt32(size) else { return .failure(.badLength(length)) }
        let base = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        return .success(SegmentHeader(baseSequence: base, version: version))
    }

    /// Why a segment header did not decode.
    public enum HeaderProblem: Error, Sendable, CustomStringConvertible {
        case truncated(Int)
        case badMagic
        case checksum(stored: UInt32, computed: UInt32)
        case unsupportedVersion(UInt32)
        case badLength(UInt32)

        public var description: String {
            switch self {
            case .truncated(let n): return "segment header truncated (\(n) of 32 bytes)"
            case .badMagic: return "not a torqlog WAL segment (bad magic)"
            case .checksum(let s, let c):
                return "segment header checksum mismatch (stored \(hex(s)), computed \(hex(c)))"
            case .unsupportedVersion(let v): return "unsupported segment format version \(v)"
            case .badLength(let l): return "unexpected segment header length \(l)"
            }
        }
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
