/// Formats nanoseconds since the Unix epoch as a quoted UTC RFC 3339
/// timestamp, without allocating.
enum TimestampFormat {
    /// Writes `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` (quotes included) to `out`
    /// (at least 32 bytes), with 9 fraction digits when the value is not a
    /// whole microsecond; returns the number of bytes written.
    static func write(_ nanoseconds: Int64, to out: UnsafeMutableRawBufferPointer) -> Int {
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
        let (year, month, day) = civil(fromDays: days)
        var at = 0
        @inline(__always) func put(_ byte: UInt8) {
            out[at] = byte
            at += 1
        }
        @inline(__always) func digits(_ value: Int64, _ width: Int) {
            var v = value
            var i = at + width - 1
            while i >= at {
                out[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                i -= 1
            }
            at += width
        }
        put(0x22)
        digits(year, 4); put(0x2D); digits(month, 2); put(0x2D); digits(day, 2)
        put(0x54)
        digits(secondOfDay / 3600, 2); put(0x3A); digits(secondOfDay / 60 % 60, 2); put(0x3A); digits(secondOfDay % 60, 2)
        put(0x2E)
        if fraction % 1000 == 0 {
            digits(fraction / 1000, 6)
        } else {
            digits(fraction, 9)
        }
        put(0x5A)
        put(0x22)
        return at
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
