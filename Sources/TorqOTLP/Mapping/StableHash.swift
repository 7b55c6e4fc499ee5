/// A hash that is the same in every process and on every run (unlike
/// `Hasher`, which is seeded per process): FNV-1a over the bytes, then the
/// SplitMix64 finalizer, so that a retried request maps to the same keys and
/// event ids. Not for security.
struct StableHash {
    private var a: UInt64 = 0xCBF2_9CE4_8422_2325
    private var b: UInt64 = 0x8422_2325_CBF2_9CE4

    init() {}

    /// Adds `bytes`, and their count (so that concatenations of different splits differ).
    mutating func add(_ bytes: some Sequence<UInt8>) {
        var count: UInt64 = 0
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 ^ (b >> 29)
            count += 1
        }
        add(count)
    }

    /// Adds one 64-bit value.
    mutating func add(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            let byte = UInt64(truncatingIfNeeded: value >> UInt64(shift)) & 0xFF
            a = (a ^ byte) &* 0x0000_0100_0000_01B3
            b = (b ^ byte) &* 0x0000_0100_0000_01B3 ^ (b >> 29)
        }
    }

    /// 64 bits.
    var value64: UInt64 { Self.mix(a ^ Self.mix(b)) }

    /// 128 bits.
    var value128: (high: UInt64, low: UInt64) { (Self.mix(a), Self.mix(b ^ 0x9E37_79B9_7F4A_7C15)) }

    /// The SplitMix64 finalizer: every input bit affects every output bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
