/// At most `limit` events in any sliding hour.
///
/// The hour is kept as 3,600 one-second counters. An event at second `t` is
/// admitted when the events admitted in seconds `t − 3599 … t` number fewer
/// than `limit`; those seconds cover every sliding hour ending at `t`, so no
/// window of 3,600 seconds ever holds more than `limit` admitted events. The
/// memory is fixed (14 KiB), whatever the rate.
struct HourlyRateLimiter: Sendable {
    let limit: Int
    private var counts = [UInt32](repeating: 0, count: 3600)
    /// The second the newest counter belongs to.
    private var current: Int64 = .min
    /// Sum of the counters.
    private var total = 0

    init(limit: Int) { self.limit = limit }

    /// Admits (and counts) an event at monotonic second `second`, or refuses it.
    mutating func admit(atSecond second: Int64) -> Bool {
        advance(to: second)
        guard total < limit else { return false }
        counts[Int(second % 3600)] &+= 1
        total += 1
        return true
    }

    /// Events admitted in the hour ending at `second`.
    mutating func admitted(atSecond second: Int64) -> Int {
        advance(to: second)
        return total
    }

    private mutating func advance(to second: Int64) {
        if current == .min || second - current >= 3600 {
            if total > 0 { for i in counts.indices { counts[i] = 0 } }
            total = 0
            current = second
            return
        }
        guard second > current else { return }  // the clock is monotonic; never go back
        var s = current + 1
        while s <= second {
            let i = Int(s % 3600)
            total -= Int(counts[i])
            counts[i] = 0
            s += 1
        }
        current = second
    }
}
