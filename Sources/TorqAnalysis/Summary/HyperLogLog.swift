#if canImport(Glibc)
import Glibc
#endif

/// A HyperLogLog sketch (Flajolet et al., 2007) of 2^14 one-byte registers:
/// 16 KiB whatever the number of distinct values, with a standard error of
/// 1.04 / √16384 ≈ 0.81%. Takes 64-bit hashes, so no large-range correction
/// is needed; small counts use linear counting.
struct HyperLogLog: Sendable {
    /// log2 of the number of registers.
    static let precision = 14
    static let registerCount = 1 << precision
    /// The relative standard error of ``estimate``.
    static let standardError = 1.04 / Double(registerCount).squareRoot()

    private var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)

    /// Adds one value by its 64-bit hash.
    @inline(__always)
    mutating func insert(hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.precision))
        // The rank of the first 1 bit among the remaining 50 bits (51 when they are all 0).
        let rest = hash << UInt64(Self.precision) | (1 << UInt64(Self.precision - 1))
        let rank = UInt8(truncatingIfNeeded: rest.leadingZeroBitCount + 1)
        registers.withUnsafeMutableBufferPointer { r in
            if rank > r[index] { r[index] = rank }
        }
    }

    /// The estimated number of distinct values inserted.
    var estimate: Int {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        var e = alpha * m * m / sum
        if e <= 2.5 * m, zeros > 0 {
            e = m * log(m / Double(zeros))
        }
        return Int(e.rounded())
    }
}
