import Synchronization

/// Seals closed WAL segments on a ``Worker`` of its own, oldest first, so that
/// a rollover never makes an appender wait for compression.
///
/// A thread, not a task: sealing blocks on file I/O and `fsync`. Its priority
/// is ``Worker/Priority/background``: a burst of appends keeps the cores, and
/// the WAL segments waiting to be sealed (which readers read as they are) are
/// sealed once it passes. The queue is
/// unbounded (``enqueue(_:)`` is called under the writer's lock and must not
/// wait); a segment already queued is not queued twice. A failed seal leaves
/// its WAL segment in place (nothing is lost) and is recorded; ``drain()``
/// returns the failures.
final class BackgroundSealer: Sendable {
    private struct State {
        /// Segments queued and not yet started.
        var queued: [SegmentFile] = []
        /// Failures not yet returned by `drain()`.
        var errors: [StoreError] = []
    }

    private let state: ConditionLock<State>
    private let worker: Worker<SegmentFile>
    /// Set by `stop()`; the sealer checks it before each record and block.
    let cancel = CancelFlag()

    init(directory: StoreDirectory, layout: SealLayout = .standard, retention: RetentionPolicy? = nil,
         onSealed: (@Sendable (SegmentFile) -> Void)? = nil) throws(ThreadStartError) {
        let state = ConditionLock(State())
        let cancel = self.cancel
        let sealer = SegmentSealer(directory: directory, layout: layout)
        // Behind the write path: during a burst the appender and the parsers keep the cores; sealing catches up after.
        worker = try Worker(name: "torqlog-seal", priority: .background) { next in
            state.withLock { s in s.queued.removeAll { $0 == next } }
            var failure: StoreError?
            do {
                _ = try sealer.seal(next, cancel: cancel)
                if let retention { _ = try retention.apply(Compactor(directory: directory)) }
                if let onSealed, Filesystem.exists(directory.file(SegmentName.sealed(next.base))) {
                    onSealed(SegmentFile(base: next.base, path: directory.file(SegmentName.sealed(next.base)), kind: .sealed))
                }
            } catch is SealCancelled {
                failure = nil
            } catch let e as StoreError {
                failure = e
            } catch {
                failure = StoreError(.io, path: next.path, "sealing failed: \(error)")
            }
            if let failure { state.withLock { $0.errors.append(failure) } }
        }
        self.state = state
    }

    /// Queues `segment` for sealing (never waits).
    func enqueue(_ segment: SegmentFile) {
        let new = state.withLock { s -> Bool in
            guard !s.queued.contains(segment) else { return false }
            s.queued.append(segment)
            return true
        }
        if new && !worker.submit(segment) {
            state.withLock { s in s.queued.removeAll { $0 == segment } }  // stopped: left to the next writer
        }
    }

    /// Waits until everything queued is sealed (or failed); returns the failures so far and clears them.
    func drain() -> [StoreError] {
        worker.drain()
        return state.withLock { s in
            defer { s.errors.removeAll() }
            return s.errors
        }
    }

    /// Stops sealing and waits until the thread has exited: the queued
    /// segments are dropped (they stay WAL segments, sealed by the next
    /// writer), the seal in progress is abandoned before its next record or block (its
    /// temporary file removed, the WAL segment kept).
    func stop() {
        cancel.store(true)
        worker.stop(.discardQueued)
        state.withLock { $0.queued.removeAll() }
    }
}

/// A flag one thread sets and another polls.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func store(_ v: Bool) { value.store(v, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Thrown when a seal is abandoned because its writer is closing.
struct SealCancelled: Error {}
