/// The timestamp grammar of the compliance rule: RFC 3339 `date-time`
/// (section 5.6) with an explicit offset.
///
///     YYYY-MM-DD ("T" | "t") HH:MM:SS ["." 1*DIGIT] ("Z" | "z" | ("+" | "-") HH:MM)
///
/// Month 01–12; day valid for the month (Gregorian leap years); hour 00–23;
/// minute 00–59; second 00–60 (a leap second is accepted at any time);
/// offset hours 00–23 and minutes 00–59. Unlike the store's lenient
/// `RFC3339.parseNanoseconds`, a missing offset or a space separator is
/// invalid, and any year 0000–9999 is valid. ``pattern`` is the same grammar
/// as an ECMA-262 regular expression, for the JSON Schema.
package enum RFC3339Syntax {
    /// Whether `bytes` is exactly one valid timestamp.
    package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count >= 20 else { return false }
        @inline(__always) func digit(_ at: Int) -> Int? {
            let d = bytes[at] &- 48
            return d < 10 ? Int(d) : nil
        }
        @inline(__always) func two(_ at: Int) -> Int? {
            guard let a = digit(at), let b = digit(at + 1) else { return nil }
            return a * 10 + b
        }
        guard let y0 = digit(0), let y1 = digit(1), let y2 = digit(2), let y3 = digit(3),
              bytes[4] == 0x2D, let month = two(5), bytes[7] == 0x2D, let day = two(8),
              bytes[10] == 0x54 || bytes[10] == 0x74,
              let hour = two(11), bytes[13] == 0x3A, let minute = two(14), bytes[16] == 0x3A, let second = two(17),
              (1...12).contains(month), hour <= 23, minute <= 59, second <= 60
        else { return false }
        let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3
        guard day >= 1, day <= daysInMonth(year: year, month: month) else { return false }
        var index = 19
        if bytes[index] == 0x2E {
            index += 1
            let start = index
            while index < count, digit(index) != nil { index += 1 }
            guard index > start, index < count else { return false }
        }
        switch bytes[index] {
        case 0x5A, 0x7A:
            return index + 1 == count
        case 0x2B, 0x2D:
            guard count - index == 6, let oh = two(index + 1), bytes[index + 3] == 0x3A, let om = two(index + 4),
                  oh <= 23, om <= 59 else { return false }
            return true
        default:
            return false
        }
    }

    /// Whether `text` is exactly one valid timestamp.
    package static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The grammar as an ECMA-262 regular expression (also valid for
    /// Python's `re`): ASCII digit classes only, and `(?![\s\S])` rather than
    /// `$` for the end, since Python's `$` also matches before a final newline.
    package static let pattern: String = {
        let d = "[0-9]"
        let year = "\(d){4}"
        let leapYear = "(?:\(d){2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
        let date = "(?:"
            + "\(year)-(?:0[13578]|1[02])-(?:0[1-9]|[12]\(d)|3[01])"
            + "|\(year)-(?:0[469]|11)-(?:0[1-9]|[12]\(d)|30)"
            + "|\(year)-02-(?:0[1-9]|1\(d)|2[0-8])"
            + "|\(leapYear)-02-29"
            + ")"
        let time = "[Tt](?:[01]\(d)|2[0-3]):[0-5]\(d):(?:[0-5]\(d)|60)(?:\\.\(d)+)?"
        let offset = "(?:[Zz]|[+-](?:[01]\(d)|2[0-3]):[0-5]\(d))"
        return "^" + date + time + offset + "(?![\\s\\S])"
    }()
}
