import Foundation
import Testing
import TorqTestSupport
import TorqLogStore
import TorqTelemetry

/// `torqlog compliance` and `torqlog schema`, run as a user would.
@Suite("compliance and schema commands")
struct CommandTests {
    static func corpusFile(_ dir: TemporaryDirectory) throws -> (path: String, cases: [ViolationCorpus.Case]) {
        let cases = ViolationCorpus.make()
        return (try dir.write("corpus.jsonl", lines: cases.map(\.line)), cases)
    }

    @Test("--format json: the documented keys and the corpus's counts")
    func json() throws {
        let dir = TemporaryDirectory("cmd-json")
        let (path, cases) = try Self.corpusFile(dir)
        let result = try TorqlogBinary.run(["compliance", "--format", "json", path])
        #expect(result.status == 0, "\(result.stderrText)")
        let object = try #require(foundationObject(result.stdoutText))
        #expect(object["total_events"] as? Int == cases.count)
        #expect(object["compliant_events"] as? Int == cases.filter(\.compliant).count)
        let score = try #require(object["compliance_score"] as? Double)
        #expect(abs(score - Double(cases.filter(\.compliant).count) / Double(cases.count)) < 1e-6)
        for key in ["by_type", "fields", "recommendations"] { #expect(object[key] != nil) }
    }

    @Test("--min-score: exit 1 below, 0 at or above; percentages accepted")
    func minScore() throws {
        let dir = TemporaryDirectory("cmd-min")
        let (path, cases) = try Self.corpusFile(dir)
        let score = Double(cases.filter(\.compliant).count) / Double(cases.count)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", String(score - 0.01), path]).status == 0)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", String(score + 0.01), path]).status == 1)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", "0", path]).status == 0)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", "95%", path]).status == 1)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", "1.5", path]).status == 64)
        let good = try dir.write("good.jsonl", lines: [#"{"event_id":"e","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","tool_name":"t","tool_type":"read","status":"ok"}"#])
        #expect(try TorqlogBinary.run(["compliance", "--min-score", "1", good]).status == 0)
        #expect(try TorqlogBinary.run(["compliance", "--min-score", "100%", "--format", "json", good]).status == 0)
    }

    @Test("text output: the score, the table, locations of non-objects, recommendations")
    func text() throws {
        let dir = TemporaryDirectory("cmd-text")
        let path = try dir.write("events.jsonl", lines: [
            #"{"event_id":"e","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","tool_name":"t","tool_type":"read","status":"ok"}"#,
            "[1, 2, 3]",
            #"{"event_id":"e","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","tool_name":"t","tool_type":"read"}"#,
        ])
        let result = try TorqlogBinary.run(["compliance", path])
        #expect(result.status == 0)
        let out = result.stdoutText
        #expect(out.hasPrefix("compliance 33.3%  (1 of 3 events)"), "\(out)")
        #expect(out.contains("\(path):2  not a JSON object"))
        #expect(out.contains("\(path):3  status: missing"))
        #expect(out.contains("tool_execution.status missing in 50% of tool_execution events (1): set it in recordToolExecution"))
        #expect(out.contains("tool_execution.execution_time_ms missing in 100%"))
    }

    @Test("the default source is the store (--dir); --type and sealed segments as sources")
    func store() throws {
        let dir = TemporaryDirectory("cmd-store")
        let input = try dir.write("in.jsonl", lines: (0..<2_000).map { i in
            var w = SampleWorkload(seed: UInt64(i))
            return String(decoding: w.nextLine(), as: UTF8.self)
        })
        let store = dir.file("store")
        #expect(try TorqlogBinary.run(["--dir", store, "ingest", input]).status == 0)
        let all = try TorqlogBinary.run(["--dir", store, "compliance", "--format", "json"])
        #expect(all.status == 0, "\(all.stderrText)")
        #expect(foundationObject(all.stdoutText)?["total_events"] as? Int == 2_000)
        #expect(foundationObject(all.stdoutText)?["compliant_events"] as? Int == 2_000)
        let routing = try TorqlogBinary.run(["compliance", "--dir", store, "--type", "routing_decision", "--format", "json"])
        #expect(foundationObject(routing.stdoutText)?["total_events"] as? Int == 2_000) // every workload starts with a routing decision
        #expect(try TorqlogBinary.run(["--dir", store, "seal"]).status == 0)
        let sealed = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".lz4") }.sorted()
        #expect(!sealed.isEmpty)
        let bySegment = try TorqlogBinary.run(["compliance", "--format", "json"] + sealed.map { store + "/" + $0 })
        #expect(foundationObject(bySegment.stdoutText)?["total_events"] as? Int == 2_000, "\(bySegment.stderrText)")
        #expect(try TorqlogBinary.run(["--dir", dir.file("nothing-here"), "compliance"]).status == 1)
    }

    @Test("standard input and gzip as sources")
    func stdinAndGzip() throws {
        let dir = TemporaryDirectory("cmd-stdin")
        let (path, cases) = try Self.corpusFile(dir)
        let fromStdin = try TorqlogBinary.run(["compliance", "--format", "json", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(foundationObject(fromStdin.stdoutText)?["total_events"] as? Int == cases.count)
        let gz = dir.file("corpus.jsonl.gz")
        try gzipFile(cases.map(\.line), to: gz, append: false)
        let fromGzip = try TorqlogBinary.run(["compliance", "--format", "json", gz])
        #expect(foundationObject(fromGzip.stdoutText)?["compliant_events"] as? Int == cases.filter(\.compliant).count)
        #expect(try TorqlogBinary.run(["compliance", dir.file("missing.jsonl")]).status == 1)
    }

    @Test("torqlog schema: the generated JSON Schema, whole or for one type")
    func schema() throws {
        let whole = try TorqlogBinary.run(["schema"])
        #expect(whole.status == 0)
        #expect(whole.stdoutText == (EventJSONSchema.document() ?? "") + "\n")
        let tool = try TorqlogBinary.run(["schema", "--type", "tool_execution"])
        #expect(tool.stdoutText == (EventJSONSchema.document(for: .toolExecution) ?? "") + "\n")
        let bad = try TorqlogBinary.run(["schema", "--type", "span_start"])
        #expect(bad.status == 64)
        #expect(bad.stderrText.contains("unknown event type"))
    }
}
