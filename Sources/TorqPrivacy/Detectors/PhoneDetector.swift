import TorqJSON
/// Finds telephone numbers.
///
/// - International: `+` then digit groups separated by single spaces, dots or
///   dashes, optionally a group in parentheses (`+44 (0)20 7946 0958`),
///   8–15 digits in all (E.164); a lone dot is read as a decimal point
///   (`+1234.5678` is not a number to redact).
/// - North-American: `(555) 123-4567`, `555-123-4567`, `555.123.4567`,
///   `555 123 4567`, optionally after `1-`, `1.` or `1 `; the area code starts
///   with 2–9 and the two separators of the unbracketed form are the same.
///   Ten digits without separators are a plain number, not a phone.
///
/// A number that continues (more digits, `-`/`.` and a digit) or that follows
/// a digit and `-`, `.`, `:` is not a phone number.
enum PhoneDetector {
    /// The end of the phone number starting at `i` (a `+`, `(` or digit), or nil.
    static func match(_ t: ScanText, at i: Int) -> Int? {
        let c = t[i]
        if c == UInt8(ascii: "+") {
            guard !ASCII.isDigit(t[i - 1]) else { return nil }
            return international(t, at: i)
        }
        guard !t.continuesNumber(before: i) else { return nil }
        return northAmerican(t, at: i)
    }

    private static func international(_ t: ScanText, at i: Int) -> Int? {
        var j = i + 1
        guard ASCII.isDigit(t[j]) else { return nil }
        var digits = 0
        var dots = 0
        var end = j
        var afterParen = false
        while true {
            // One group at j.
            if t[j] == UInt8(ascii: "(") {
                let e = t.end(of: ASCII.isDigit, from: j + 1)
                guard e > j + 1, e - j - 1 <= 4, t[e] == UInt8(ascii: ")") else { break }
                digits += e - j - 1
                j = e + 1
                afterParen = true
            } else if ASCII.isDigit(t[j]) {
                let e = t.end(of: ASCII.isDigit, from: j)
                digits += e - j
                j = e
                afterParen = false
            } else {
                break
            }
            end = j
            if digits > 15 { return nil }
            // A separator, then the next group.
            let s = t[j]
            if ASCII.isPhoneSeparator(s), ASCII.isDigit(t[j + 1]) || t[j + 1] == UInt8(ascii: "(") {
                if s == UInt8(ascii: ".") { dots += 1 }
                j += 1
            } else if afterParen, ASCII.isDigit(t[j]) {
                continue
            } else {
                break
            }
        }
        guard (8...15).contains(digits), dots != 1, !t.continuesNumber(at: end) else { return nil }
        return end
    }

    private static func northAmerican(_ t: ScanText, at start: Int) -> Int? {
        var j = start
        if t[j] == UInt8(ascii: "1"), ASCII.isPhoneSeparator(t[j + 1]),
           ASCII.isDigit(t[j + 2]) || t[j + 2] == UInt8(ascii: "(") {
            j += 2
        }
        if t[j] == UInt8(ascii: "(") {
            guard digits(t, at: j + 1, 3), t[j + 1] >= UInt8(ascii: "2"), t[j + 4] == UInt8(ascii: ")") else { return nil }
            j += 5
            if t[j] == UInt8(ascii: " ") { j += 1 }
            guard digits(t, at: j, 3) else { return nil }
            j += 3
            if ASCII.isPhoneSeparator(t[j]), ASCII.isDigit(t[j + 1]) { j += 1 }
            guard digits(t, at: j, 4) else { return nil }
            j += 4
        } else {
            guard digits(t, at: j, 3), t[j] >= UInt8(ascii: "2") else { return nil }
            let s = t[j + 3]
            guard ASCII.isPhoneSeparator(s), digits(t, at: j + 4, 3), t[j + 7] == s, digits(t, at: j + 8, 4) else { return nil }
            j += 12
        }
        guard !t.continuesNumber(at: j) else { return nil }
        return j
    }

    /// Whether `n` digits start at `i` (not whether more follow).
    @inline(__always)
    static func digits(_ t: ScanText, at i: Int, _ n: Int) -> Bool {
        for k in 0..<n where !ASCII.isDigit(t[i + k]) { return false }
        return true
    }
}
