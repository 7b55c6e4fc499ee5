/// Deterministic per-run sampling: a run is kept when a 64-bit hash of its
/// id falls below `rate × 2⁶⁴`. The hash (FNV-1a, then the SplitMix64
/// finalizer) depends only on the id's UTF-8 bytes, so every process keeps
/// or drops the same runs, and a kept run is kept whole.
public struct RunSampler: Sendable, Equatable {
    /// The fraction of ids kept, in 0…1.
    public let rate: Double
    private let threshold: UInt64
    private let keepAll: Bool

    /// A sampler keeping `rate` (clamped to 0…1) of ids.
    public init(rate: Double) {
        let r = rate.isNaN ? 0 : min(max(rate, 0), 1)
        self.rate = r
        keepAll = r >= 1
        // r × 2^64, computed in Double; r < 1 here so the product fits.
        threshold = r >= 1 ? .max : UInt64(r * 18_446_744_073_709_551_616.0)
    }

    /// Whether every id is kept (no hashing needed).
    public var keepsEverything: Bool { keepAll }

    /// Whether the run (or event) with this id is kept.
    public func keeps(_ id: String) -> Bool {
        if keepAll { return true }
        return Self.hash(id) < threshold
    }

    /// The 64-bit hash of `id` used for sampling.
    public static func hash(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { bytes in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes {
                h ^= UInt64(b)
                h &*= 0x0000_0100_0000_01b3
            }
            // SplitMix64's finalizer spreads FNV's weak low bits over the word.
            h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
            h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
            return h ^ (h >> 31)
        }
    }
}
