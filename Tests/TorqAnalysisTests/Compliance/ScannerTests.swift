import CZlib
import Foundation
import Testing
import TorqTestSupport
@testable import TorqAnalysis
import TorqLogStore
import TorqTelemetry
import TorqJSON

@Suite("Compliance scanner")
struct ScannerTests {
    /// The corpus, repeated `copies` times, with what the test expects of it.
    struct Expected {
        var lines: [String] = []
        var total = 0
        var compliant = 0
        var byType: [String: (events: Int, compliant: Int)] = [:]
        var notObjects = 0
        /// [type][field][reason] counts of the defects built into the corpus (first defect of each line).
        var missing: [String: Int] = [:]

        init(copies: Int) {
            let cases = ViolationCorpus.make()
            for _ in 0..<copies {
                for c in cases {
                    lines.append(c.line)
                    total += 1
                    if c.compliant { compliant += 1 }
                    if let bucket = c.bucket {
                        byType[bucket, default: (0, 0)].events += 1
                        if c.compliant { byType[bucket, default: (0, 0)].compliant += 1 }
                        if let defect = c.defect, defect.reason == "missing" {
                            missing["\(bucket).\(defect.field)", default: 0] += 1
                        }
                    } else {
                        notObjects += 1
                    }
                }
            }
        }
    }

    static func check(_ report: ComplianceReport, _ expected: Expected, objectsOnly: Bool = false) {
        let notObjects = objectsOnly ? 0 : expected.notObjects
        #expect(report.totalEvents == expected.total - (expected.notObjects - notObjects))
        #expect(report.compliantEvents == expected.compliant)
        #expect(report.notJSONObjects == notObjects)
        for t in report.byType {
            let e = expected.byType[t.name] ?? (0, 0)
            #expect(t.events == e.events, "\(t.name) events")
            #expect(t.compliantEvents == e.compliant, "\(t.name) compliant")
        }
        // Missing required fields: the corpus's own tally (one defect per line, except the
        // "two fields missing" lines, which also miss session_id).
        for f in report.fields where f.requirement == .required && f.eventType != "unknown" && f.field != "session_id" && f.field != "event_type" {
            let key = "\(f.eventType).\(f.field)"
            #expect((f.failures[.missing] ?? 0) == (expected.missing[key] ?? 0), "\(key) missing")
        }
    }

    @Test("JSONL: counts match the corpus; non-objects are located by FILE:LINE")
    func jsonl() throws {
        let dir = TemporaryDirectory("jsonl")
        let expected = Expected(copies: 3)
        let path = try dir.write("events.jsonl", lines: expected.lines)
        let report = try ComplianceScanner().scan([ScanSource(argument: path)])
        Self.check(report, expected)
        let firstBad = try #require(expected.lines.firstIndex { foundationObject($0) == nil })
        // With room for every example, every non-compliant line is listed, in order.
        let all = try ComplianceScanner(maxExamples: 100_000).scan([.jsonl(path)])
        let notObjectLocations = all.examples.filter { $0.issues.first?.reason == .notAnObject }.map(\.location.description)
        #expect(notObjectLocations.first == "\(path):\(firstBad + 1)")
        #expect(notObjectLocations.count == expected.notObjects)
        #expect(all.examples.count == expected.total - expected.compliant)
    }

    @Test("span events are counted apart: neither compliant nor non-compliant")
    func spanEvents() throws {
        let dir = TemporaryDirectory("spans")
        let expected = Expected(copies: 1)
        let spans = [
            #"{"event_id":"s1","event_type":"span_start","timestamp":"2026-11-25T10:00:00Z","session_id":"s","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"chat"}"#,
            #"{"event_id":"s2","event_type":"span_end","timestamp":"2026-11-25T10:00:01Z","session_id":"s","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"chat","status":"ok"}"#,
            #"{"event_id":"s3","event_type":"span_ending","timestamp":"2026-11-25T10:00:01Z","session_id":"s"}"#,
        ]
        let path = try dir.write("events.jsonl", lines: expected.lines + spans)
        let report = try ComplianceScanner().scan([ScanSource(argument: path)])
        #expect(report.spanEvents == 2)
        // The look-alike type is an unknown event type like any other.
        #expect(report.totalEvents == expected.total + 1)
        #expect(report.compliantEvents == expected.compliant)
        #expect(report.unknownEventTypes.contains { $0.name == "span_ending" })
        #expect(!report.unknownEventTypes.contains { $0.name == "span_start" || $0.name == "span_end" })
        #expect(report.json().contains("\"span_events\" : 2") || report.json().contains("\"span_events\": 2"))
    }

    @Test("one thread, or several: the same report, for a file and for a store of many segments")
    func threads() throws {
        let dir = TemporaryDirectory("threads")
        let expected = Expected(copies: 6)
        let path = try dir.write("events.jsonl", lines: expected.lines)
        let store = StoreDirectory(dir.file("store"))
        let writer = try LogWriter(directory: store, options: LogWriter.Options(segmentSize: 128 << 10, durability: .never))
        var batch = RecordBatch()
        for line in expected.lines { try batch.append(payload: Array(line.utf8)) }
        _ = try writer.append(&batch)
        _ = writer.waitForSealing()
        try writer.close()
        #expect(try StoreReader(directory: store).segments.count > 4)
        for sources in [[ScanSource.jsonl(path)], [ScanSource.store(store.path)]] {
            let one = try ComplianceScanner(threads: 1).scan(sources)
            Self.check(one, expected)
            for threads in [2, 3, 8] {
                let many = try ComplianceScanner(threads: threads).scan(sources)
                #expect(many.json() == one.json())
            }
        }
    }

    @Test("one large sealed segment of many blocks is split among the threads: the same report; a damaged block is still found")
    func splitSegment() throws {
        let dir = TemporaryDirectory("split")
        let expected = Expected(copies: 6)
        let store = StoreDirectory(dir.file("store"))
        var options = LogWriter.Options(segmentSize: 64 << 20, durability: .never)
        options.sealLayout = SealLayout(groupBytes: 16 << 10, runBlockMinimum: 8, runBlockBytes: 8 << 10, sharedBlockBytes: 4 << 10, runPageBytes: 1024)
        let writer = try LogWriter(directory: store, options: options)
        var batch = RecordBatch()
        for line in expected.lines {
            let object = foundationObject(line)
            try batch.append(payload: Array(line.utf8), runKey: object?["run_id"] as? String, type: object?["event_type"] as? String, time: nil)
        }
        _ = try writer.append(&batch)
        try writer.sealAll()
        try writer.close()
        let sealed = try #require(try StoreReader(directory: store).segments.first { $0.kind == .sealed })
        let blocks = try StoreReader.sealedBlocks(segmentFile: sealed.path)
        #expect(blocks.count >= 8, "\(blocks.count) blocks")
        let one = try ComplianceScanner(threads: 1).scan([.store(store.path)])
        Self.check(one, expected)
        for threads in [2, 3, 8] {
            #expect(try ComplianceScanner(threads: threads).scan([.store(store.path)]).json() == one.json())
        }
        // A byte flipped in the middle of the file: the split scan reports it, naming the segment.
        var bytes = try #require(FileManager.default.contents(atPath: sealed.path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: sealed.path))
        #expect(throws: TelemetryError.self) { try ComplianceScanner(threads: 3).scan([.store(store.path)]) }
        do {
            _ = try ComplianceScanner(threads: 3).scan([.store(store.path)])
        } catch {
            #expect("\(error)".contains(String(sealed.path.split(separator: "/").last ?? "")), "\(error)")
        }
    }

    @Test("a store of sealed and WAL segments, whole or segment by segment")
    func store() throws {
        let dir = TemporaryDirectory("store")
        let expected = Expected(copies: 4)
        let store = StoreDirectory(dir.file("store"))
        let writer = try LogWriter(directory: store, options: LogWriter.Options(segmentSize: 256 << 10, durability: .never))
        var written = 0
        for chunk in stride(from: 0, to: expected.lines.count, by: 500) {
            var batch = RecordBatch()
            for line in expected.lines[chunk..<min(chunk + 500, expected.lines.count)] {
                let object = foundationObject(line)
                try batch.append(payload: Array(line.utf8), runKey: object?["run_id"] as? String,
                                 type: object?["event_type"] as? String, time: nil)
                written += 1
            }
            _ = try writer.append(&batch)
        }
        #expect(writer.waitForSealing().isEmpty)
        try writer.close()
        let segments = try StoreReader(directory: store).segments
        #expect(segments.contains { $0.kind == .sealed } && segments.contains { $0.kind == .wal })

        Self.check(try ComplianceScanner().scan([.store(store.path)]), expected)
        Self.check(try ComplianceScanner().scan([ScanSource(argument: store.path)]), expected)
        Self.check(try ComplianceScanner().scan(segments.map { ScanSource(argument: $0.path) }), expected)
        // Store records are located by segment and sequence.
        let report = try ComplianceScanner(maxExamples: 5).scan([.store(store.path)])
        #expect(report.examples.first?.location.sequence != nil)
        #expect(report.examples.first?.location.description.contains(" segment 000") == true)
    }

    @Test("gzip sources, including concatenated members; a truncated one is an error")
    func gzip() throws {
        let dir = TemporaryDirectory("gzip")
        let expected = Expected(copies: 2)
        let half = expected.lines.count / 2
        let path = dir.file("events.jsonl.gz")
        try gzipFile(Array(expected.lines[..<half]), to: path, append: false)
        try gzipFile(Array(expected.lines[half...]), to: path, append: true)
        let report = try ComplianceScanner().scan([ScanSource(argument: path)])
        Self.check(report, expected)

        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let truncated = dir.file("cut.jsonl.gz")
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: TelemetryError.self) { try ComplianceScanner().scan([.gzip(truncated)]) }
    }

    @Test("sources together: counts add up; a missing source is an error")
    func several() throws {
        let dir = TemporaryDirectory("several")
        let expected = Expected(copies: 1)
        let a = try dir.write("a.jsonl", lines: expected.lines)
        let b = dir.file("b.jsonl.gz")
        try gzipFile(expected.lines, to: b, append: false)
        let report = try ComplianceScanner().scan([.jsonl(a), .gzip(b)])
        #expect(report.totalEvents == 2 * expected.total)
        #expect(report.compliantEvents == 2 * expected.compliant)
        #expect(throws: TelemetryError.self) { try ComplianceScanner().scan([.jsonl(dir.file("nope.jsonl"))]) }
        #expect(throws: TelemetryError.self) { try ComplianceScanner().scan([.store(dir.file("nostore"))]) }
    }

    @Test("filters: by type and by time, on JSONL as on the store")
    func filters() throws {
        let dir = TemporaryDirectory("filters")
        var workload = SampleWorkload(seed: 5, defectRate: 0.05)
        let lines = (0..<4_000).map { _ in String(decoding: workload.nextLine(), as: UTF8.self) }
        let path = try dir.write("events.jsonl", lines: lines)
        let expectedTools = lines.filter { foundationObject($0)?["event_type"] as? String == "tool_execution" }.count
        let report = try ComplianceScanner(filter: RecordFilter(type: "tool_execution")).scan([.jsonl(path)])
        #expect(report.totalEvents == expectedTools)
        #expect(report.byType.first { $0.name == "tool_execution" }?.events == expectedTools)

        let since = SampleWorkload.defaultStart + 3_600 * 1_000_000_000
        let late = lines.filter { line in
            guard let stamp = foundationObject(line)?["timestamp"] as? String, let t = RFC3339.parseNanoseconds(stamp) else { return false }
            return t >= since
        }.count
        #expect(try ComplianceScanner(filter: RecordFilter(since: since)).scan([.jsonl(path)]).totalEvents == late)

        let store = StoreDirectory(dir.file("store"))
        let writer = try LogWriter(directory: store, options: LogWriter.Options(durability: .never))
        var batch = RecordBatch()
        for line in lines {
            let object = foundationObject(line)
            let time = (object?["timestamp"] as? String).flatMap { RFC3339.parseNanoseconds($0) }
            if object == nil { continue }
            try batch.append(payload: Array(line.utf8), runKey: object?["run_id"] as? String, type: object?["event_type"] as? String, time: time)
        }
        _ = try writer.append(&batch)
        try writer.close()
        #expect(try ComplianceScanner(filter: RecordFilter(type: "tool_execution")).scan([.store(store.path)]).totalEvents == expectedTools)
        #expect(try ComplianceScanner(filter: RecordFilter(since: since)).scan([.store(store.path)]).totalEvents == late)
    }

    @Test("a line longer than 16 MiB is one non-compliant event; the next lines still count")
    func tooLong() throws {
        let dir = TemporaryDirectory("long")
        let good = #"{"event_id":"e","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","tool_name":"t","tool_type":"read","status":"ok"}"#
        let long = "{\"x\":\"" + String(repeating: "a", count: 17 << 20) + "\"}"
        let path = try dir.write("long.jsonl", lines: [good, long, good, ""])
        let report = try ComplianceScanner().scan([.jsonl(path)])
        #expect(report.totalEvents == 3)
        #expect(report.compliantEvents == 2)
        #expect(report.notJSONObjects == 1)
        #expect(report.examples.first?.location.description == "\(path):2")
    }

    @Test("an empty source: no events, score 1")
    func empty() throws {
        let dir = TemporaryDirectory("empty")
        let path = try dir.write("empty.jsonl", lines: ["", "   ", ""])
        let report = try ComplianceScanner().scan([.jsonl(path)])
        #expect(report.totalEvents == 0)
        #expect(report.complianceScore == 1)
        #expect(report.recommendations.isEmpty)
    }

    @Test("recommendations name the field, the share and the recording call")
    func recommendations() throws {
        var lines: [String] = []
        for i in 0..<100 {
            let time = i % 3 == 0 ? "" : #","execution_time_ms":15"#
            lines.append(#"{"event_id":"e\#(i)","event_type":"tool_execution","timestamp":"2026-03-01T12:00:00Z","session_id":"s","tool_name":"t","tool_type":"read","status":"ok","success":true\#(time)}"#)
        }
        let report = try ComplianceScanner().report(jsonLines: lines.map { Array($0.utf8) })
        #expect(report.complianceScore == 1)
        #expect(report.recommendations.contains { $0.hasPrefix("tool_execution.execution_time_ms missing in 34% of tool_execution events (34): set it in recordToolExecution") },
                "\(report.recommendations)")
        let bad = try ComplianceScanner().report(jsonLines: lines.map { Array($0.replacingOccurrences(of: #""status":"ok","#, with: "").utf8) })
        #expect(bad.complianceScore == 0)
        #expect(bad.recommendations.first?.contains("below the required 95%") == true)
        #expect(bad.recommendations.contains { $0.hasPrefix("tool_execution.status missing in 100% of tool_execution events (100)") })
    }

    @Test("the JSON report has the documented keys")
    func jsonKeys() throws {
        let report = try ComplianceScanner().report(jsonLines: ViolationCorpus.make().map { Array($0.line.utf8) })
        let object = try #require(foundationObject(report.json()))
        for key in ["total_events", "compliant_events", "compliance_score", "by_type", "fields", "recommendations", "not_json_objects", "examples"] {
            #expect(object[key] != nil, "\(key)")
        }
        let fields = try #require(object["fields"] as? [String: Any])
        let tool = try #require(fields["tool_execution"] as? [String: Any])
        let status = try #require(tool["status"] as? [String: Any])
        #expect(status["requirement"] as? String == "required")
        #expect(status["missing"] as? Int != nil)
        #expect(foundationObject(report.json(pretty: false)) != nil)
    }

    /// Writes `lines` gzip-compressed to `path` (a new member appended when `append`).
}
