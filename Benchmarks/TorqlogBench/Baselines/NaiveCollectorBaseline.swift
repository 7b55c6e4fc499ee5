import Foundation

/// The naive collector: producers hand events (as `CodableEvent`s) to one
/// writer thread, which encodes each with `JSONEncoder` and writes it with
/// one `FileHandle.write` (JSON and newline), no batching, no fsync.
enum NaiveCollectorBaseline {
    /// The writer thread: returns the events written once the queue is closed
    /// and empty and the file is closed. On a failure it keeps taking (and
    /// discarding) events so producers are not stuck, and returns the error.
    static func writer(queue: HandoffQueue<CodableEvent>, path: String) -> Result<Int, BenchError> {
        var batch: [CodableEvent] = []
        batch.reserveCapacity(min(queue.capacity, 1 << 16))
        var result: Result<Int, BenchError>
        do {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw BenchError("naive collector: cannot create \(path)")
            }
            let encoder = CodableEvent.makeEncoder()
            var written = 0
            while queue.take(into: &batch) {
                for event in batch {
                    var line = try encoder.encode(event)
                    line.append(0x0A)
                    try handle.write(contentsOf: line)
                    written += 1
                }
            }
            try handle.close()
            result = .success(written)
        } catch let e as BenchError {
            result = .failure(e)
        } catch {
            result = .failure(BenchError("naive collector: \(error)"))
        }
        while queue.take(into: &batch) {}
        return result
    }
}
