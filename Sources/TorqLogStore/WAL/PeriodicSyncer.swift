import Foundation

/// A thread that calls a sync function once per interval while there is something to sync.
///
/// A plain thread rather than a task: it blocks in `fdatasync`, which must
/// not occupy a thread of the cooperative pool. It stops for good when the
/// sync function returns false (the writer failed) or on ``stop()``.
final class PeriodicSyncer: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var dirty = false
    private var stopped = false
    private let interval: TimeInterval

    init(intervalMilliseconds: Int) {
        interval = Double(intervalMilliseconds) / 1000
    }

    /// Starts the thread; `sync` returns whether to go on.
    func start(_ sync: @escaping @Sendable () -> Bool) {
        let t = Thread { [self] in
            condition.lock()
            while !stopped {
                if !dirty {
                    condition.wait()
                    continue
                }
                // Let the interval pass (group commit), unless stopped.
                let deadline = Date(timeIntervalSinceNow: interval)
                while !stopped && condition.wait(until: deadline) {}
                if stopped { break }  // the writer's close makes the last sync
                dirty = false
                condition.unlock()
                let goOn = sync()
                condition.lock()
                if !goOn { stopped = true }
            }
            condition.unlock()
        }
        t.name = "torqlog-sync"
        t.start()
    }

    func markDirty() {
        condition.lock()
        if !dirty {
            dirty = true
            condition.signal()
        }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
