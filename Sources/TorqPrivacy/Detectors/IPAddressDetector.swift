import TorqJSON
/// Finds IPv4 and IPv6 addresses.
///
/// - IPv4: four decimal octets 0–255 (no leading zeros) separated by dots,
///   standing alone: not part of a longer dotted number such as a version
///   `1.2.3.4.5`, not followed by a word character.
/// - IPv6: hex groups of 1–4 digits separated by colons, eight of them, or
///   fewer with one `::`, optionally ending in an embedded IPv4 address
///   (`::ffff:192.0.2.1`); at least one hex group (a lone `::` is not an
///   address). Times (`12:30:45`), MAC addresses and `a::b` inside words are
///   not addresses: they do not have the right number of groups, or do not
///   start at a word boundary.
enum IPAddressDetector {
    /// The end of the IPv4 address starting at `i` (a digit), or nil.
    static func ipv4(_ t: ScanText, at i: Int) -> Int? {
        guard !t.continuesNumber(before: i), let e = dottedQuad(t, at: i), !t.continuesNumber(at: e) else { return nil }
        return e
    }

    /// The end of four dotted octets starting at `i`, or nil.
    static func dottedQuad(_ t: ScanText, at i: Int) -> Int? {
        var j = i
        for k in 0..<4 {
            if k > 0 {
                guard t[j] == UInt8(ascii: ".") else { return nil }
                j += 1
            }
            let e = t.end(of: ASCII.isDigit, from: j)
            let n = e - j
            guard n >= 1, n <= 3, n == 1 || t[j] != UInt8(ascii: "0"), SSNDetector.value(t, j, n) <= 255 else { return nil }
            j = e
        }
        return j
    }

    @inline(__always)
    private static func isRun(_ c: UInt8) -> Bool {
        ASCII.isHex(c) || c == UInt8(ascii: ":") || c == UInt8(ascii: ".")
    }

    /// The end of the IPv6 address starting at `i` (a hex digit or `:`), or nil.
    ///
    /// - Parameter memo: no address starts before this position (set to the
    ///   end of a run of hex digits, colons and dots that is not an address).
    static func ipv6(_ t: ScanText, at i: Int, memo: inout Int) -> Int? {
        guard i >= memo else { return nil }
        // Not the middle of a run (`12:30:45` seen from `30`).
        let p = t[i - 1]
        if p == UInt8(ascii: ":") || p == UInt8(ascii: ".") {
            let q = t[i - 2]
            if ASCII.isWord(q) || q == UInt8(ascii: ":") || q == UInt8(ascii: ".") { return nil }
        }
        let runEnd = t.end(of: isRun, from: i)
        var end = runEnd
        while end > i, t[end - 1] == UInt8(ascii: ".") { end -= 1 }
        if end - i >= 2, t[end - 1] == UInt8(ascii: ":"), t[end - 2] != UInt8(ascii: ":") { end -= 1 }
        guard end - i <= 45, end - i >= 3, !(end == runEnd && ASCII.isWord(t[runEnd])),
              isIPv6(t, i, end) else {
            memo = runEnd
            return nil
        }
        return end
    }

    /// Whether `s ..< e` is exactly one IPv6 address.
    private static func isIPv6(_ t: ScanText, _ s: Int, _ e: Int) -> Bool {
        var p = s
        var groups = 0
        var compressed = false
        if t[p] == UInt8(ascii: ":") {
            guard t[p + 1] == UInt8(ascii: ":") else { return false }
            compressed = true
            p += 2
        }
        while p < e {
            let h = min(t.end(of: ASCII.isHex, from: p), e)
            if h < e, t[h] == UInt8(ascii: ".") {
                guard groups <= 6, let q = dottedQuad(t, at: p), q == e else { return false }
                groups += 2
                p = e
                break
            }
            guard h - p >= 1, h - p <= 4 else { return false }
            groups += 1
            p = h
            if p == e { break }
            guard t[p] == UInt8(ascii: ":") else { return false }
            p += 1
            if t[p] == UInt8(ascii: ":") {
                guard !compressed else { return false }
                compressed = true
                p += 1
            } else if p >= e {
                return false
            }
        }
        return compressed ? (1...7).contains(groups) : groups == 8
    }
}
