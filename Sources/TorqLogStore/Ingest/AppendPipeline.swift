import Foundation

/// Hands filled batches to a thread that appends them to the store, so that
/// validating the next batch (one core) overlaps checksumming and writing the
/// previous one (the other core). At most one batch is in flight: memory stays
/// bounded, and records are appended in the order they were submitted.
///
/// A thread with a condition variable rather than a task: `append` blocks on
/// `write(2)` and `fdatasync`.
final class AppendPipeline: @unchecked Sendable {
    // @unchecked: the mutable fields are guarded by `condition`.
    private let condition = NSCondition()
    private let writer: LogWriter
    /// The batch waiting for the thread, and whether the thread is appending one.
    /// (The thread takes the batch out of `pending` so that it holds the only
    /// reference: stamping sequences then mutates it in place, without a copy.)
    private var pending: RecordBatch?
    private var busy = false
    private var spare: RecordBatch? = RecordBatch()
    private var failure: Error?
    private var stopped = false

    init(writer: LogWriter) {
        self.writer = writer
        let t = Thread { [self] in run() }
        t.name = "torqlog-append"
        t.start()
    }

    /// Queues `batch` for appending and gives back an empty batch to fill next
    /// (waits while the previous batch is still being written).
    func submit(_ batch: inout RecordBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while (pending != nil || busy) && failure == nil { condition.wait() }
        if let failure { throw failure }
        pending = batch
        batch = spare ?? RecordBatch()
        spare = nil
        condition.broadcast()
    }

    /// Waits until everything submitted is appended; rethrows an append failure.
    func drain() throws {
        condition.lock()
        defer { condition.unlock() }
        while (pending != nil || busy) && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    /// Stops the thread (after the batch in flight).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while pending == nil && !stopped { condition.wait() }
            guard var batch = pending.take() else { break }
            busy = true
            condition.unlock()
            var error: Error?
            do { try writer.append(&batch) } catch let e { error = e }
            batch.removeAll()
            condition.lock()
            busy = false
            spare = batch
            if let error { failure = error }
            condition.broadcast()
        }
        condition.unlock()
    }
}
