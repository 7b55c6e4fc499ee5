/// Calls a sync function once per interval while there is something to sync
/// (group commit): ``markDirty()`` after an append, and at most one interval
/// later the sync runs, covering every append made meanwhile.
///
/// The loop is one long job on a ``Worker`` (a thread, not a task: it blocks
/// in `fdatasync`), waiting on a ``ConditionLock`` for something to sync and
/// then for the interval. During the interval it calls a second function
/// every ``tickNanoseconds`` (the writer starts writing back what was
/// appended, so that the appending thread never pays for it and the sync
/// finds little left to write). It stops for good when the sync function returns
/// false (the writer failed) or on ``stop()``, which cuts the interval short
/// (the writer's close makes the last sync itself) and waits for a sync in
/// progress to end.
final class PeriodicSyncer: Sendable {
    private struct State {
        var dirty = false
        var stopped = false
    }

    /// What the loop runs: the sync, and what to do between syncs.
    struct Jobs: Sendable {
        var sync: @Sendable () -> Bool
        var between: @Sendable () -> Void
    }

    /// How often `between` runs while an interval passes.
    static let tickNanoseconds: UInt64 = 10_000_000

    private let state = ConditionLock(State())
    private let worker: Worker<Jobs>

    /// Starts the syncing thread; it waits for ``start(_:)``.
    init(intervalMilliseconds: Int) throws(ThreadStartError) {
        let state = self.state
        let interval = UInt64(max(intervalMilliseconds, 0)) * 1_000_000
        worker = try Worker(name: "torqlog-sync", capacity: 1) { jobs in
            Self.loop(state, interval: interval, jobs)
        }
    }

    /// Starts syncing with `sync`, which returns whether to go on, calling
    /// `between` every tick while an interval passes.
    func start(_ sync: @escaping @Sendable () -> Bool, between: @escaping @Sendable () -> Void = {}) {
        worker.submit(Jobs(sync: sync, between: between))
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

    private static func loop(_ state: ConditionLock<State>, interval: UInt64, _ jobs: Jobs) {
        while true {
            // Something to sync, unless stopped.
            guard state.wait(for: { s in s.stopped ? false : s.dirty ? true : nil }) else { return }
            // Let the interval pass (group commit), unless stopped; `between` runs at each tick of it.
            let end = Deadline.after(nanoseconds: interval)
            while true {
                let tick = Deadline.after(nanoseconds: tickNanoseconds)
                let slice = tick < end ? tick : end
                if state.wait(until: { $0.stopped }, deadline: slice) { return }
                guard slice < end else { break }
                jobs.between()
            }
            let go = state.withLock { s -> Bool in
                if s.stopped { return false }  // the writer's close makes the last sync
                s.dirty = false
                return true
            }
            guard go else { return }
            if !jobs.sync() {
                state.withLock { $0.stopped = true }
                return
            }
        }
    }
}
