import Dispatch
import Synchronization
import TorqEvents

/// The bounded queue between recording threads and the flusher.
///
/// One `Mutex` guards the events, the rate limiter and the counters, so a
/// `record` takes exactly one lock (uncontended: ~20 ns). The flusher takes
/// everything at once by swapping arrays, so it holds the lock for a few
/// nanoseconds per batch and never while encoding or writing. A lock rather
/// than an actor: `record` must not suspend or hop executors, and it is called
/// from synchronous code on any thread.
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
        /// Producers blocked on a full queue (`.wait` policy).
        var blockedProducers = 0
        var closed = false
        var accepted = 0
        var full = 0
        var rateLimited = 0
        var afterClose = 0
    }

    let capacity: Int
    private let batchSize: Int
    private let writeWhenIdle: Bool
    private let state: Mutex<State>
    /// Wakes the flusher (batch full, idle flusher, shutdown).
    let flusherWake = DispatchSemaphore(value: 0)
    /// Wakes producers blocked on a full queue.
    private let space = DispatchSemaphore(value: 0)

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
            if wakeFlusher { flusherWake.signal() }
            if let result { return result }
            space.wait()
        }
    }

    /// Moves every queued event into `batch` (which must be empty), swapping
    /// storage so neither side reallocates. Returns whether the queue is closed.
    func take(into batch: inout [AnyTelemetryEvent]) -> Bool {
        let (closed, blocked) = state.withLock { s -> (Bool, Int) in
            swap(&s.events, &batch)
            s.flusherParked = false
            let blocked = s.blockedProducers
            s.blockedProducers = 0
            return (s.closed, blocked)
        }
        for _ in 0..<blocked { space.signal() }
        return closed
    }

    /// Marks the flusher as waiting when the queue is empty and open; returns
    /// false (and leaves it unmarked) when there is something to do.
    func parkIfIdle() -> Bool {
        state.withLock { s in
            guard s.events.isEmpty, !s.closed else { return false }
            s.flusherParked = true
            return true
        }
    }

    /// Refuses further events and wakes the flusher (and blocked producers,
    /// which then see the queue closed).
    func close() {
        let blocked = state.withLock { s -> Int in
            s.closed = true
            let b = s.blockedProducers
            s.blockedProducers = 0
            return b
        }
        for _ in 0..<blocked { space.signal() }
        flusherWake.signal()
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Counters: accepted, refused as full, rate-limited, after close; and the events waiting.
    func counters() -> (accepted: Int, full: Int, rateLimited: Int, afterClose: Int, waiting: Int) {
        state.withLock { s in (s.accepted, s.full, s.rateLimited, s.afterClose, s.events.count) }
    }
}
