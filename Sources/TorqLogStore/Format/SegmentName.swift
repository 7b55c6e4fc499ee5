/// The names of segment files (FORMAT.md §1): the base sequence in 20
/// digits, then `.wal` or `.lz4`. (A ``SegmentFile`` is one such file of a store.)
public enum SegmentName {
    /// Extension of write-ahead-log segments.
    public static let walExtension = ".wal"

    /// `00000000000000000042.wal` for base sequence 42.
    public static func wal(_ base: UInt64) -> String { name(base, walExtension) }

    /// The base sequence of a WAL segment name, or nil if `name` is not one.
    public static func parseWAL(_ name: String) -> UInt64? { parse(name, walExtension) }

    /// Extension of sealed segments.
    public static let sealedExtension = ".lz4"

    /// `00000000000000000042.lz4` for base sequence 42.
    public static func sealed(_ base: UInt64) -> String { name(base, sealedExtension) }

    /// The base sequence of a sealed segment name, or nil if `name` is not one.
    public static func parseSealed(_ name: String) -> UInt64? { parse(name, sealedExtension) }

    /// The base sequence, zero-padded to 20 digits, followed by `fileExtension`.
    static func name(_ base: UInt64, _ fileExtension: String) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + fileExtension
    }

    /// The base sequence of `name` if it is 20 digits followed by `fileExtension`.
    static func parse(_ name: String, _ fileExtension: String) -> UInt64? {
        guard name.hasSuffix(fileExtension) else { return nil }
        let stem = name.dropLast(fileExtension.count)
        guard stem.utf8.count == 20, stem.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(stem)
    }
}
