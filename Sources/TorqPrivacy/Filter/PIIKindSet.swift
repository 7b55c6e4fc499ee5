/// A set of ``PIIKind``s as a bit mask, tested in the scanner's inner loop.
struct PIIKindSet: Sendable, Equatable {
    var bits: UInt16

    init(_ kinds: Set<PIIKind>) {
        bits = kinds.reduce(0) { $0 | (1 << UInt16($1.ordinal)) }
    }

    @inline(__always)
    func contains(_ kind: PIIKind) -> Bool { bits & (1 << UInt16(kind.ordinal)) != 0 }

    var isEmpty: Bool { bits == 0 }
}
