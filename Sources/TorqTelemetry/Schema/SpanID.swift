/// A W3C span id: 8 bytes, written as 16 lowercase hexadecimal digits.
/// The all-zero id is invalid and never produced.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public let value: UInt64

    /// The id `value`; nil when it is zero.
    public init?(_ value: UInt64) {
        guard value != 0 else { return nil }
        self.value = value
    }

    /// Parses exactly 16 lowercase hex digits; nil for anything else or all zeros.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16, let value = HexDigits.parse(utf8[...]) else { return nil }
        self.init(value)
    }

    /// A random id from `generator` (never zero).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SpanID {
        let value = generator.next() as UInt64
        return SpanID(checked: value == 0 ? 1 : value)
    }

    private init(checked value: UInt64) { self.value = value }

    /// The 16 lowercase hex digits.
    public var description: String { HexDigits.string(value) }
}

extension SpanID: Codable {
    /// Decodes the 16 lowercase hex digits.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = SpanID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a span id (16 lowercase hex digits, not all zero): \(text)")
        }
        self = id
    }

    /// Encodes the 16 lowercase hex digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Lowercase hexadecimal of 64-bit words.
enum HexDigits {
    /// `value` as 16 lowercase hex digits.
    static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, to: buffer.baseAddress.map { UnsafeMutableRawPointer($0) })
            return buffer.baseAddress == nil ? 0 : 16
        }
    }

    /// Writes `value` as 16 lowercase hex digits at `out` (16 writable bytes).
    @inline(__always)
    static func write(_ value: UInt64, to out: UnsafeMutableRawPointer?) {
        guard let out else { return }
        out.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value >> 32)), as: UInt64.self)
        out.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value)), toByteOffset: 8, as: UInt64.self)
    }

    /// The 8 lowercase hex digits of `value`, as the bytes of a word in
    /// memory order (most significant digit first), computed without branches.
    @inline(__always)
    static func eightDigits(_ value: UInt32) -> UInt64 {
        // Spread the nibbles so that byte k holds nibble k (least significant first).
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // '0' + n, plus 39 more for n >= 10 ('a' - '0' - 10).
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        x = x &+ 0x3030_3030_3030_3030 &+ letters &* 39
        return UInt64(bigEndian: x)
    }

    /// Parses lowercase hex digits (at most 16) into a word; nil on any other byte.
    static func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
