/// RFC 3339 timestamps <-> nanoseconds since the Unix epoch (UTC), without
/// Foundation and without allocating on the parse path.
///
/// Accepted by ``parseNanoseconds(_:)`` (the whole buffer must match):
///
///     YYYY-MM-DD ( "T" | "t" | " " ) HH:MM:SS [ "." 1*DIGIT ] [ "Z" | "z" | ("+" | "-") HH:MM ]
///
/// - Fractions: any number of digits (at least one after the dot); digits
///   past the ninth are truncated, not rounded.
/// - Offset: `Z`/`z`, `+HH:MM` or `-HH:MM` (hours 00–23, minutes 00–59;
///   `-00:00` is UTC). A **missing offset is read as UTC** (common in logs
///   written by naive `isoformat()` calls).
/// - Ranges: month 01–12, day valid for the month (Gregorian leap years),
///   hour 00–23, minute 00–59, second 00–60.
/// - Leap seconds: second `60` is accepted in any minute and mapped to the
///   last nanosecond of that minute (`:59.999999999`, the given fraction is
///   ignored), so it never rolls over into the next minute or day and still
///   sorts after every earlier instant of that minute.
/// - Range: the result must fit in `Int64` nanoseconds
///   (1677-09-21T00:12:43.145224192Z ... 2262-04-11T23:47:16.854775807Z).
public enum RFC3339 {
    /// Parses an RFC 3339 timestamp (see the type documentation for the exact
    /// grammar) into nanoseconds since 1970-01-01T00:00:00Z, or nil if the
    /// bytes are not a valid timestamp or the instant overflows `Int64`.
    public static func parseNanoseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count >= 19 else { return nil }

        // Reads `width` ASCII digits at `at`; nil on a non-digit.
        @inline(__always) func number(_ at: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for index in at..<(at + width) {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }

        let separator = bytes[10]
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), var second = number(17, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var fraction: Int64 = 0
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            var scale: Int64 = 100_000_000
            while index < count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                fraction += Int64(digit) * scale
                scale /= 10 // becomes 0 after the ninth digit: the rest is truncated
                index += 1
            }
            guard index > start else { return nil }
        }
        if second == 60 {
            second = 59
            fraction = 999_999_999
        }

        var offsetSeconds: Int64 = 0
        if index < count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard count - index >= 6, bytes[index + 3] == UInt8(ascii: ":"),
                      let offsetHours = number(index + 1, 2), let offsetMinutes = number(index + 4, 2),
                      offsetHours <= 23, offsetMinutes <= 59
                else { return nil }
                offsetSeconds = offsetHours * 3600 + offsetMinutes * 60
                if bytes[index] == UInt8(ascii: "-") { offsetSeconds = -offsetSeconds }
                index += 6
            default:
                return nil
            }
        }
        guard index == count else { return nil }

        // Cannot overflow: |days| < 4 million for four-digit years.
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        // Before 1970 borrow one second so that Int64.min itself is reachable:
        // -9223372037 s * 1e9 alone would overflow before the fraction is added.
        let borrow: Int64 = seconds < 0 ? 1 : 0
        let (scaled, overflow1) = (seconds + borrow).multipliedReportingOverflow(by: 1_000_000_000)
        let (nanoseconds, overflow2) = scaled.addingReportingOverflow(fraction - borrow * 1_000_000_000)
        return overflow1 || overflow2 ? nil : nanoseconds
    }

    /// Convenience overload of `parseNanoseconds(_: UnsafeRawBufferPointer)`
    /// for a `String` (e.g. a command-line argument).
    public static func parseNanoseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseNanoseconds(UnsafeRawBufferPointer($0)) }
    }

    /// Formats nanoseconds since the Unix epoch as UTC RFC 3339, e.g.
    /// `2026-11-25T17:36:48.123456Z`.
    ///
    /// - Parameter fractionDigits: digits after the decimal point, clamped to
    ///   0...9 (0 omits the point). Extra precision is truncated, not rounded,
    ///   so the printed instant never lies after the real one.
    public static func format(nanoseconds: Int64, fractionDigits: Int = 6) -> String {
        String(unsafeUninitializedCapacity: maxFormattedLength) { buffer in
            write(nanoseconds: nanoseconds, fractionDigits: fractionDigits, to: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The longest text ``write(nanoseconds:fractionDigits:to:)`` writes.
    public static let maxFormattedLength = 30

    /// Writes what ``format(nanoseconds:fractionDigits:)`` returns into
    /// `out` (at least ``maxFormattedLength`` bytes), without allocating;
    /// returns the number of bytes written. Inlinable: the telemetry encoder
    /// writes one per event.
    @inlinable @inline(__always)
    public static func write(nanoseconds: Int64, fractionDigits: Int, to out: UnsafeMutableRawBufferPointer) -> Int {
        let digits = min(max(fractionDigits, 0), 9)
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)

        var index = 0
        @inline(__always) func put(_ value: Int64, width: Int) {
            var value = value
            for position in stride(from: index + width - 1, through: index, by: -1) {
                out[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            index += width
        }
        @inline(__always) func put(_ byte: Unicode.Scalar) {
            out[index] = UInt8(ascii: byte)
            index += 1
        }
        put(year, width: 4)
        put("-")
        put(month, width: 2)
        put("-")
        put(day, width: 2)
        put("T")
        put(secondOfDay / 3600, width: 2)
        put(":")
        put(secondOfDay / 60 % 60, width: 2)
        put(":")
        put(secondOfDay % 60, width: 2)
        if digits > 0 {
            put(".")
            var truncated = fraction
            for _ in digits..<9 { truncated /= 10 }
            put(truncated, width: digits)
        }
        put("Z")
        return index
    }

    // MARK: - Calendar arithmetic (Howard Hinnant's algorithms)

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (`days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                            // [0, 399]
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1 // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // [0, 146096]
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (`civil_from_days`).
    @inlinable @inline(__always)
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097                                                        // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365 // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)           // [0, 365]
        let mp = (5 * dayOfYear + 2) / 153                                                      // [0, 11]
        let day = dayOfYear - (153 * mp + 2) / 5 + 1                                            // [1, 31]
        let month = mp < 10 ? mp + 3 : mp - 9                                                   // [1, 12]
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
