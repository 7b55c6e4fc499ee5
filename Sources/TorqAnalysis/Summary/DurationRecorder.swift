import Histogram

/// Records durations in milliseconds into a fixed-size HDR histogram
/// (hdrhistogram-swift): 1 µs units, two significant digits, values up to
/// 2^36 µs (about 19 hours) — about 15 KiB, allocated on the first value.
/// Exact count, sum, minimum and maximum are kept beside it.
struct DurationRecorder {
    /// The largest value the histogram tells apart, in microseconds.
    static let highestTrackableMicroseconds: UInt64 = 1 << 36
    /// The same in milliseconds.
    static let highestTrackableMilliseconds = Double(highestTrackableMicroseconds) / 1000

    private var histogram: Histogram<UInt32>?
    private(set) var count = 0
    private var sum = 0.0
    private var minimum = Double.infinity
    private var maximum = 0.0

    /// Records one duration (finite and ≥ 0: the caller checks).
    @inline(__always)
    mutating func record(milliseconds ms: Double) {
        count += 1
        sum += ms
        if ms < minimum { minimum = ms }
        if ms > maximum { maximum = ms }
        let micros = ms * 1000
        let value = micros >= Double(Self.highestTrackableMicroseconds)
            ? Self.highestTrackableMicroseconds : UInt64(micros.rounded())
        if histogram == nil {
            histogram = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableMicroseconds,
                                  numberOfSignificantValueDigits: .two)
        }
        // UInt32 bucket counts: stop adding to the histogram (not to the exact
        // stats) before a bucket could overflow, after 4 billion values.
        if let total = histogram?.totalCount, total < UInt64(UInt32.max) {
            histogram?.record(value)
        }
    }

    /// The summary; nil when nothing was recorded.
    var stats: DurationStats? {
        guard count > 0, let histogram else { return nil }
        func at(_ percentile: Double) -> Double {
            Swift.max(minimum, Swift.min(Double(histogram.valueAtPercentile(percentile)) / 1000, maximum))
        }
        return DurationStats(count: count, mean: sum / Double(count), min: minimum, max: maximum,
                             p50: at(50), p95: at(95), p99: at(99))
    }
}
