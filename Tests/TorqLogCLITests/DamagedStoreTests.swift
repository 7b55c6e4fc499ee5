import Foundation
import Testing
import TorqTestSupport

/// Damage made by hand to a store's files, as the CLI sees it: `verify` reports it
/// and fails, readers refuse to return bad data, a writer refuses to open over it,
/// and a torn tail (a cut-off last frame) is a note for `verify` and is dropped by
/// the next writer, which says how many bytes it dropped.
@Suite("Damaged stores")
struct DamagedStoreTests {
    /// The store's WAL segments, by name (= base sequence) order.
    static func segments(_ store: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".wal") }.sorted()
    }

    static func flipByte(_ path: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0x20
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The segments `info --format json` lists.
    static func infoSegments(_ store: String) throws -> [[String: Any]] {
        let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
        return try #require(json["segments"] as? [[String: Any]])
    }

    @Test("a flipped byte in a closed segment: verify exits 1 naming it; export fails naming it")
    func damagedClosedSegment() throws {
        let lines = Workload.lines(200, seed: 0xBAD, bigPayloadEvery: 0)
        try withTemporaryStore { store, _ in
            let ingest = try TorqlogBinary.run(["--dir", store, "ingest", "--segment-size", "8192"], stdin: jsonl(lines))
            #expect(ingest.succeeded, "ingest: \(ingest.summary)")
            let segments = try Self.infoSegments(store)
            try #require(segments.count >= 5)
            // A closed segment in the middle (a WAL segment, or sealed by the writer).
            let victim = try #require(segments[segments.count / 2]["name"] as? String)
            let path = store + "/" + victim
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            try Self.flipByte(path, at: size / 2)

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(!verify.signaled && verify.status == 1, "verify of a damaged store: \(verify.summary)")
            #expect(verify.stderrText.contains("DAMAGED") && verify.stderrText.contains(victim + " at byte "),
                    "verify should name \(victim) and an offset: \(verify.stderrText)")

            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(!export.signaled && export.status == 1, "export of a damaged store: \(export.summary)")
            #expect(export.stderrText.contains(victim), "export should name \(victim): \(export.stderrText)")
            // What it did print is a prefix of the input, and stops before the damaged records.
            let printed = splitLines(export.stdout)
            #expect(printed.count < lines.count && printed == Array(lines.prefix(printed.count)))
        }
    }

    @Test("a checksum mismatch in a complete last frame: the writer refuses to open and changes nothing")
    func damagedActiveSegment() throws {
        let lines = Workload.lines(50, seed: 0xBAE, bigPayloadEvery: 0)
        try withTemporaryStore { store, _ in
            #expect(try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(lines)).succeeded)
            let active = store + "/" + (try Self.segments(store).last!)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: active)[.size] as? Int)
            try Self.flipByte(active, at: size - 5)  // inside the last frame's payload

            let writer = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(Array(lines.prefix(3))))
            #expect(!writer.succeeded, "a writer opened a damaged store: \(writer.summary)")
            #expect(writer.stderrText.contains(active.split(separator: "/").last!), "error should name the segment: \(writer.stderrText)")
            #expect(try FileManager.default.attributesOfItem(atPath: active)[.size] as? Int == size, "the writer modified the damaged segment")
            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.status == 1 && verify.stderrText.contains("DAMAGED"), "verify: \(verify.summary)")
        }
    }

    @Test("a torn last frame: verify notes it and exits 0; the next writer drops exactly its bytes")
    func tornTail() throws {
        let lines = Workload.lines(30, seed: 0xBAF, bigPayloadEvery: 0)
        // The last record has simple keys, so its frame length is known: 32 + run + type + payload.
        let last = Data(#"{"run_id":"r1","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","n":1}"#.utf8)
        let frameLength = 32 + 2 + "tool_execution".utf8.count + last.count
        try withTemporaryStore { store, _ in
            #expect(try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(lines + [last])).succeeded)
            let active = store + "/" + (try Self.segments(store).last!)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: active)[.size] as? Int)
            let handle = try #require(FileHandle(forWritingAtPath: active))
            try handle.truncate(atOffset: UInt64(size - 7))
            try handle.close()

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify of a torn tail: \(verify.summary)")
            #expect(verify.stdoutText.contains("torn tail"), "verify should note the torn tail: \(verify.stdoutText)")
            let readers = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(readers.succeeded)
            expectJSONL(readers.stdout, equals: lines, "export with a torn tail")

            let writer = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl([last]))
            #expect(writer.succeeded, "writer over a torn tail: \(writer.summary)")
            #expect(writer.stderrText.contains("dropped a torn tail of \(frameLength - 7) bytes at byte \(size - frameLength)"),
                    "recovery message: \(writer.stderrText)")
            expectJSONL(try TorqlogBinary.run(["--dir", store, "export"]).stdout, equals: lines + [last], "export after recovery")
            let after = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(after.succeeded && !after.stdoutText.contains("torn tail"), "verify after recovery: \(after.stdoutText)")
        }
    }
}
