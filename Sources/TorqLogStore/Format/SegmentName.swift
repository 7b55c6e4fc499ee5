/// File names of store files (FORMAT.md §1).
public enum SegmentName {
    /// Extension of write-ahead-log segments.
    public static let walExtension = ".wal"

    /// `00000000000000000042.wal` for base sequence 42.
    public static func wal(_ base: UInt64) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + walExtension
    }

    /// The base sequence of a WAL segment name, or nil if `name` is not one.
    public static func parseWAL(_ name: String) -> UInt64? {
        guard name.hasSuffix(walExtension) else { return nil }
        let stem = name.dropLast(walExtension.count)
        guard stem.utf8.count == 20, stem.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(stem)
    }
}
