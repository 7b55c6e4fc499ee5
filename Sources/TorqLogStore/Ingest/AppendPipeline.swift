/// Hands filled batches to a ``Worker`` that appends them to the store, so
/// that validating the next batches overlaps checksumming and writing the
/// previous ones. At most `depth` batches wait (plus the one being written):
/// memory stays bounded, and records are appended in the order they were
/// submitted. (Two waiting: a large read yields two batches, one per parsing
/// thread, and both can be queued while the previous read's last batch is
/// still being written.)
///
/// A thread rather than a task: `append` blocks on `write(2)` and `fdatasync`.
/// The worker's queue moves each batch to its thread, which then holds the
/// only reference: stamping sequences mutates it in place, without a copy.
/// An append failure is recorded and thrown by the next `submit` or `drain`.
final class AppendPipeline: Sendable {
    private struct Shared {
        /// Emptied batches, handed back by `submit` so their capacity is reused.
        var spares: [RecordBatch] = []
        /// The first append failure.
        var failure: Error?
    }

    private let shared = ConditionLock(Shared())
    private let worker: Worker<RecordBatch>
    private static let depth = 2

    init(appender: any RecordAppender) throws(ThreadStartError) {
        let shared = self.shared
        shared.withLock { $0.spares.reserveCapacity(2) }
        worker = try Worker(name: "torqlog-append", capacity: Self.depth) { (batch: consuming RecordBatch) in
            var error: Error?
            do { try appender.appendRecords(&batch) } catch let e { error = e }
            batch.removeAll()
            let spare = batch
            shared.withLock { s in
                if s.spares.count < 2 { s.spares.append(spare) }
                if let error, s.failure == nil { s.failure = error }
            }
        }
    }

    /// Queues `batch` for appending and gives back an empty batch to fill next
    /// (waits while `depth` batches are already waiting). Throws an earlier append's failure.
    func submit(_ batch: inout RecordBatch) throws {
        let spare = try shared.withLock { s throws -> RecordBatch in
            if let failure = s.failure { throw failure }
            return s.spares.popLast() ?? RecordBatch()
        }
        var next = spare
        swap(&next, &batch)
        guard worker.submit(consume next) else { throw StoreError(.invalidArgument, "the append pipeline is stopped") }
    }

    /// Waits until everything submitted is appended; rethrows an append failure.
    func drain() throws {
        worker.drain()
        if let failure = shared.withLock({ $0.failure }) { throw failure }
    }

    /// Appends what is queued, then stops the thread and waits until it has exited.
    func stop() {
        worker.stop(.finishQueued)
    }
}
