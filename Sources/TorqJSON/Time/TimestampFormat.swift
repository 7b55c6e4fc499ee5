/// Formats nanoseconds since the Unix epoch as a quoted UTC RFC 3339
/// timestamp, without allocating (the store's ``RFC3339`` formatter, in quotes).
@usableFromInline enum TimestampFormat {
    /// Writes `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` (quotes included) to `out`
    /// (at least 32 bytes), with 9 fraction digits when the value is not a
    /// whole microsecond; returns the number of bytes written.
    @inlinable static func write(_ nanoseconds: Int64, to out: UnsafeMutableRawBufferPointer) -> Int {
        out[0] = 0x22
        let digits = nanoseconds % 1000 == 0 ? 6 : 9
        let written = RFC3339.write(nanoseconds: nanoseconds, fractionDigits: digits,
                                    to: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
        out[1 + written] = 0x22
        return written + 2
    }
}
