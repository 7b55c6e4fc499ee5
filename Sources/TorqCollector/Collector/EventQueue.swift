import TorqEvents
import TorqLogStore

/// The bounded queue between recording threads and the flusher.
///
/// One ``ConditionLock`` guards the events, the rate limiter and the
/// counters, so a `record` takes exactly one lock (uncontended: one
/// `pthread_mutex_lock`/`unlock` pair, ~20 ns). The flusher takes everything
/// at once by swapping arrays, so it holds the lock for a few nanoseconds per
/// batch and never while encoding or writing. The flusher waits on the same
/// lock for work (``waitForWork(until:)``) and for its back-off
/// (``pause(until:)``); producers blocked on a full queue (the `wait`
/// policy) wait on it for room. Waiters wait for different things, so every
/// notification is a broadcast (one atomic load when nobody waits, the common
/// case: the flusher is woken once per batch or idle period, not per event).
/// A lock rather than an actor: `record` must not suspend or hop executors,
/// and it is called from synchronous code on any thread.
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
        /// A reason for the flusher to look at the queue now (a full batch,
        /// an event for an idle flusher, `flush()`); cleared when it takes.
        var wake = false
        var closed = false
        var accepted = 0
        var full = 0
        var rateLimited = 0
        var afterClose = 0
    }

    let capacity: Int
    private let batchSize: Int
    private let writeWhenIdle: Bool
    private let state: ConditionLock<State>

    init(capacity: Int, batchSize: Int, writeWhenIdle: Bool, maxEventsPerHour: Int?) {
        self.capacity = capacity
        self.batchSize = min(batchSize, capacity)
        self.writeWhenIdle = writeWhenIdle
        var events: [AnyTelemetryEvent] = []
        events.reserveCapacity(min(capacity, 1 << 14))
        state = ConditionLock(State(events: events, limiter: maxEventsPerHour.map { HourlyRateLimiter(limit: $0) }))
    }

    /// Enqueues `event`, unless the queue is closed, full (and `wait` is
    /// false) or the rate limit refuses it. With `wait`, blocks while the
    /// queue is full. `second` is the monotonic clock's second, for the limit.
    func push(_ event: consuming AnyTelemetryEvent, second: Int64, wait: Bool) -> Push {
        // Moved into the array under the lock, never copied (a copy would
        // retain every string of the event once more).
        var slot: AnyTelemetryEvent? = consume event
        while true {
            let (result, wakeFlusher) = state.withLock { s -> (Push?, Bool) in
                if s.closed { s.afterClose += 1; return (.closed, false) }
                if s.events.count >= capacity {
                    guard wait else {
                        s.full += 1
                        return (.full, false)
                    }
                    // Blocked: a parked flusher must come and make room.
                    let parked = s.flusherParked
                    if parked { s.wake = true }
                    return (nil, parked)
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
                    if wasParked || n == batchSize { s.wake = true }
                    return (.accepted, wasParked || n == batchSize)
                }
                return (.accepted, false)
            }
            if wakeFlusher { state.broadcast() }
            if let result { return result }
            state.wait(until: { s in s.events.count < capacity || s.closed })
        }
    }

    /// Moves every queued event into `batch` (which must be empty), swapping
    /// storage so neither side reallocates, and wakes producers waiting for
    /// room. Returns whether the queue is closed.
    func take(into batch: inout [AnyTelemetryEvent]) -> Bool {
        let (closed, made) = state.withLock { s -> (Bool, Bool) in
            swap(&s.events, &batch)
            s.flusherParked = false
            s.wake = false
            return (s.closed, !batch.isEmpty)
        }
        if made { state.broadcast() }
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
        _ = state.wait(until: { s in
            guard s.wake || s.closed else { return false }
            s.wake = false
            return true
        }, deadline: deadline)
    }

    /// Makes the flusher look at the queue now (`flush()`).
    func wakeFlusher() {
        state.withLock(notify: .all) { $0.wake = true }
    }

    /// The flusher's back-off after a failed write: waits until `deadline`,
    /// or until the queue is closed when it was open at the start (shutdown
    /// does not wait for a back-off; once closing, the back-off runs its course).
    func pause(until deadline: Deadline) {
        let wasClosed = isClosed
        _ = state.wait(until: { s in !wasClosed && s.closed }, deadline: deadline)
    }

    /// Refuses further events and wakes the flusher (and blocked producers,
    /// which then see the queue closed).
    func close() {
        state.withLock(notify: .all) { $0.closed = true }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Counters: accepted, refused as full, rate-limited, after close; and the events waiting.
    func counters() -> (accepted: Int, full: Int, rateLimited: Int, afterClose: Int, waiting: Int) {
        state.withLock { s in (s.accepted, s.full, s.rateLimited, s.afterClose, s.events.count) }
    }
}
