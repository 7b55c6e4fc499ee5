import Dispatch
import Synchronization

/// The baselines' queue between producer threads and their one writer
/// thread, built as a careful implementation of the seed's collector would
/// build it: one lock, a bounded array, producers blocking while it is full,
/// the writer taking everything queued at once (so it holds the lock briefly)
/// and parking on a semaphore when there is nothing to do.
final class HandoffQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var writerParked = false
        var blockedProducers = 0
        var closed = false
    }

    let capacity: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let space = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Appends `item`, blocking while the queue holds `capacity` items.
    func push(_ item: Element) {
        while true {
            let (done, wakeWriter) = state.withLock { s -> (Bool, Bool) in
                if s.items.count >= capacity {
                    s.blockedProducers += 1
                    return (false, false)
                }
                s.items.append(item)
                let parked = s.writerParked
                s.writerParked = false
                return (true, parked)
            }
            if wakeWriter { wake.signal() }
            if done { return }
            space.wait()
        }
    }

    /// Moves everything queued into `batch` (emptied first); when nothing is
    /// queued, waits up to `timeoutNanoseconds` (nil: until something is).
    /// Returns false once the queue is closed and empty.
    func take(into batch: inout [Element], timeoutNanoseconds: Int? = nil) -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let (open, blocked, parked) = state.withLock { s -> (Bool, Int, Bool) in
                if s.items.isEmpty {
                    if s.closed { return (false, 0, false) }
                    s.writerParked = true
                    return (true, 0, true)
                }
                swap(&s.items, &batch)
                let b = s.blockedProducers
                s.blockedProducers = 0
                return (true, b, false)
            }
            for _ in 0..<blocked { space.signal() }
            if !open { return false }
            if !parked { return true }
            if let timeoutNanoseconds {
                if wake.wait(timeout: .now() + .nanoseconds(timeoutNanoseconds)) == .timedOut { return true }
            } else {
                wake.wait()
            }
        }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Items waiting now.
    var count: Int { state.withLock { $0.items.count } }

    /// No more items: the writer's `take` returns false once it has taken the rest.
    func close() {
        let parked = state.withLock { s -> Bool in
            s.closed = true
            let p = s.writerParked
            s.writerParked = false
            return p
        }
        if parked { wake.signal() }
    }
}
