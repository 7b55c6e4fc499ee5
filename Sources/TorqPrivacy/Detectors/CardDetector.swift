import TorqJSON
/// Finds payment card numbers: 13–19 digits that pass the Luhn check, either
/// contiguous or grouped with single spaces or single dashes (one kind of
/// separator throughout, a first group of four digits, then groups of 3–6:
/// `4111 1111 1111 1111`, `3782-822463-10005`).
///
/// The first digit must be 2–6 (the issuer ranges of Mastercard, Amex,
/// Diners, JCB, Visa, Discover, UnionPay, Maestro): millisecond and
/// nanosecond timestamps (`1700000000000`) and other numbers starting with 1,
/// 7, 8 or 9 are never cards. A digit run that is part of a longer number or
/// word is not a card either.
enum CardDetector {
    /// The end of the card number starting at `i` (a digit), or nil.
    static func match(_ t: ScanText, at i: Int) -> Int? {
        let first = t[i]
        guard first >= UInt8(ascii: "2"), first <= UInt8(ascii: "6"), !t.continuesNumber(before: i) else { return nil }
        let run = t.end(of: ASCII.isDigit, from: i) - i
        if run >= 13 {
            guard run <= 19, !t.continuesNumber(at: i + run), luhn(t, i, i + run) else { return nil }
            return i + run
        }
        guard run == 4 else { return nil }
        let sep = t[i + 4]
        guard sep == UInt8(ascii: " ") || sep == UInt8(ascii: "-") else { return nil }
        var j = i + 4
        var digits = 4
        var best: Int?
        while t[j] == sep, ASCII.isDigit(t[j + 1]) {
            let e = t.end(of: ASCII.isDigit, from: j + 1)
            let g = e - j - 1
            guard (3...6).contains(g), !ASCII.isWord(t[e]) else { break }
            digits += g
            if digits > 19 { break }
            j = e
            if digits >= 13, !(t[j] == UInt8(ascii: ".") && ASCII.isDigit(t[j + 1])), luhn(t, i, j) { best = j }
        }
        return best
    }

    /// Whether the digits in `from ..< to` (other bytes skipped) pass the Luhn check.
    static func luhn(_ t: ScanText, _ from: Int, _ to: Int) -> Bool {
        var sum = 0
        var double = false
        var k = to - 1
        while k >= from {
            let c = t[k]
            if ASCII.isDigit(c) {
                var d = Int(c &- 0x30)
                if double {
                    d *= 2
                    if d > 9 { d -= 9 }
                }
                sum += d
                double.toggle()
            }
            k -= 1
        }
        return sum % 10 == 0
    }
}
