import Synchronization
import TorqLogStore
import TorqServerLink

/// Writes batches to a torqlog store through a ``LogWriter``: one `write(2)`
/// per batch, durability by the writer's policy (group commit for `batch`).
///
/// It keeps every batch it has appended until the writer reports it durable.
/// A writer that fails (a failed write or `fdatasync`) is treated as gone: its
/// file descriptor is never used again. The next commit closes it, opens a new
/// writer that cuts the segment back to where the failed one's data was last
/// durable (`LogWriter(resumingAfter:)`), appends the batches not yet durable
/// again, in order, and goes on: nothing committed is lost, nothing is stored
/// twice.
///
/// When another process holds the store and it is a `torqlog serve`, the sink
/// writes through that server instead (``ServedStore``): each commit returns
/// once the server has made the batch durable, so nothing is unacknowledged
/// between commits. Readers (`events(matching:)`) read the store directly.
final class StoreSink: RecordBatchSink, @unchecked Sendable {
    // @unchecked: `writer`, `served`, `batch` and `resumeAfter` belong to the
    // flusher thread; `unacknowledged` is behind a Mutex (the sync thread trims it).
    private let directory: StoreDirectory
    private var options: LogWriter.Options
    private var writer: LogWriter?
    /// The server holding the store, while the sink writes through it (then `writer` is nil).
    private var served: ServedStore?
    /// A failed writer's failure, for the next writer to resume after.
    private var resumeAfter: LogWriter.Failure?
    private var closed = false
    private var batch = RecordBatch()
    private let unacknowledged = UnacknowledgedBatches()

    /// Shared with the writer's `onDurable`, which runs on its syncing thread.
    private final class UnacknowledgedBatches: Sendable {
        private let state = Mutex(Unacknowledged())
        func withLock<R>(_ body: (inout Unacknowledged) throws -> R) rethrows -> R { try state.withLock { try body(&$0) } }
    }

    /// Appended batches not yet reported durable, oldest first.
    private struct Unacknowledged: ~Copyable {
        var batches: [RecordBatch] = []
        /// Every record below this is durable (the writer's latest report).
        var durable: UInt64 = 0
        /// Emptied batches, reused for the next ones.
        var spares: [RecordBatch] = []

        mutating func trim() {
            var n = 0
            while n < batches.count, let range = batches[n].sequences, range.upperBound <= durable { n += 1 }
            guard n > 0 else { return }
            for i in 0..<n where spares.count < 4 {
                var spare = batches[i]
                spare.removeAll()
                spares.append(spare)
            }
            batches.removeFirst(n)
        }
    }

    init(directory: String, configuration: TelemetryConfiguration) throws {
        self.directory = StoreDirectory(directory)
        var options = LogWriter.Options(durability: configuration.fsync, sealClosedSegments: configuration.compression)
        if let days = configuration.retentionDays { options.retention = .days(days) }
        self.options = options
        let pending = unacknowledged
        self.options.onDurable = { (next: UInt64) in
            pending.withLock { u in
                if next > u.durable { u.durable = next }
                u.trim()
            }
        }
        do {
            writer = try LogWriter(directory: self.directory, options: self.options)
        } catch let error as StoreError where error.kind == .locked {
            // Held by another writer: when it is a `torqlog serve`, write through it.
            guard let server = try ServedStore.find(self.directory, fsync: configuration.fsync) else { throw error }
            served = server
        }
    }

    var pendingCount: Int { batch.count }

    /// Events committed but not yet durable: lost if the store cannot be written again before close.
    var unacknowledgedCount: Int { unacknowledged.withLock { u in u.batches.reduce(0) { $0 + $1.count } } }

    func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws {
        var type = type
        try type.withUTF8 { t in
            if var run = runID {
                try run.withUTF8 { r in
                    try batch.append(payload: json, runKey: UnsafeRawBufferPointer(r), type: UnsafeRawBufferPointer(t), time: time)
                }
            } else {
                try batch.append(payload: json, runKey: nil, type: UnsafeRawBufferPointer(t), time: time)
            }
        }
    }

    func add(records: inout RecordBatch) {
        if batch.isEmpty {
            swap(&batch, &records)
        } else {
            batch.append(contentsOf: records)
            records.removeAll()
        }
    }

    /// Appends the pending batch, all of it or (on a failure) none of it as
    /// far as the caller is concerned: the batch stays pending and the next
    /// commit retries it with a new writer.
    func commit() throws -> Int {
        let count = batch.count
        guard count > 0 else { return 0 }
        if let served {
            guard !closed else { throw StoreError(.invalidArgument, path: directory.path, "the store sink is closed") }
            if let fresh = try served.writerAfterServer(options: options) {
                // The server is gone and nothing sent to it is in doubt: the store is ours again.
                self.served = nil
                writer = fresh
            } else {
                try served.append(&batch)
                return count
            }
        }
        let writer = try workingWriter()
        let range = try writer.append(&batch, keepingRecords: true)
        unacknowledged.withLock { u in
            var next = u.spares.popLast() ?? RecordBatch()
            swap(&next, &batch)
            if range.upperBound > u.durable {
                u.batches.append(next)
            } else if u.spares.count < 4 {
                // Durable already (`always`): its buffers serve the next batch
                // rather than going back to malloc and being grown again.
                next.removeAll()
                u.spares.append(next)
            }
        }
        return count
    }

    /// The writer, or a new one resuming after a failed one (with every
    /// batch not yet durable appended again).
    private func workingWriter() throws -> LogWriter {
        if let writer, writer.failure == nil { return writer }
        guard !closed else { throw StoreError(.invalidArgument, path: directory.path, "the store sink is closed") }
        if let failed = writer, let failure = failed.failure {
            // Gone: close it (its lock goes, its descriptor is never used again),
            // and report the failure (it may have come from a background sync):
            // the caller retries, and the retry resumes with a new writer.
            resumeAfter = failure
            writer = nil
            throw failed.close(after: failure.error)
        }
        let fresh = try LogWriter(directory: directory, options: options, resumingAfter: resumeAfter)
        writer = fresh
        let durable = resumeAfter?.durable.sequence ?? fresh.nextSequence
        resumeAfter = nil
        // Append again what the failed writer had not made durable, in order
        // (outside the lock: the writer reports durability through it).
        var again: [RecordBatch] = unacknowledged.withLock { u in
            if durable > u.durable { u.durable = durable }
            u.trim()
            defer { u.batches.removeAll() }
            return u.batches
        }
        defer {
            unacknowledged.withLock { u in
                u.batches = again + u.batches
                u.trim()
            }
        }
        for i in again.indices {
            again[i].removeRecords(before: durable)
            try fresh.append(&again[i], keepingRecords: true)
        }
        batch.removeRecords(before: durable)
        return fresh
    }

    func discardPending() {
        batch.removeAll()
        served?.pendingDiscarded()
    }

    /// Makes every committed batch durable and releases the store. When that
    /// fails, the batches not yet durable are kept, and a later call tries
    /// again with a new writer.
    func close() throws {
        guard !closed else { return }
        if served != nil {
            // Every commit through the server was durable when it returned: nothing to make durable or release.
            closed = true
            return
        }
        let writer = try workingWriter()
        try writer.close()
        closed = true
        self.writer = nil
    }

    func events(matching query: EventQuery) throws -> [StoredEvent] {
        let reader = try StoreReader(directory: directory)
        let filter = RecordFilter(runKey: query.runID, type: query.eventType?.rawValue, since: query.since, until: query.until)
        var found: [StoredEvent] = []
        try reader.forEach(filter) { record in
            found.append(StoredEvent(json: Array(record.payload)))
            return found.count < query.limit ?? .max
        }
        return found
    }
}
