/// Bytes as a dictionary key, hashed in one pass (`[UInt8]` hashes byte by byte).
struct ByteKey: Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ raw: UnsafeRawBufferPointer) { bytes = Array(raw) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// Byte strings numbered in order of first appearance (the run keys and type
/// tags of a keys table, or of a group being sealed).
struct InternedKeys {
    /// The strings, by number.
    private(set) var keys: [[UInt8]] = []
    private var numbers: [ByteKey: Int] = [:]

    var count: Int { keys.count }

    /// The number of `bytes`, given to it now if it has none yet.
    mutating func number(of bytes: UnsafeRawBufferPointer) -> Int {
        let key = ByteKey(bytes)
        if let n = numbers[key] { return n }
        numbers[key] = keys.count
        keys.append(key.bytes)
        return keys.count - 1
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
    }
}
