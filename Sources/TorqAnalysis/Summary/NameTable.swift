#if canImport(Glibc)
import Glibc
#endif

/// Per-name tallies with a bound on the number of names: the first
/// `capacity` distinct keys get an entry each; every later key is counted in
/// ``other``, so hostile data with millions of distinct names cannot blow
/// memory. Keys are byte strings (the aggregator's encoded names, never
/// longer than a few hundred bytes); lookups hash the bytes and compare them,
/// allocating nothing once a key is known.
struct NameTable<Entry> {
    /// The most distinct keys with an entry of their own.
    let capacity: Int
    /// The entries, in order of first appearance.
    private(set) var entries: [Entry] = []
    /// What every key beyond ``capacity`` added up to.
    private(set) var other: Entry
    /// Whether any key went to ``other``.
    private(set) var otherUsed = false

    /// The keys back to back; key `i` is `keyBytes[keyStarts[i]..<keyStarts[i + 1]]`.
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Open addressing: entry index + 1, 0 when free. A power of two, at most half full.
    private var slots = [Int32](repeating: 0, count: 16)

    /// A table of at most `capacity` named entries (at least 1); `other` starts as `empty`.
    init(capacity: Int, empty: Entry) {
        self.capacity = max(1, min(capacity, Int(Int32.max) / 4))
        other = empty
    }

    /// Runs `body` on the entry of `key`, created with `make` when the key is
    /// new and there is room, else on ``other``.
    @inline(__always)
    mutating func update(_ key: UnsafeRawBufferPointer, make: () -> Entry, _ body: (inout Entry) -> Void) {
        if let index = index(of: key, make: make) {
            body(&entries[index])
        } else {
            otherUsed = true
            body(&other)
        }
    }

    private mutating func index(of key: UnsafeRawBufferPointer, make: () -> Entry) -> Int? {
        let hash = ByteHash.hash(key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { break }
            let index = stored - 1
            if hashes[index] == hash, keyEquals(index, key) { return index }
            slot = (slot + 1) & mask
        }
        guard entries.count < capacity else { return nil }
        let index = entries.count
        keyBytes.append(contentsOf: key)
        keyStarts.append(keyBytes.count)
        hashes.append(hash)
        entries.append(make())
        slots[slot] = Int32(index + 1)
        if entries.count * 2 > slots.count { grow() }
        return index
    }

    private mutating func grow() {
        let size = slots.count * 2
        let mask = size - 1
        var fresh = [Int32](repeating: 0, count: size)
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while fresh[slot] != 0 { slot = (slot + 1) & mask }
            fresh[slot] = Int32(index + 1)
        }
        slots = fresh
    }

    @inline(__always)
    private func keyEquals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyStarts[index], count = keyStarts[index + 1] - start
        guard count == key.count else { return false }
        guard count > 0 else { return true }
        return keyBytes.withUnsafeBytes { stored in
            guard let a = stored.baseAddress, let b = key.baseAddress else { return false }
            return memcmp(a + start, b, count) == 0
        }
    }
}
