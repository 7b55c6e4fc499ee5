/// Counts distinct byte strings in bounded memory: an exact set of their
/// 64-bit hashes up to `exactLimit` values, then a HyperLogLog sketch
/// (16 KiB) that the remembered hashes are moved into.
struct DistinctCounter {
    private let exactLimit: Int
    private var exact: Set<UInt64>? = []
    private var sketch: HyperLogLog?
    /// The hash inserted last: events of one run or session often come in a row.
    private var last: UInt64?

    /// A counter exact up to `exactLimit` distinct values (at least 0).
    init(exactLimit: Int) {
        self.exactLimit = max(0, exactLimit)
    }

    /// Adds one value.
    @inline(__always)
    mutating func insert(_ bytes: UnsafeRawBufferPointer) {
        insert(hash: ByteHash.hash(bytes))
    }

    /// Adds one value by its hash.
    @inline(__always)
    mutating func insert(hash: UInt64) {
        if hash == last { return }
        last = hash
        if exact != nil {
            if exact?.insert(hash).inserted == true, let count = exact?.count, count > exactLimit {
                var sketch = HyperLogLog()
                for h in exact ?? [] { sketch.insert(hash: h) }
                self.sketch = sketch
                exact = nil
            }
        } else {
            sketch?.insert(hash: hash)
        }
    }

    /// The count so far.
    var count: DistinctCount {
        if let exact { return DistinctCount(value: exact.count, isExact: true) }
        return DistinctCount(value: sketch?.estimate ?? 0, isExact: false)
    }
}
