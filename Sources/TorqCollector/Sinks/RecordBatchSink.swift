import TorqLogStore

/// A sink that takes encoded events as framed records, whole (the store):
/// the flusher hands it each chunk's ``RecordBatch`` instead of adding the
/// events one by one, so a record is copied once, by the encoder that frames it.
protocol RecordBatchSink: EventSink {
    /// Adds `records` (unstamped) after the pending ones. Leaves `records`
    /// an empty batch, which the caller may reuse.
    func add(records: inout RecordBatch)
}

extension EventSink {
    /// Adds the records of `batch` to this sink: whole to a ``RecordBatchSink``,
    /// else one by one through ``EventSink/add(json:runID:type:time:)``.
    /// Returns the records refused, and their payload bytes.
    func add(encoded batch: inout RecordBatch) -> (refused: Int, bytes: Int64) {
        if let whole = self as? any RecordBatchSink {
            whole.add(records: &batch)
            return (0, 0)
        }
        var refused = 0
        var bytes: Int64 = 0
        batch.forEachRecord { payload, run, type, time in
            do {
                try add(json: payload, runID: run.map { String(decoding: $0, as: UTF8.self) },
                        type: type.map { String(decoding: $0, as: UTF8.self) } ?? "", time: time ?? 0)
            } catch {
                refused += 1
                bytes += Int64(payload.count)
            }
        }
        batch.removeAll()
        return (refused, bytes)
    }
}
