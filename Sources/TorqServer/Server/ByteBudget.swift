import Synchronization

/// A count of bytes (or requests) in use with a ceiling: what keeps the
/// server's memory bounded whatever the load. Taking more than is left fails
/// at once, and the caller answers 503 rather than waiting.
final class ByteBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `amount`, unless that would go over the limit (one taker alone may
    /// take more than the limit, so that the largest allowed request fits).
    func take(_ amount: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            if current > 0 && current + amount > limit { return false }
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + amount, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back `amount` taken before.
    func give(_ amount: Int) { used.wrappingSubtract(amount, ordering: .acquiringAndReleasing) }

    var inUse: Int { used.load(ordering: .relaxed) }
}
