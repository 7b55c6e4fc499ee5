import Foundation
@testable import TorqLogStore

/// A fresh store directory under /tmp, removed when the value goes away.
final class TemporaryStore {
    let path: String
    var directory: StoreDirectory { StoreDirectory(path) }

    init(_ label: String = "store") {
        var template = Array("/tmp/torqlog-test-\(label)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = p.map { String(cString: $0) } ?? "/tmp/torqlog-test-\(label)-\(UUID().uuidString)"
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The store's WAL segment paths, in order.
    func segments() throws -> [String] { try directory.walSegments().map(\.path) }

    /// Appends `payloads` as records (run key/type/time taken from the arguments).
    static func append(_ writer: LogWriter, _ records: [(payload: String, run: String?, type: String?, time: Int64?)]) throws {
        var batch = RecordBatch()
        for r in records {
            try batch.append(payload: Array(r.payload.utf8), runKey: r.run, type: r.type, time: r.time)
        }
        try writer.append(&batch)
    }
}

/// All records of a store as (sequence, payload) pairs.
func readAll(_ directory: StoreDirectory, _ filter: RecordFilter = RecordFilter()) throws -> [(UInt64, String)] {
    var out: [(UInt64, String)] = []
    try StoreReader(directory: directory).forEach(filter) { r in
        out.append((r.sequence, String(decoding: r.payload, as: UTF8.self)))
        return true
    }
    return out
}

/// What `torqlog export` writes for a store: every payload and `0x0A`, in sequence order.
func exportBytes(_ directory: StoreDirectory) throws -> [UInt8] {
    var out: [UInt8] = []
    try StoreReader(directory: directory).forEach { r in
        out.append(contentsOf: r.payload)
        out.append(0x0A)
        return true
    }
    return out
}

/// Deterministic sample records: `count` payloads over `runs` runs.
func sampleRecords(_ count: Int, runs: Int = 3, payloadSize: Int = 60) -> [(payload: String, run: String?, type: String?, time: Int64?)] {
    (0..<count).map { i in
        let run = "run-\(i % runs)"
        let type = ["agent_run", "tool_execution", "model_interaction"][i % 3]
        let pad = String(repeating: "x", count: max(0, payloadSize - 60))
        let payload = "{\"i\":\(i),\"run_id\":\"\(run)\",\"event_type\":\"\(type)\",\"pad\":\"\(pad)\"}"
        return (payload, run, type, Int64(1_700_000_000_000_000_000) + Int64(i) * 1_000_000)
    }
}

func readFile(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
