import CTorqSupport

/// CRC-32C (Castagnoli), the checksum of every frame and header torqlog writes.
///
/// Runs on the SSE4.2 `crc32` instruction when the CPU has it (several GB/s),
/// on a slicing-by-8 table otherwise. See FORMAT.md for the exact parameters.
public enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return tq_crc32c_extend(crc, base, bytes.count)
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }
}
