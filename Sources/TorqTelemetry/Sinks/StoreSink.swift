import TorqLogStore

/// Writes batches to a torqlog store through a ``LogWriter``: one `write(2)`
/// per batch, durability by the writer's policy (group commit for `batch`).
final class StoreSink: EventSink, @unchecked Sendable {
    let writer: LogWriter
    private var batch = RecordBatch()

    init(directory: String, configuration: TelemetryConfiguration) throws {
        var options = LogWriter.Options(durability: configuration.fsync, sealClosedSegments: configuration.compression)
        if let days = configuration.retentionDays { options.retention = .days(days) }
        writer = try LogWriter(directory: StoreDirectory(directory), options: options)
    }

    var pendingCount: Int { batch.count }

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

    func commit() throws -> Int {
        let before = batch.count
        do {
            try writer.append(&batch)
        } catch {
            // The writer keeps exactly the unwritten records in `batch`.
            let written = before - batch.count
            if written > 0 { throw PartialCommit(written: written, underlying: error) }
            throw error
        }
        return before
    }

    func discardPending() { batch.removeAll() }

    func close() throws {
        try writer.close()
    }

    func events(matching query: EventQuery) throws -> [StoredEvent] {
        let reader = try StoreReader(directory: writer.directory)
        let filter = RecordFilter(runKey: query.runID, type: query.eventType?.rawValue, since: query.since, until: query.until)
        var found: [StoredEvent] = []
        try reader.forEach(filter) { record in
            found.append(StoredEvent(json: Array(record.payload)))
            return found.count < query.limit ?? .max
        }
        return found
    }
}

/// A commit that wrote some events and failed on the rest (which stay pending).
struct PartialCommit: Error {
    var written: Int
    var underlying: any Error
}
