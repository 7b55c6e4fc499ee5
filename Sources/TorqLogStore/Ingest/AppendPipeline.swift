import Foundation

/// Hands filled batches to a thread that appends them to the store, so that
/// validating the next batches overlaps checksumming and writing the previous
/// ones. At most `depth` batches wait (plus the one being written): memory stays
/// bounded, and records are appended in the order they were submitted. (Two
/// waiting: a large read yields two batches, one per parsing thread, and both
/// can be queued while the previous read's last batch is still being written.)
///
/// A thread with a condition variable rather than a task: `append` blocks on
/// `write(2)` and `fdatasync`.
final class AppendPipeline: @unchecked Sendable {
    // @unchecked: the mutable fields are guarded by `condition`.
    private let condition = NSCondition()
    private let writer: LogWriter
    /// The batches waiting for the thread (oldest first), and whether the thread
    /// is appending one. (The thread takes the batch out of `pending` so that it
    /// holds the only reference: stamping sequences then mutates it in place,
    /// without a copy.)
    private var pending: [RecordBatch] = []
    private let depth = 2
    private var busy = false
    /// Emptied batches, handed back by `submit` so their capacity is reused.
    private var spares: [RecordBatch] = []
    private var failure: Error?
    private var stopped = false

    init(writer: LogWriter) {
        self.writer = writer
        pending.reserveCapacity(depth)
        spares.reserveCapacity(2)
        let t = Thread { [self] in run() }
        t.name = "torqlog-append"
        t.start()
    }

    /// Queues `batch` for appending and gives back an empty batch to fill next
    /// (waits while `depth` batches are already waiting).
    func submit(_ batch: inout RecordBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while pending.count >= depth && failure == nil { condition.wait() }
        if let failure { throw failure }
        var next = spares.popLast() ?? RecordBatch()
        swap(&next, &batch)
        pending.append(next)
        condition.broadcast()
    }

    /// Waits until everything submitted is appended; rethrows an append failure.
    func drain() throws {
        condition.lock()
        defer { condition.unlock() }
        while (!pending.isEmpty || busy) && failure == nil { condition.wait() }
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
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty { break }
            var batch = pending.removeFirst()
            busy = true
            condition.unlock()
            var error: Error?
            do { try writer.append(&batch) } catch let e { error = e }
            batch.removeAll()
            condition.lock()
            busy = false
            if spares.count < 2 { spares.append(batch) }
            if let error { failure = error }
            condition.broadcast()
        }
        condition.unlock()
    }
}
