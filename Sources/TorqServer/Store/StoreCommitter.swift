import Synchronization
import TorqLogStore
import TorqOTLP

/// The one writer of a store behind `torqlog serve`: requests hand it their
/// records, it writes them in arrival order on one thread, and each request
/// is answered once its records are durable under the policy, with one
/// `fdatasync` serving every request waiting on it (group commit).
///
/// - **Group commit.** Submissions queue up while the writing thread is busy;
///   the thread takes all of them at once, drops the items already stored
///   (``RecentItems``), appends the rest as one batch, and the writer's sync
///   (`always`: right after the append; `batch`: after the policy's interval,
///   on the writer's syncer) covers them all. A request waits for the store's
///   durable sequence to reach the end of its group, which also covers the
///   stored originals of any copies it carried.
/// - **Back-pressure.** At most `maxQueuedBytes` of payload wait to be
///   written; a submission beyond that fails at once with
///   ``CommitError/overloaded`` (the server answers 503 with `Retry-After`)
///   instead of queueing without bound.
/// - **Failure.** A failed write or sync fails the writer for good (see
///   `LogWriter`): every waiting request and every later one fails with
///   ``CommitError/failed(_:)``, and nothing more is acknowledged.
package final class StoreCommitter: Sendable {
    /// What a request's records became.
    package struct Outcome: Sendable, Equatable {
        /// Records written for this request.
        package var stored: Int
        /// Items dropped as copies of items already stored (retries).
        package var duplicates: Int
    }

    private struct Submission: Sendable {
        var items: [MappedItem]
        var bytes: Int
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct Waiter {
        var target: UInt64
        var outcome: Outcome
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct Queue {
        var pending: [Submission] = []
        var queuedBytes = 0
        /// A drain job is queued on the worker and has not started yet.
        var kicked = false
        var failure: CommitError?
        var closed = false
    }

    private struct Durability {
        var durable: UInt64
        var waiters: [Waiter] = []
        var failure: CommitError?
    }

    /// The state the writing thread and the writer's callbacks share with the committer.
    private final class Shared: Sendable {
        let queue = Mutex(Queue())
        let durability = Mutex(Durability(durable: 0))
        let recent: Mutex<RecentItems>

        init(recentItems: Int) { recent = Mutex(RecentItems(capacity: recentItems)) }
    }

    package let writer: LogWriter
    /// Records of the store's tail read into the window of recent items at start (``RecentItemsSeed``).
    package let seededRecords: Int
    /// The most payload bytes queued before submissions are refused.
    package let maxQueuedBytes: Int
    private let shared: Shared
    private let worker: Worker<Void>
    /// Called once, from the thread that met it, when the writer fails.
    private let onFailure: @Sendable (LogWriter.Failure) -> Void

    /// Opens the store's writer.
    ///
    /// - Parameters:
    ///   - options: the writer's options; its `onDurable` and `onFailure` are the committer's.
    ///   - recentItems: how many item keys are remembered to drop retried copies; the window starts
    ///     with the keys of the store's last `recentItems` records.
    ///   - onFailure: told once when the writer fails (the server stops).
    package init(directory: StoreDirectory, options: LogWriter.Options, maxQueuedBytes: Int = 16 << 20,
                 recentItems: Int = 1 << 20, onFailure: @escaping @Sendable (LogWriter.Failure) -> Void = { _ in }) throws {
        let shared = Shared(recentItems: recentItems)
        self.shared = shared
        self.maxQueuedBytes = maxQueuedBytes
        self.onFailure = onFailure
        var options = options
        options.onDurable = { next in StoreCommitter.durable(upTo: next, shared) }
        options.onFailure = { failure in
            let error = CommitError.failed(failure.error)
            shared.queue.withLock { $0.failure = error }
            StoreCommitter.fail(error, shared)
            onFailure(failure)
        }
        writer = try LogWriter(directory: directory, options: options)
        // The keys of the store's last records, so that copies sent again across a restart are still known.
        seededRecords = try shared.recent.withLock { window in try RecentItemsSeed.fill(&window, from: directory, last: recentItems) }
        let start = writer.durableSequence
        shared.durability.withLock { $0.durable = max($0.durable, start) }
        // The drain job captures only what it needs; the committer owns the worker.
        let writer = self.writer
        worker = try Worker(name: "torqlog-commit") { _ in
            StoreCommitter.drain(shared, writer)
        }
    }

    /// Stores `items` and returns once their records are durable under the
    /// writer's policy (already-stored copies are dropped and counted).
    ///
    /// - Throws: ``CommitError/overloaded`` at once when the queue is full,
    ///   ``CommitError/closed`` after ``close()``, ``CommitError/failed(_:)``
    ///   when the writer failed before the records were durable.
    package func commit(_ items: [MappedItem], bytes: Int) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
            let decision: Result<Bool, CommitError> = shared.queue.withLock { q in
                if let failure = q.failure { return .failure(failure) }
                if q.closed { return .failure(.closed) }
                // One oversized request alone is let through: the body limit bounds it.
                if q.queuedBytes > 0 && q.queuedBytes + bytes > maxQueuedBytes { return .failure(.overloaded) }
                q.pending.append(Submission(items: items, bytes: bytes, continuation: continuation))
                q.queuedBytes += bytes
                if q.kicked { return .success(false) }
                q.kicked = true
                return .success(true)
            }
            switch decision {
            case .failure(let error): continuation.resume(throwing: error)
            case .success(let kick): if kick { worker.submit(()) }
            }
        }
    }

    /// Payload bytes waiting to be written.
    package var queuedBytes: Int { shared.queue.withLock { $0.queuedBytes } }

    /// Refuses further submissions, writes what is queued, syncs and closes
    /// the writer (the graceful end of `serve`).
    package func close() throws {
        shared.queue.withLock { $0.closed = true }
        worker.stop(.finishQueued)
        // A submission that raced the stop is drained here, on this thread.
        Self.drain(shared, writer)
        try writer.close()
    }

    // MARK: - The writing thread

    /// Takes every pending submission, appends their new records as one batch, and
    /// parks the requests until the durable sequence covers the batch.
    private static func drain(_ shared: Shared, _ writer: LogWriter) {
        let taken = shared.queue.withLock { q -> [Submission] in
            q.kicked = false
            let taken = q.pending
            q.pending = []
            q.queuedBytes = 0
            return taken
        }
        guard !taken.isEmpty else { return }
        // Each request's records are framed on their own first, so that one the
        // store refuses (a record over its size limit) fails alone, before the
        // window remembers any of its items; the accepted ones form one batch.
        var batch = RecordBatch()
        var accepted: [(Submission, Outcome)] = []
        accepted.reserveCapacity(taken.count)
        shared.recent.withLock { window in
            for submission in taken {
                var outcome = Outcome(stored: 0, duplicates: 0)
                var own = RecordBatch()
                var pending: [ItemKey: RecentItems.Sight] = [:]
                do {
                    for item in submission.items {
                        let records = window.admit(item, pending: &pending)
                        if records.isEmpty { outcome.duplicates += 1 }
                        for record in records {
                            try own.append(payload: record.payload, runKey: record.runKey, type: record.type, time: record.time)
                            outcome.stored += 1
                        }
                    }
                } catch {
                    submission.continuation.resume(throwing: CommitError.rejected(String(describing: error)))
                    continue
                }
                window.apply(pending)
                batch.append(contentsOf: own)
                accepted.append((submission, outcome))
            }
        }
        let target: UInt64
        do {
            let range = try writer.append(&batch)
            target = range.isEmpty ? writer.nextSequence : range.upperBound
        } catch {
            let failure = CommitError.failed(error)
            for (submission, _) in accepted { submission.continuation.resume(throwing: failure) }
            return
        }
        var ready: [(CheckedContinuation<Outcome, any Error>, Outcome)] = []
        var failedNow: CommitError?
        shared.durability.withLock { d in
            if let failure = d.failure { failedNow = failure; return }
            for (submission, outcome) in accepted {
                if d.durable >= target {
                    ready.append((submission.continuation, outcome))
                } else {
                    d.waiters.append(Waiter(target: target, outcome: outcome, continuation: submission.continuation))
                }
            }
        }
        if let failedNow {
            for (submission, _) in accepted { submission.continuation.resume(throwing: failedNow) }
        }
        for (continuation, outcome) in ready { continuation.resume(returning: outcome) }
    }

    /// The writer made everything below `next` durable: answers the requests it covers.
    private static func durable(upTo next: UInt64, _ shared: Shared) {
        let ready = shared.durability.withLock { d -> [Waiter] in
            if next > d.durable { d.durable = next }
            guard !d.waiters.isEmpty else { return [] }
            var ready: [Waiter] = []
            d.waiters.removeAll { w in
                guard w.target <= next else { return false }
                ready.append(w)
                return true
            }
            return ready
        }
        for w in ready { w.continuation.resume(returning: w.outcome) }
    }

    /// The writer failed: every waiting request fails, and so will every later one.
    private static func fail(_ error: CommitError, _ shared: Shared) {
        let waiting = shared.durability.withLock { d -> [Waiter] in
            if d.failure == nil { d.failure = error }
            let w = d.waiters
            d.waiters = []
            return w
        }
        for w in waiting { w.continuation.resume(throwing: error) }
    }
}
