/// Calls a sync function once per interval while there is something to sync
/// (group commit): ``markDirty()`` after an append, and at most one interval
/// later the sync runs, covering every append made meanwhile.
///
/// The loop is one long job on a ``Worker`` (a thread, not a task: it blocks
/// in `fdatasync`), waiting on a ``ConditionLock`` for something to sync and
/// then for the interval. It stops for good when the sync function returns
/// false (the writer failed) or on ``stop()``, which cuts the interval short
/// (the writer's close makes the last sync itself) and waits for a sync in
/// progress to end.
final class PeriodicSyncer: Sendable {
    private struct State {
        var dirty = false
        var stopped = false
    }

    private let state = ConditionLock(State())
    private let worker: Worker<@Sendable () -> Bool>

    /// Starts the syncing thread; it waits for ``start(_:)``.
    init(intervalMilliseconds: Int) throws(ThreadStartError) {
        let state = self.state
        let interval = UInt64(max(intervalMilliseconds, 0)) * 1_000_000
        worker = try Worker(name: "torqlog-sync", capacity: 1) { sync in
            Self.loop(state, interval: interval, sync)
        }
    }

    /// Starts syncing with `sync`, which returns whether to go on.
    func start(_ sync: @escaping @Sendable () -> Bool) {
        worker.submit(sync)
    }

    func markDirty() {
        // Only the syncing thread waits on `state`: waking one is enough.
        let wake = state.withLock { s -> Bool in
            guard !s.dirty else { return false }
            s.dirty = true
            return true
        }
        if wake { state.signal() }
    }

    /// Stops syncing: interrupts the interval, waits for a sync in progress.
    /// (From the sync itself — a writer released on the syncing thread — it does not wait.)
    func stop() {
        state.withLock(notify: .all) { $0.stopped = true }
        worker.stop(.discardQueued)
    }

    private static func loop(_ state: ConditionLock<State>, interval: UInt64, _ sync: () -> Bool) {
        while true {
            // Something to sync, unless stopped.
            guard state.wait(for: { s in s.stopped ? false : s.dirty ? true : nil }) else { return }
            // Let the interval pass (group commit), unless stopped.
            if state.wait(until: { $0.stopped }, deadline: .after(nanoseconds: interval)) { return }
            let go = state.withLock { s -> Bool in
                if s.stopped { return false }  // the writer's close makes the last sync
                s.dirty = false
                return true
            }
            guard go else { return }
            if !sync() {
                state.withLock { $0.stopped = true }
                return
            }
        }
    }
}
