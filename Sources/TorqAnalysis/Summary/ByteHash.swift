/// A fast, deterministic 64-bit hash of byte strings (eight bytes at a time,
/// finished with MurmurHash3's `fmix64`), for the aggregator's name tables and
/// distinct counts. Deterministic across processes — unlike `Hasher` — so a
/// HyperLogLog estimate of the same data is the same every time.
enum ByteHash {
    private static let k1: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let k2: UInt64 = 0xBF58_476D_1CE4_E5B9

    /// The hash of `bytes` (an empty or nil buffer has a hash too).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let n = bytes.count
        var h = UInt64(truncatingIfNeeded: n) &* k1
        guard let base = bytes.baseAddress, n > 0 else { return fmix(h) }
        var i = 0
        while i + 8 <= n {
            h = mix(h, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = mix(h, tail)
        }
        return fmix(h)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        var w = word &* k2
        w ^= w >> 31
        let x = (h ^ w) &* k1
        return (x << 27) | (x >> 37)
    }

    /// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
    @inline(__always)
    static func fmix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k = k &* 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k
    }
}
