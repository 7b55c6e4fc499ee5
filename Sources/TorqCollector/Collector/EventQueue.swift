import Synchronization
import TorqEvents
import TorqLogStore

/// The bounded queue between recording threads and the flusher.
///
/// One `Mutex` guards the events, the rate limiter and the counters, so a
/// `record` takes exactly one lock (uncontended: ~15 ns). The flusher takes
/// everything at once by swapping arrays, so it holds the lock for a few
/// nanoseconds per batch and never while encoding or writing. A lock rather
/// than an actor: `record` must not suspend or hop executors, and it is called
/// from synchronous code on any thread.
///
/// Waiting — the flusher for work or for the end of a back-off, producers for
/// room under the `wait` policy — is on a ``ConditionLock`` of its own
/// (`signals`), touched only off the fast path: once per batch or idle period
/// to wake the flusher, once per take when producers are blocked. Why two
/// locks and not the state in the `ConditionLock`: measured with
/// `torqlog-bench --benchmarks collection` (2 producers, 5 alternating runs
/// each), `record` p50 was 150 ns with the state in a `ConditionLock` against
/// 140 ns with it in a `Mutex` (p50 130–140 ns before either). Across modules
/// a `package` generic is not specialized (`@inlinable` is not honoured for
/// `package` declarations), so `ConditionLock.withLock` is an unspecialized
/// generic call here, while `Mutex.withLock` is inlined; and an uncontended
/// `pthread_mutex_lock`/`unlock` pair costs a few nanoseconds more than
/// `Mutex`'s futex word.
final class EventQueue: Sendable {
    enum Push: Equatable {
        case accepted
        case full
        case rateLimited
        case closed
    }

    private struct State: ~Copyable {
        var events: [AnyTelemetryEvent]
        var limiter: HourlyRateLimiter?
        /// The flusher is waiting for events (it found the queue empty).
        var flusherParked = false
        /// Producers that found the queue full (`.wait` policy) since the last take.
        var blockedProducers = 0
        var closed = false
        var accepted = 0
        var full = 0
        var rateLimited = 0
        var afterClose = 0
    }

    /// What waiters wait for (guarded by the `ConditionLock`, apart from `State`).
    private struct Signals {
        /// A reason for the flusher to look at the queue now (a full batch, an
        /// event for an idle flusher, `flush()`); consumed by its wait.
        var wake = false
        /// Counts takes that made room while producers were blocked.
        var room: UInt64 = 0
        var closed = false
    }

    let capacity: Int
    private let batchSize: Int
    private let writeWhenIdle: Bool
    private let state: Mutex<State>
    private let signals = ConditionLock(Signals())

    init(capacity: Int, batchSize: Int, writeWhenIdle: Bool, maxEventsPerHour: Int?) {
        self.capacity = capacity
        self.batchSize = min(batchSize, capacity)
        self.writeWhenIdle = writeWhenIdle
        var events: [AnyTelemetryEvent] = []
        events.reserveCapacity(min(capacity, 1 << 14))
        state = Mutex(State(events: events, limiter: maxEventsPerHour.map { HourlyRateLimiter(limit: $0) }))
    }

    /// Enqueues `event`, unless the queue is closed, full (and `wait` is
    /// false) or the rate limit refuses it. With `wait`, blocks while the
    /// queue is full. `second` is the monotonic clock's second, for the limit.
    func push(_ event: consuming AnyTelemetryEvent, second: Int64, wait: Bool) -> Push {
        // Moved into the array under the lock, never copied (a copy would
        // retain every string of the event once more).
        var slot: AnyTelemetryEvent? = consume event
        /// The room count read after finding the queue full, before checking again.
        var seen: UInt64?
        while true {
            let (result, wakeFlusher) = state.withLock { s -> (Push?, Bool) in
                if s.closed { s.afterClose += 1; return (.closed, false) }
                if s.events.count >= capacity {
                    if wait { s.blockedProducers += 1; return (nil, s.flusherParked) }
                    s.full += 1
                    return (.full, false)
                }
                if s.limiter?.admit(atSecond: second) == false {
                    s.rateLimited += 1
                    return (.rateLimited, false)
                }
                guard let event = slot.take() else { return (.accepted, false) }
                s.events.append(event)
                s.accepted += 1
                let n = s.events.count
                if (s.flusherParked && writeWhenIdle) || n == batchSize {
                    let wasParked = s.flusherParked
                    s.flusherParked = false
                    return (.accepted, wasParked || n == batchSize)
                }
                return (.accepted, false)
            }
            if wakeFlusher { signals.withLock(notify: .all) { $0.wake = true } }
            if let result { return result }
            // Full. Read the room count, check again, and only then wait for
            // it to change: a take between the two checks is not missed.
            if let before = seen {
                signals.wait(until: { s in s.room != before || s.closed })
                seen = nil
            } else {
                seen = signals.withLock { $0.room }
            }
        }
    }

    /// Moves every queued event into `batch` (which must be empty), swapping
    /// storage so neither side reallocates, and wakes producers blocked on a
    /// full queue. Returns whether the queue is closed.
    func take(into batch: inout [AnyTelemetryEvent]) -> Bool {
        let (closed, blocked) = state.withLock { s -> (Bool, Int) in
            swap(&s.events, &batch)
            s.flusherParked = false
            let blocked = s.blockedProducers
            s.blockedProducers = 0
            return (s.closed, blocked)
        }
        if blocked > 0 { signals.withLock(notify: .all) { $0.room &+= 1 } }
        return closed
    }

    /// The flusher's wait when it found nothing to take: unless events came
    /// meanwhile or the queue is closed, waits until woken (a full batch, an
    /// event under `writeWhenIdle`, `wakeFlusher()`, `close()`) or `deadline`.
    func waitForWork(until deadline: Deadline) {
        let parked = state.withLock { s -> Bool in
            guard s.events.isEmpty, !s.closed else { return false }
            s.flusherParked = true
            return true
        }
        guard parked else { return }
        _ = signals.wait(until: { s in
            guard s.wake || s.closed else { return false }
            s.wake = false
            return true
        }, deadline: deadline)
    }

    /// Makes the flusher look at the queue now (`flush()`).
    func wakeFlusher() {
        signals.withLock(notify: .all) { $0.wake = true }
    }

    /// The flusher's back-off after a failed write: waits until `deadline`,
    /// or until the queue is closed when it was open at the start (shutdown
    /// does not wait for a back-off; once closing, the back-off runs its course).
    func pause(until deadline: Deadline) {
        let wasClosed = signals.withLock { $0.closed }
        _ = signals.wait(until: { s in !wasClosed && s.closed }, deadline: deadline)
    }

    /// Refuses further events and wakes the flusher (and blocked producers,
    /// which then see the queue closed).
    func close() {
        state.withLock { $0.closed = true }
        signals.withLock(notify: .all) { $0.closed = true }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Counters: accepted, refused as full, rate-limited, after close; and the events waiting.
    func counters() -> (accepted: Int, full: Int, rateLimited: Int, afterClose: Int, waiting: Int) {
        state.withLock { s in (s.accepted, s.full, s.rateLimited, s.afterClose, s.events.count) }
    }
}
