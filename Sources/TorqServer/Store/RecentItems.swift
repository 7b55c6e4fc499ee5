import TorqOTLP

/// The items most recently stored, by key, so that a retried request stores
/// nothing twice: a bounded window, oldest out first.
///
/// The bound is the number of keys, `capacity` (about 40 bytes each): a copy
/// of an item is recognised as long as fewer than `capacity` newer items have
/// been stored since the original. OTLP clients retry within seconds (the
/// specification's exponential back-off), so the default window of 1 Mi
/// items (about 40 MiB at most) covers minutes of traffic at the rates a
/// single machine ingests; a retry that comes later than that is stored again.
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
    private var sights: [ItemKey: Sight] = [:]
    /// The keys in the order they were first stored (a ring), to forget the oldest.
    private var order: [ItemKey] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        sights.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// The number of keys remembered.
    var count: Int { sights.count }

    /// What was stored of `key`, if it is still in the window.
    func sight(of key: ItemKey) -> Sight? { sights[key] }

    /// Remembers `key` as stored, open or closed; forgets the oldest key when full.
    mutating func record(_ key: ItemKey, _ sight: Sight) {
        if let known = sights[key] {
            if known == .open && sight == .closed { sights[key] = .closed }
            return
        }
        if order.count < capacity {
            order.append(key)
        } else {
            sights[order[next]] = nil
            order[next] = key
            next = (next + 1) % capacity
        }
        sights[key] = sight
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
