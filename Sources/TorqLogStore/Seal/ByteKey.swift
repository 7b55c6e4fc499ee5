/// Bytes as a dictionary key, hashed in one pass (`[UInt8]` hashes byte by byte).
struct ByteKey: Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ raw: UnsafeRawBufferPointer) { bytes = Array(raw) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
