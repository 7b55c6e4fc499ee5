import Foundation

/// What one writes first: Foundation's JSONSerialization to validate each
/// line, then one FileHandle.write per line (no batching, no fsync).
enum NaiveBaseline {
    /// Ingests `input` into a JSONL file at `path`; returns events and JSON bytes stored.
    /// Records one latency per line (validate + write).
    static func ingest(input: String, path: String, latency: inout LatencyRecorder) throws -> (events: Int, bytes: Int64) {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchError("naive baseline: cannot create \(path)")
        }
        var reader = try LineReader(path: input)
        var events = 0
        var bytes: Int64 = 0
        latency.start()
        try reader.forEachLine { line in
            let data = Data(bytes: line.baseAddress!, count: line.count)
            guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw BenchError("naive baseline: line \(events + 1) of \(input) is not a JSON object")
            }
            var record = data
            record.append(0x0A)
            try handle.write(contentsOf: record)
            events += 1
            bytes += Int64(line.count)
            latency.lap()
        }
        try handle.close()
        return (events, bytes)
    }
}
