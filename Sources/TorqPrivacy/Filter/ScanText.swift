import TorqJSON
/// A read-only view of the bytes a PII detector looks at (UTF-8 text, decoded
/// from JSON when needed), with bounds-safe access: reading outside the text
/// yields 0, which belongs to no byte class, so detectors can look ahead and
/// behind without checking positions.
struct ScanText {
    let base: UnsafePointer<UInt8>
    let count: Int

    @inline(__always)
    init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// The byte at `i`, or 0 outside `0 ..< count`.
    @inline(__always)
    subscript(_ i: Int) -> UInt8 { i >= 0 && i < count ? base[i] : 0 }

    /// The first position at or after `i` whose byte fails `predicate` (or `count`).
    @inline(__always)
    func end(of predicate: (UInt8) -> Bool, from i: Int) -> Int {
        var j = i
        while j < count && predicate(base[j]) { j += 1 }
        return j
    }

    /// Whether the bytes at `i` are exactly `prefix` (ASCII).
    @inline(__always)
    func has(_ prefix: StaticString, at i: Int) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard i >= 0, i + n <= count else { return false }
        let p = prefix.utf8Start
        for k in 0..<n where base[i + k] != p[k] { return false }
        return true
    }

    /// Whether the bytes at `i` are `prefix` ignoring ASCII case (`prefix` is lower-case).
    @inline(__always)
    func hasCaseInsensitive(_ prefix: StaticString, at i: Int) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard i >= 0, i + n <= count else { return false }
        let p = prefix.utf8Start
        for k in 0..<n where ASCII.lower(base[i + k]) != p[k] { return false }
        return true
    }

    /// Whether the bytes `range` of this text equal `other`'s bytes `otherRange`.
    func equal(_ range: Range<Int>, _ other: Range<Int>) -> Bool {
        guard range.count == other.count else { return false }
        for k in 0..<range.count where base[range.lowerBound + k] != base[other.lowerBound + k] { return false }
        return true
    }

    /// Whether the text just before `i` makes a number starting at `i` part of
    /// a longer one: a `.` or `,` (a decimal or a dotted number), or a `-`, `+`,
    /// `:` or `/` right after a digit (a dashed date, a time, a ratio).
    @inline(__always)
    func continuesNumber(before i: Int) -> Bool {
        let p = self[i - 1]
        switch p {
        case UInt8(ascii: "."), UInt8(ascii: ","): return true
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: ":"), UInt8(ascii: "/"):
            return ASCII.isDigit(self[i - 2])
        default: return false
        }
    }

    /// Whether the text at `i` continues a number that ends just before it: a
    /// word character, or `.`, `-`, `,` followed by a digit.
    @inline(__always)
    func continuesNumber(at i: Int) -> Bool {
        let c = self[i]
        if ASCII.isWord(c) { return true }
        switch c {
        case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ","): return ASCII.isDigit(self[i + 1])
        default: return false
        }
    }
}
