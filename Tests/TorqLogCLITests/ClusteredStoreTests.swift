import Foundation
import Testing
import TorqTestSupport

/// The built binary on a store whose runs interleave by the hundred, sealed as
/// format version 3 (FORMAT.md §7.4): `export` and `tail` print in sequence
/// order, `replay` prints exactly its run, `lz4 -dc` prints the same lines in
/// cluster order, and `verify` and `compact` work on it.
@Suite struct ClusteredStoreTests {
    /// `count` events of `runs` runs all in flight at once; every 41st has no run_id.
    static func lines(_ count: Int, runs: Int) -> [Data] {
        (0..<count).map { i in
            let run = i % 41 == 40 ? "" : ",\"run_id\":\"run-\((i * 7919) % runs)\""
            let type = ["agent_run", "tool_execution", "model_interaction"][i % 3]
            let stamp = RFC3339Text.format(Workload.epoch + Int64(i) * 1_000_000, fractionDigits: 3, offsetMinutes: 0)
            return Data("{\"event_type\":\"\(type)\",\"timestamp\":\"\(stamp)\"\(run),\"i\":\(i),\"h\":\"\(String(UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15, radix: 16))\"}".utf8)
        }
    }

    @Test func everyCommandReadsAnInterleavedSealedStore() throws {
        let dir = TemporaryDirectory("clustered")
        let store = dir.file("store")
        let input = Self.lines(20_000, runs: 700)
        @discardableResult
        func run(_ args: [String], stdin: Data? = nil) throws -> CommandResult {
            let r = try TorqlogBinary.run(["--dir", store] + args, stdin: stdin)
            try #require(r.succeeded, "\(args.joined(separator: " ")): \(r.summary)")
            return r
        }
        try run(["ingest", "--no-seal", "--segment-size", String(512 << 10), "--quiet"], stdin: jsonl(input))
        let beforeSealing = try run(["export"]).stdout
        #expect(beforeSealing == jsonl(input))
        try run(["seal"])
        let sealed = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".lz4") }.sorted()
        #expect(sealed.count >= 3)

        #expect(try run(["export"]).stdout == beforeSealing, "export: sequence order, byte for byte what it was before sealing")
        expectJSONL(try run(["tail", "-n", "250", "--format", "jsonl"]).stdout, equals: Array(input.suffix(250)), "tail -n 250")
        for id in ["run-5", "run-333", "run-699"] {
            let expected = input.filter { $0.range(of: Data("\"run_id\":\"\(id)\"".utf8)) != nil }
            #expect(expected.count > 20)
            expectJSONL(try run(["replay", id, "--format", "jsonl"]).stdout, equals: expected, "replay \(id)")
            expectJSONL(try run(["export", "--run", id]).stdout, equals: expected, "export --run \(id)")
        }
        #expect(try run(["verify"]).succeeded)

        // lz4 -dc: the same lines, in cluster order (a run's lines together), not in sequence order.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lz4") else {
            Issue.record("the lz4 command-line tool is not installed (apt-get install lz4): cannot check lz4 -dc")
            return
        }
        var decoded: [Data] = []
        for name in sealed {
            let r = try Child.run(executable: "/usr/bin/lz4", ["-dc", dir.file("store/" + name)])
            #expect(r.succeeded, "lz4 -dc \(name): \(r.summary)")
            decoded += r.stdout.split(separator: 0x0A).map { Data($0) }
        }
        #expect(decoded.count == input.count)
        #expect(decoded != input, "cluster order differs from sequence order")
        #expect(decoded.map { String(decoding: $0, as: UTF8.self) }.sorted() == input.map { String(decoding: $0, as: UTF8.self) }.sorted())

        try run(["compact", "--drop-run", "run-333"])
        #expect(try run(["export"]).stdout == jsonl(input.filter { $0.range(of: Data("\"run_id\":\"run-333\"".utf8)) == nil }))
        #expect(try run(["verify"]).succeeded)
    }
}
