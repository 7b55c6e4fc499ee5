/// A summary of durations in milliseconds (`execution_time_ms`,
/// `response_time_ms`, `operation_time_ms`): count, exact mean, minimum and
/// maximum, and the 50th, 95th and 99th percentiles.
///
/// Percentiles come from a fixed-size HDR histogram at microsecond
/// resolution with two significant digits: each is the nearest-rank
/// percentile of the recorded values, rounded up to its histogram bucket,
/// so within 1% (or 1 µs) of the exact value, and never above ``max``.
/// Durations above 2^36 µs (about 19 hours) are counted at that value in
/// the histogram (``min``, ``max`` and
/// ``mean`` stay exact).
public struct DurationStats: Sendable, Hashable {
    /// Durations recorded.
    public let count: Int
    /// Their arithmetic mean (exact).
    public let mean: Double
    /// The smallest (exact).
    public let min: Double
    /// The largest (exact).
    public let max: Double
    /// The median, within the histogram's precision.
    public let p50: Double
    /// The 95th percentile, within the histogram's precision.
    public let p95: Double
    /// The 99th percentile, within the histogram's precision.
    public let p99: Double

    /// Stats with these values (for tests and merging by callers).
    public init(count: Int, mean: Double, min: Double, max: Double, p50: Double, p95: Double, p99: Double) {
        self.count = count
        self.mean = mean
        self.min = min
        self.max = max
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }
}
