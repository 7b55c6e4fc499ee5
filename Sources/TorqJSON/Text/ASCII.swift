/// ASCII byte classes for the PII detectors. Bytes of 0x80 and above are in
/// no class: detectors match ASCII only.
package enum ASCII {
    @inline(__always) package static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) package static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always) package static func isLower(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
    @inline(__always) package static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    @inline(__always) package static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    /// Letters, digits and `_`: the characters of a word (`\w`).
    @inline(__always) package static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x5F }
    @inline(__always) package static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
    /// Upper-case letters and digits (AWS key ids).
    @inline(__always) package static func isUpperAlnum(_ c: UInt8) -> Bool { isDigit(c) || isUpper(c) }
    /// The base64url alphabet: letters, digits, `-`, `_`.
    @inline(__always) package static func isBase64URL(_ c: UInt8) -> Bool { isWord(c) || c == 0x2D }
    /// RFC 7235 token68 characters except the trailing `=`: letters, digits, `-._~+/`.
    @inline(__always) package static func isToken68(_ c: UInt8) -> Bool {
        if isAlnum(c) { return true }
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"): return true
        default: return false
        }
    }
    /// A phone-number group separator: space, `.`, `-`.
    @inline(__always) package static func isPhoneSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x2E || c == 0x2D
    }
    /// The lower-case form of an ASCII letter; other bytes unchanged.
    @inline(__always) package static func lower(_ c: UInt8) -> UInt8 { isUpper(c) ? c | 0x20 : c }
}
