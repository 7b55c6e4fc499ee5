import TorqJSON
/// The top-level fields of a ``TraceRecord``: a handful, kept in order and
/// found by linear search, which beats hashing at this size.
struct TraceFieldMap: Sequence {
    /// The fields, in the order they were added; each key once.
    private(set) var entries: [(key: String, value: TelemetryValue)] = []

    /// No fields.
    init() {}

    /// The fields of a decoded object.
    init(_ fields: [String: TelemetryValue]) {
        entries = fields.map { (key: $0.key, value: $0.value) }
    }

    /// The value of `key`; setting nil removes it.
    subscript(key: String) -> TelemetryValue? {
        get {
            for entry in entries where entry.key == key { return entry.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Adds `key`, known not to be present yet.
    mutating func appendNew(_ key: String, _ value: TelemetryValue) {
        entries.append((key, value))
    }

    mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    var isEmpty: Bool { entries.isEmpty }

    func makeIterator() -> IndexingIterator<[(key: String, value: TelemetryValue)]> { entries.makeIterator() }
}
