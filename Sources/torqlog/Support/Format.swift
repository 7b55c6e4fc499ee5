#if canImport(Glibc)
import Glibc
#endif

/// Number formatting without Foundation.
enum Format {
    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buf, 64, "%.\(digits)f", $0) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `1.5 MB`, `320 kB`, `12 B` (decimal units).
    static func bytes(_ n: Int64) -> String {
        let d = Double(n)
        if d >= 1e9 { return fixed(d / 1e9, 2) + " GB" }
        if d >= 1e6 { return fixed(d / 1e6, 1) + " MB" }
        if d >= 1e3 { return fixed(d / 1e3, 1) + " kB" }
        return "\(n) B"
    }

    /// A duration in milliseconds, compact: `+1.234s`, `+12ms`.
    static func offset(nanoseconds ns: Int64) -> String {
        let sign = ns < 0 ? "-" : "+"
        let a = Double(abs(ns))
        if a >= 60e9 { return sign + fixed(a / 60e9, 1) + "m" }
        if a >= 1e9 { return sign + fixed(a / 1e9, 3) + "s" }
        return sign + fixed(a / 1e6, 1) + "ms"
    }

    /// `s` padded with spaces to `width` characters.
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// A JSON string literal of `s`.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
