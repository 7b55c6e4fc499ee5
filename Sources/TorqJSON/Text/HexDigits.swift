/// Lowercase hexadecimal of 64-bit words.
public enum HexDigits {
    /// `value` as 16 lowercase hex digits.
    package static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, to: buffer.baseAddress.map { UnsafeMutableRawPointer($0) })
            return buffer.baseAddress == nil ? 0 : 16
        }
    }

    /// Writes `value` as 16 lowercase hex digits at `out` (16 writable bytes).
    @inline(__always)
    @inlinable public static func write(_ value: UInt64, to out: UnsafeMutableRawPointer?) {
        guard let out else { return }
        out.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value >> 32)), as: UInt64.self)
        out.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value)), toByteOffset: 8, as: UInt64.self)
    }

    /// The 8 lowercase hex digits of `value`, as the bytes of a word in
    /// memory order (most significant digit first), computed without branches.
    @inline(__always)
    @inlinable public static func eightDigits(_ value: UInt32) -> UInt64 {
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
    package static func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
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
