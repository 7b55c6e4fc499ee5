import Foundation
import Synchronization

/// Seals closed WAL segments on a thread of its own, oldest first, so that a
/// rollover never makes an appender wait for compression.
///
/// A plain thread, not a task: sealing blocks on file I/O and `fsync`.
final class BackgroundSealer: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private let sealer: SegmentSealer
    private var pending: [SegmentFileName] = []
    private var busy = false
    private var stopped = false
    private var errors: [StoreError] = []
    private var sealedCount = 0

    private let retention: RetentionPolicy?
    private let directory: StoreDirectory

    init(directory: StoreDirectory, retention: RetentionPolicy? = nil) {
        sealer = SegmentSealer(directory: directory)
        self.retention = retention
        self.directory = directory
        let t = Thread { [self] in run() }
        t.name = "torqlog-seal"
        t.start()
    }

    /// Queues `segment` for sealing.
    func enqueue(_ segment: SegmentFileName) {
        condition.lock()
        if !pending.contains(segment) { pending.append(segment) }
        condition.signal()
        condition.unlock()
    }

    /// Waits until everything queued is sealed (or failed); returns the failures so far and clears them.
    func drain() -> [StoreError] {
        condition.lock()
        while !pending.isEmpty || busy { condition.wait() }
        let e = errors
        errors.removeAll()
        condition.unlock()
        return e
    }

    /// Stops the thread: the seal in progress is abandoned at its next block
    /// (its temporary file removed, the WAL segment kept for the next writer).
    func stop() {
        condition.lock()
        stopped = true
        pending.removeAll()
        cancel.store(true)
        condition.broadcast()
        condition.unlock()
    }

    /// Set by `stop()`; the sealer checks it between blocks.
    let cancel = CancelFlag()
    private var exited = false

    /// Stops the thread and waits until it has exited (at most one block of work).
    func stopAndWait() {
        stop()
        condition.lock()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty && stopped { break }
            let next = pending.removeFirst()
            busy = true
            condition.unlock()
            var failure: StoreError?
            do {
                _ = try sealer.seal(next, cancel: cancel)
                if let retention { _ = try retention.apply(Compactor(directory: directory)) }
            } catch is SealCancelled {
                failure = nil
            } catch let e as StoreError { failure = e } catch {
                failure = StoreError(.io, path: next.path, "sealing failed: \(error)")
            }
            condition.lock()
            busy = false
            if let failure { errors.append(failure) } else { sealedCount += 1 }
            condition.broadcast()
        }
        exited = true
        condition.broadcast()
        condition.unlock()
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
