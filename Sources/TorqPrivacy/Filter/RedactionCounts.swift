/// How many matches a ``PIIFilter`` replaced, per ``PIIKind``.
///
/// A fixed-size value (no allocation): create one, pass it `inout` to every
/// call, and add counts from several threads or sources with `+=`.
public struct RedactionCounts: Sendable, Equatable, CustomStringConvertible {
    /// One counter per kind, at the kind's ordinal.
    private var storage = SIMD16<Int>(repeating: 0)

    /// All counts zero.
    public init() {}

    /// The number of `kind` matches replaced.
    public subscript(kind: PIIKind) -> Int {
        get { storage[kind.ordinal] }
        set { storage[kind.ordinal] = newValue }
    }

    /// Matches replaced, of every kind.
    public var total: Int { storage.wrappedSum() }

    /// Whether nothing was replaced.
    public var isEmpty: Bool { storage == SIMD16(repeating: 0) }

    /// The kinds with a non-zero count and their counts, in `PIIKind.allCases` order.
    public var nonZero: [(kind: PIIKind, count: Int)] {
        PIIKind.allCases.compactMap { storage[$0.ordinal] > 0 ? ($0, storage[$0.ordinal]) : nil }
    }

    /// Adds `other`'s counts to these.
    public mutating func merge(_ other: RedactionCounts) { storage &+= other.storage }

    /// Adds `rhs`'s counts to `lhs`'s.
    public static func += (lhs: inout RedactionCounts, rhs: RedactionCounts) { lhs.merge(rhs) }

    /// Adds one to `kind`'s count.
    @inline(__always)
    mutating func record(_ kind: PIIKind) { storage[kind.ordinal] &+= 1 }

    /// `email 2, phone 1` (kinds with a non-zero count, by raw value), or `none`.
    public var description: String {
        let parts = nonZero.map { "\($0.kind.rawValue) \($0.count)" }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
