/// Finds US social security numbers written `123-45-6789`, excluding numbers
/// never issued: area 000, 666 or 900–999, group 00, serial 0000. The
/// number must stand alone (not inside a longer dashed or dotted number).
enum SSNDetector {
    /// The end of the number starting at `i` (a digit), or nil.
    static func match(_ t: ScanText, at i: Int) -> Int? {
        guard PhoneDetector.digits(t, at: i, 3), t[i + 3] == UInt8(ascii: "-"),
              PhoneDetector.digits(t, at: i + 4, 2), t[i + 6] == UInt8(ascii: "-"),
              PhoneDetector.digits(t, at: i + 7, 4),
              !t.continuesNumber(before: i), !t.continuesNumber(at: i + 11) else { return nil }
        let area = value(t, i, 3), group = value(t, i + 4, 2), serial = value(t, i + 7, 4)
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return nil }
        return i + 11
    }

    /// The decimal value of the `n` digits at `i`.
    @inline(__always)
    static func value(_ t: ScanText, _ i: Int, _ n: Int) -> Int {
        var v = 0
        for k in 0..<n { v = v * 10 + Int(t[i + k] &- 0x30) }
        return v
    }
}
