/// How many distinct values (run ids, session ids) a summary saw, and
/// whether the number is exact or an estimate.
///
/// Up to the aggregator's exact limit (``TelemetryAggregator/defaultExactDistinctLimit``
/// by default) every distinct id is remembered by a 64-bit hash, so the count is
/// exact unless two ids share a hash (below one chance in 10^7 at the limit).
/// Past the limit the aggregator switches to a fixed-memory HyperLogLog sketch
/// and the count is an estimate with a standard error of about 0.8%.
public struct DistinctCount: Sendable, Hashable {
    /// The number of distinct values, exact or estimated.
    public let value: Int
    /// True when ``value`` is exact; false when it is a HyperLogLog estimate.
    public let isExact: Bool
    /// The relative standard error of an estimate (0 when exact).
    public var standardError: Double { isExact ? 0 : HyperLogLog.standardError }

    /// A count of `value`, exact or estimated.
    public init(value: Int, isExact: Bool) {
        self.value = value
        self.isExact = isExact
    }
}
