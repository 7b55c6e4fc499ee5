import TorqJSON
/// Finds e-mail addresses: `local@domain.tld`.
///
/// The local part is 1–64 characters of letters, digits and `._%+-`, starting
/// with a letter, digit or `_` at a word boundary and not ending with `.`;
/// the domain is at least two dot-separated labels of letters, digits and
/// `-` (not at a label's start or end), the last one (the TLD) two or more
/// letters. A trailing full stop is not part of the address.
enum EmailDetector {
    @inline(__always)
    static func isLocal(_ c: UInt8) -> Bool {
        if ASCII.isWord(c) { return true }
        switch c {
        case UInt8(ascii: "."), UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    @inline(__always)
    static func isLabel(_ c: UInt8) -> Bool { ASCII.isAlnum(c) || c == UInt8(ascii: "-") }

    /// The end of the address starting at `i`, or nil.
    ///
    /// - Parameter memo: no address starts before this position (updated on
    ///   failure: every start inside a local part that is not followed by a
    ///   valid `@domain` fails the same way, so the text is scanned once).
    static func match(_ t: ScanText, at i: Int, memo: inout Int) -> Int? {
        guard i >= memo, ASCII.isWord(t[i]) else { return nil }
        let at = t.end(of: isLocal, from: i)
        guard t[at] == UInt8(ascii: "@"), at - i <= 64, t[at - 1] != UInt8(ascii: "."),
              let end = domainEnd(t, from: at + 1) else {
            memo = at
            return nil
        }
        return end
    }

    /// The end of a valid domain starting at `start`, or nil.
    private static func domainEnd(_ t: ScanText, from start: Int) -> Int? {
        var k = start
        var labels = 0
        var lastStart = start, lastEnd = start
        while true {
            let e = t.end(of: isLabel, from: k)
            guard e > k, e - k <= 63, t[k] != UInt8(ascii: "-"), t[e - 1] != UInt8(ascii: "-") else { return nil }
            labels += 1
            lastStart = k
            lastEnd = e
            if t[e] == UInt8(ascii: "."), ASCII.isAlnum(t[e + 1]) { k = e + 1 } else { break }
        }
        guard labels >= 2, lastEnd - lastStart >= 2, !ASCII.isWord(t[lastEnd]) else { return nil }
        for k in lastStart..<lastEnd where !ASCII.isAlpha(t[k]) { return nil }
        return lastEnd
    }
}
