import TorqOTLP

extension ItemKey {
    /// A 128-bit key for `bytes`: two FNV-1a 64-bit hashes with different
    /// offsets, each finished with SplitMix64's mixer. Not cryptographic: a
    /// client that wants to collide with its own items only loses its own data.
    init(hashing bytes: UnsafeRawBufferPointer) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = b &+ (b >> 29)
        }
        self.init(high: Self.mix(a ^ UInt64(bytes.count)), low: Self.mix(b))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
