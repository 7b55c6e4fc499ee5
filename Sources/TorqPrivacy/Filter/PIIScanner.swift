import TorqJSON
/// Finds PII in text, left to right, with one hand-written detector per kind.
///
/// Detection starts only at word boundaries (a byte whose predecessor is not
/// a letter, digit or `_`), dispatched on the byte found there, so a pass over
/// text with nothing to find costs a byte-class test per byte and a few
/// comparisons per word. Detectors that scan unbounded runs keep a memo of
/// where they last failed, so no text is scanned more than a bounded number
/// of times. At one position the kinds are tried in a fixed order (e-mail,
/// the secrets, card, SSN, phone, IPv4, IPv6); the first match wins and the
/// scan resumes after it, so matches never overlap.
struct PIIScanner: Sendable {
    let kinds: PIIKindSet

    init(kinds: PIIKindSet) {
        self.kinds = kinds
    }

    /// Per-text state: quick facts about the text and the detectors' memos.
    struct Memo {
        /// The text contains `@` (else no e-mail can match).
        var hasAt: Bool
        /// The text contains two `:` or more (else no IPv6 address can match).
        var hasColons: Bool
        var email = 0
        var ipv6 = 0
        var jwt = 0
        var apiKey = APIKeyDetector.Memo()
    }

    /// The state for scanning `t`: call once per text, before ``firstMatch(in:from:memo:)``.
    @inline(__always)
    func begin(_ t: ScanText) -> Memo {
        // One pass, eight bytes at a time: is there an `@`, are there two `:`?
        let base = UnsafeRawPointer(t.base), n = t.count
        var at = false
        var colons = 0
        var i = 0
        while i + 8 <= n {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if !at && Self.hasByte(w, 0x40) { at = true }
            colons += Self.countByte(w, 0x3A)
            i += 8
        }
        while i < n {
            let c = t.base[i]
            if c == 0x40 { at = true } else if c == 0x3A { colons += 1 }
            i += 1
        }
        return Memo(hasAt: at && kinds.contains(.email), hasColons: colons >= 2 && kinds.contains(.ipv6))
    }

    /// Whether a byte of `w` equals `b`.
    @inline(__always)
    private static func hasByte(_ w: UInt64, _ b: UInt8) -> Bool {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    /// The number of bytes of `w` equal to `b` (exact: no borrow between bytes).
    @inline(__always)
    private static func countByte(_ w: UInt64, _ b: UInt8) -> Int {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
        // High bit of each byte set iff the byte is non-zero.
        let nonZero = ((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x
        return 8 - (nonZero & 0x8080_8080_8080_8080).nonzeroBitCount
    }

    /// The first match starting at or after `from`, or nil.
    func firstMatch(in t: ScanText, from: Int, memo: inout Memo) -> PIIMatch? {
        let base = t.base, n = t.count
        var i = from
        if i < n && ASCII.isWord(t[i - 1]) {
            // Not a boundary: skip the rest of the word.
            while i < n && ASCII.isWord(base[i]) { i += 1 }
        }
        while i < n {
            let c = base[i]
            if ASCII.isWord(c) {
                // A word starts: try the detectors that can start with `c`, then skip the word.
                if mayStart(c, memo), let m = match(t, at: i, c, &memo) { return m }
                i += 1
                while i < n && ASCII.isWord(base[i]) { i += 1 }
                continue
            }
            switch c {
            case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "("), UInt8(ascii: ":"):
                if !ASCII.isWord(t[i - 1]), let m = match(t, at: i, c, &memo) { return m }
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// Whether some enabled detector can match from a word starting with `c`
    /// (a cheap test that spares most words of prose the full dispatch).
    @inline(__always)
    private func mayStart(_ c: UInt8, _ memo: Memo) -> Bool {
        if ASCII.isDigit(c) || memo.hasAt { return true }
        switch c {
        case UInt8(ascii: "e"), UInt8(ascii: "s"), UInt8(ascii: "g"), UInt8(ascii: "A"), UInt8(ascii: "x"),
             UInt8(ascii: "b"), UInt8(ascii: "B"):
            return true
        default:
            return memo.hasColons && ASCII.isHex(c)
        }
    }

    /// Tries every enabled detector that can start with `c` at the boundary `i`.
    private func match(_ t: ScanText, at i: Int, _ c: UInt8, _ memo: inout Memo) -> PIIMatch? {
        if ASCII.isDigit(c) {
            if memo.hasAt, kinds.contains(.email), let e = EmailDetector.match(t, at: i, memo: &memo.email) {
                return PIIMatch(start: i, end: e, kind: .email)
            }
            if kinds.contains(.card), let e = CardDetector.match(t, at: i) { return PIIMatch(start: i, end: e, kind: .card) }
            if kinds.contains(.ssn), let e = SSNDetector.match(t, at: i) { return PIIMatch(start: i, end: e, kind: .ssn) }
            if kinds.contains(.phone), let e = PhoneDetector.match(t, at: i) { return PIIMatch(start: i, end: e, kind: .phone) }
            if kinds.contains(.ipv4), let e = IPAddressDetector.ipv4(t, at: i) { return PIIMatch(start: i, end: e, kind: .ipv4) }
            if memo.hasColons, let e = IPAddressDetector.ipv6(t, at: i, memo: &memo.ipv6) {
                return PIIMatch(start: i, end: e, kind: .ipv6)
            }
            return nil
        }
        if ASCII.isAlpha(c) || c == UInt8(ascii: "_") {
            switch c {
            case UInt8(ascii: "e"):
                if kinds.contains(.jwt), let e = JWTDetector.match(t, at: i, memo: &memo.jwt) {
                    return PIIMatch(start: i, end: e, kind: .jwt)
                }
            case UInt8(ascii: "s"), UInt8(ascii: "g"), UInt8(ascii: "A"), UInt8(ascii: "x"):
                if kinds.contains(.apiKey), let e = APIKeyDetector.match(t, at: i, memo: &memo.apiKey) {
                    return PIIMatch(start: i, end: e, kind: .apiKey)
                }
            case UInt8(ascii: "b"), UInt8(ascii: "B"):
                if kinds.contains(.bearer), let r = BearerDetector.match(t, at: i) {
                    return PIIMatch(start: r.lowerBound, end: r.upperBound, kind: .bearer)
                }
            default:
                break
            }
            if memo.hasAt, let e = EmailDetector.match(t, at: i, memo: &memo.email) {
                return PIIMatch(start: i, end: e, kind: .email)
            }
            if memo.hasColons, ASCII.isHex(c), let e = IPAddressDetector.ipv6(t, at: i, memo: &memo.ipv6) {
                return PIIMatch(start: i, end: e, kind: .ipv6)
            }
            return nil
        }
        switch c {
        case UInt8(ascii: "-"):
            if kinds.contains(.privateKey), let e = PrivateKeyDetector.match(t, at: i) {
                return PIIMatch(start: i, end: e, kind: .privateKey)
            }
        case UInt8(ascii: "+"), UInt8(ascii: "("):
            if kinds.contains(.phone), let e = PhoneDetector.match(t, at: i) { return PIIMatch(start: i, end: e, kind: .phone) }
        case UInt8(ascii: ":"):
            if memo.hasColons, let e = IPAddressDetector.ipv6(t, at: i, memo: &memo.ipv6) {
                return PIIMatch(start: i, end: e, kind: .ipv6)
            }
        default:
            break
        }
        return nil
    }

    /// `t` with every match replaced by its kind's replacement text, or nil
    /// when nothing matched (then nothing is allocated).
    func redact(_ t: ScanText, counts: inout RedactionCounts) -> [UInt8]? {
        var memo = begin(t)
        guard var m = firstMatch(in: t, from: 0, memo: &memo) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(t.count + 32)
        var copied = 0
        while true {
            out.append(contentsOf: UnsafeBufferPointer(start: t.base + copied, count: m.start - copied))
            Self.appendReplacement(m.kind, to: &out)
            counts.record(m.kind)
            copied = m.end
            guard let next = firstMatch(in: t, from: m.end, memo: &memo) else { break }
            m = next
        }
        out.append(contentsOf: UnsafeBufferPointer(start: t.base + copied, count: t.count - copied))
        return out
    }

    /// Appends `[REDACTED:KIND]` to `out`.
    @inline(__always)
    static func appendReplacement(_ kind: PIIKind, to out: inout [UInt8]) {
        let r = kind.replacementBytes
        out.append(contentsOf: UnsafeBufferPointer(start: r.utf8Start, count: r.utf8CodeUnitCount))
    }
}
