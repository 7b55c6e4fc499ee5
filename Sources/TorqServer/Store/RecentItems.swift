import TorqOTLP

/// The items most recently stored, by key, so that a retried request stores
/// nothing twice: a window of the last `capacity` items, oldest out first,
/// in memory fixed at creation.
///
/// The bound: 16 bytes per item of `capacity`, allocated once (an open
/// addressing table of 64-bit fingerprints, at most half full, and the ring
/// of insertion order): 16 MiB for the default 1 Mi items. A copy of an item
/// is recognised as long as fewer than `capacity` newer items have been
/// stored since the original; OTLP clients retry within seconds (the
/// specification's exponential back-off), so the window covers minutes of
/// traffic at the rates one machine ingests. A retry that comes later, or
/// after a restart of the server, is stored again.
///
/// Items are known by a 64-bit fingerprint of their 128-bit key: two items
/// are taken for one with a probability of about n²/2⁶⁴ over n items in the
/// window (below 10⁻⁷ for a million).
///
/// Not thread-safe: the store's committer owns it and consults it on its
/// one writing thread, in the order the records are written.
struct RecentItems {
    /// What is known of a key.
    enum Sight: UInt8 {
        /// Stored, and not closed (a span seen without its end time).
        case open
        /// Stored closed (a closed span, a log record).
        case closed
    }

    /// The most keys remembered.
    let capacity: Int
    /// Fingerprints with the sight in bit 0 (1: closed); 0 marks a free slot.
    private var slots: [UInt64]
    private let mask: Int
    /// The fingerprints in the order they were first stored (a ring), to forget the oldest.
    private var order: [UInt64]
    private var next = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        var size = 16
        while size < 2 * self.capacity { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        order = Array(repeating: 0, count: self.capacity)
    }

    /// The fingerprint of `key`, bit 0 clear, never 0.
    private static func fingerprint(_ key: ItemKey) -> UInt64 {
        var z = key.high ^ (key.low &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let f = z & ~1
        return f == 0 ? 2 : f
    }

    /// The slot holding `fingerprint`, or the free slot where it would go.
    private func slot(of fingerprint: UInt64) -> (index: Int, found: Bool) {
        var i = Int(truncatingIfNeeded: fingerprint >> 1) & mask
        while true {
            let s = slots[i]
            if s == 0 { return (i, false) }
            if s & ~1 == fingerprint { return (i, true) }
            i = (i + 1) & mask
        }
    }

    /// What was stored of `key`, if it is still in the window.
    func sight(of key: ItemKey) -> Sight? {
        let (i, found) = slot(of: Self.fingerprint(key))
        guard found else { return nil }
        return slots[i] & 1 == 1 ? .closed : .open
    }

    /// Remembers `key` as stored, open or closed; forgets the oldest key when full.
    mutating func record(_ key: ItemKey, _ sight: Sight) {
        let f = Self.fingerprint(key)
        let bit: UInt64 = sight == .closed ? 1 : 0
        let (i, found) = slot(of: f)
        if found {
            slots[i] |= bit
            return
        }
        if count == capacity {
            remove(order[next])
            count -= 1
        }
        // The slot may have moved if the removal shifted entries back: look again.
        let (j, _) = slot(of: f)
        slots[j] = f | bit
        order[next] = f
        next = (next + 1) % capacity
        count += 1
    }

    /// Removes `fingerprint` from the table, shifting the entries after it
    /// back so that no probe sequence is broken (linear probing's deletion).
    private mutating func remove(_ fingerprint: UInt64) {
        var (i, found) = slot(of: fingerprint)
        guard found else { return }
        var j = i
        while true {
            j = (j + 1) & mask
            let s = slots[j]
            if s == 0 { break }
            let home = Int(truncatingIfNeeded: (s & ~1) >> 1) & mask
            // Move s back to i when its home is not in (i, j] (cyclically).
            let between = i <= j ? (home > i && home <= j) : (home > i || home <= j)
            if !between {
                slots[i] = s
                i = j
            }
        }
        slots[i] = 0
    }

    /// The records of `item` not stored yet (none for a copy of a stored item),
    /// judged against the window and `pending` (the sights of the request
    /// being prepared), into which it records what they store. The window
    /// itself changes only by ``apply(_:)``, once the request is accepted.
    func admit(_ item: MappedItem, pending: inout [ItemKey: Sight]) -> [MappedRecord] {
        switch pending[item.key] ?? sight(of: item.key) {
        case nil:
            pending[item.key] = item.isClosed ? .closed : .open
            return item.isClosed ? item.firstSight + item.onClose : item.firstSight
        case .open?:
            guard item.isClosed else { return [] }
            pending[item.key] = .closed
            return item.onClose
        case .closed?:
            return []
        }
    }

    /// Remembers the sights of an accepted request.
    mutating func apply(_ pending: [ItemKey: Sight]) {
        for (key, sight) in pending { record(key, sight) }
    }
}
