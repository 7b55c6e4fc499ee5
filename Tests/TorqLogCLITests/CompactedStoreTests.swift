// Longer than most files: every reader is checked against one independent
// expectation after each compaction, and the checks are shared.
import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
import TorqEvents
#endif

/// Every reader of the CLI on a store after every kind of compaction (FORMAT.md §1, §7, §8):
/// retention by age and by size, merging, dropping a run (in particular one whose records
/// end a sealed segment, so that the segment's records stop before its `end_sequence`),
/// merge leftovers, and archiving with `--move`.
///
/// Each test builds a small store through the real binary, compacts it through the real
/// binary, and then runs `checkReaders`, which compares what every reader prints with an
/// expectation computed here from the input lines alone: the records that must survive,
/// with their sequence numbers (their index in what was ingested).
///
/// The contract checked is FORMAT.md's: segments are contiguous when the base of segment
/// k+1 equals the end sequence of segment k (for a sealed segment, its index's
/// `end_sequence`, whatever its last record's sequence); a sealed segment wholly covered
/// by the previous one is a merge leftover that every reader skips: it is neither counted
/// nor reported as damage.
@Suite("Compacted stores: every reader after every kind of compaction")
struct CompactedStoreTests {
    // MARK: - The data

    /// Runs with spans (span_start/span_end pairs and model/tool leaves), spread over the whole store.
    static let tracedRuns = ["traced-alpha", "traced-beta", "traced-gamma"]
    /// The run `--drop-run` erases.
    static let victim = "victim-run"
    static let spanTypes: Set<String> = ["span_start", "span_end"]

    /// 2,400 generated events (a few 40 KB ones among them) with the traced runs spread through them.
    static let corpus: [Data] = interleave(
        Workload.lines(2_400, seed: 0xC0_4AC7).map(otlpIDs),
        tracedRuns.enumerated().map { tracedRun($0.element, steps: 10, seed: 0x7EACE + UInt64($0.offset)) })

    /// `line` with its `trace_id` of 16 hex digits and `span_id` of 8 (as the workload writes
    /// them) doubled to the 32 and 16 that OTLP requires, so that `export --format otlp-json`
    /// converts every record; the rest of the line is unchanged.
    static func otlpIDs(_ line: Data) -> Data {
        var text = String(decoding: line, as: UTF8.self)
        for (field, digits) in [("trace_id", 16), ("span_id", 8)] {
            let pattern = "\"\(field)\":\"([0-9a-f]{\(digits)})\""
            text = text.replacingOccurrences(of: pattern, with: "\"\(field)\":\"$1$1\"", options: .regularExpression)
        }
        return Data(text.utf8)
    }

    /// Lines of one traced run: a root server span, then per step a child span holding a
    /// model_interaction and a tool_execution leaf (each with its own span id), then the root's end.
    static func tracedRun(_ run: String, steps: Int, seed: UInt64) -> [Data] {
        var rng = SplitMix64(seed: seed)
        let trace = rng.hex(32), root = rng.hex(16)
        var clock = Workload.epoch + Int64(rng.next() % 60_000) * 1_000_000
        var lines: [String] = []
        func emit(_ type: String, span: String, parent: String?, _ rest: String) {
            clock += Int64(20 + rng.next() % 300) * 1_000_000
            let time = RFC3339Text.format(clock, fractionDigits: 3, offsetMinutes: 0)
            var s = #"{"event_id":"\#(run)-\#(lines.count)","event_type":"\#(type)","timestamp":"\#(time)","session_id":"sess-traced","#
            s += #""run_id":"\#(run)","trace_id":"\#(trace)","span_id":"\#(span)""#
            if let parent { s += #","parent_span_id":"\#(parent)""# }
            lines.append(s + rest + "}")
        }
        emit("span_start", span: root, parent: nil, #","name":"agent.run \#(run)","kind":"server""#)
        for step in 0..<steps {
            let id = rng.hex(16)
            emit("span_start", span: id, parent: root, #","name":"step \#(step)","kind":"internal""#)
            let prompt = 100 + rng.next() % 900, completion = 10 + rng.next() % 300
            emit("model_interaction", span: rng.hex(16), parent: id,
                 #","model_provider":"anthropic","model_name":"claude-3-5-sonnet","prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"#
                 + #""total_tokens":\#(prompt + completion),"response_time_ms":\#(50 + rng.next() % 400),"success":true"#)
            emit("tool_execution", span: rng.hex(16), parent: id,
                 #","tool_name":"web_search","tool_type":"search","status":"completed","execution_time_ms":\#(10 + rng.next() % 200),"success":true"#)
            emit("span_end", span: id, parent: root, #","name":"step \#(step)","status":"ok""#)
        }
        emit("span_end", span: root, parent: nil, #","name":"agent.run \#(run)","status":"ok""#)
        return lines.map { Data($0.utf8) }
    }

    /// Event `i` of the victim run (the five event types in turn).
    static func victimLine(_ i: Int) -> Data {
        let types = ["tool_execution", "model_interaction", "agent_run", "memory_operation", "routing_decision"]
        let time = RFC3339Text.format(Workload.epoch + Int64(i) * 1_000_000_000, fractionDigits: 3, offsetMinutes: 0)
        return Data((#"{"event_id":"victim-\#(i)","event_type":"\#(types[i % types.count])","timestamp":"\#(time)","#
            + #""session_id":"sess-victim","run_id":"\#(victim)","agent_name":"support_agent","status":"completed","user_query":"forget me \#(i)"}"#).utf8)
    }

    /// `base` with each list of `extra` spread evenly through it, each keeping its order.
    static func interleave(_ base: [Data], _ extra: [[Data]]) -> [Data] {
        var keyed: [(key: Double, line: Data)] = base.enumerated().map { (Double($0.offset), $0.element) }
        for (r, lines) in extra.enumerated() where !lines.isEmpty {
            let step = Double(base.count) / Double(lines.count)
            for (j, line) in lines.enumerated() { keyed.append((Double(j) * step + 0.25 + 0.1 * Double(r), line)) }
        }
        return keyed.enumerated()
            .sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
            .map(\.element.line)
    }

    /// `line` moved one day later: its `"timestamp":"2026-03-01T…` becomes 2026-03-02 (every
    /// timestamp of the data is on 2026-03-01 in its own offset; the others are left alone).
    static func nextDay(_ line: Data) -> Data {
        let text = String(decoding: line, as: UTF8.self)
        return Data(text.replacingOccurrences(of: #""timestamp":"2026-03-01T"#, with: #""timestamp":"2026-03-02T"#).utf8)
    }

    /// 2026-03-02T00:00:00Z, between the two days of the retention data.
    static let midnight: Int64 = Workload.epoch + 12 * 3_600 * 1_000_000_000

    // MARK: - What a store must hold

    /// The records a store must hold, as computed from the input.
    struct Expectation {
        var label: String
        /// Every record, in order: its sequence number and its payload.
        var records: [(sequence: Int, line: Data)]
        /// Names of merge leftovers present in the store (readers must skip them).
        var leftovers: Set<String> = []

        var lines: [Data] { records.map(\.line) }

        /// `lines` ingested in one go from sequence `first`, less those `removed` rejects.
        init(_ label: String, ingested lines: [Data], from first: Int = 0, removing removed: (Int, Data) -> Bool = { _, _ in false }) {
            self.label = label
            records = lines.enumerated().map { (first + $0.offset, $0.element) }.filter { !removed($0.0, $0.1) }
        }
    }

    // MARK: - Running the binary

    @discardableResult
    static func run(_ store: String, _ args: [String], stdin: Data? = nil) throws -> CommandResult {
        try TorqlogBinary.run(["--dir", store] + args, stdin: stdin)
    }

    static func ingest(_ store: String, _ lines: [Data], segmentSize: Int = 65_536) throws {
        let r = try run(store, ["ingest", "--segment-size", String(segmentSize), "--quiet"], stdin: jsonl(lines))
        try #require(r.succeeded, "ingest: \(r.summary)")
    }

    static func seal(_ store: String) throws {
        let r = try run(store, ["seal"])
        try #require(r.succeeded, "seal: \(r.summary)")
    }

    static func compact(_ store: String, _ args: [String]) throws -> CommandResult {
        let r = try run(store, ["compact"] + args)
        try #require(r.succeeded, "compact \(args.joined(separator: " ")): \(r.summary)")
        return r
    }

    /// A segment file of the store, from the directory listing.
    struct SegmentFile {
        var name: String
        var base: Int
        var bytes: Int
        var sealed: Bool { name.hasSuffix(".lz4") }
    }

    /// The store's segment files (`.wal` and `.lz4`), by base sequence.
    static func segmentFiles(_ store: String) throws -> [SegmentFile] {
        try FileManager.default.contentsOfDirectory(atPath: store)
            .filter { ($0.hasSuffix(".wal") || $0.hasSuffix(".lz4")) && $0.count == 24 }
            .map { name in
                let size = try FileManager.default.attributesOfItem(atPath: store + "/" + name)[.size] as? Int ?? 0
                return SegmentFile(name: name, base: Int(name.prefix(20)) ?? -1, bytes: size)
            }
            .sorted { ($0.base, $0.name) < ($1.base, $1.name) }
    }

    static func segmentName(_ base: Int) -> String { String(base).leftPadded(20) + ".lz4" }

    // MARK: - The readers

    /// A JSON object from a command's stdout, or an issue saying why not.
    static func jsonObject(_ r: CommandResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: r.stdout) as? [String: Any] else {
            Issue.record("\(what): stdout is not a JSON object (\(r.summary)); stdout: \(r.stdoutText.prefix(300))", sourceLocation: sourceLocation)
            return nil
        }
        return object
    }

    /// Counts by name, sorted, for messages.
    static func show(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// `n` with a comma every three digits, as the compliance text writes counts.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Runs every reader on `store` and checks what it prints against `x`.
    static func checkReaders(_ store: String, _ x: Expectation) throws {
        let label = "[\(x.label)]"
        let lines = x.lines
        let n = lines.count
        try #require(n > 0, "\(label) the expectation is empty")
        let objects: [[String: Any]] = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any], "\(label) input line is not an object")
        }
        func runID(_ o: [String: Any]) -> String? { o["run_id"] as? String }
        func type(_ o: [String: Any]) -> String? { o["event_type"] as? String }
        var runCounts: [String: Int] = [:]
        for o in objects { if let r = runID(o) { runCounts[r, default: 0] += 1 } }
        let types = Dictionary(grouping: objects.compactMap(type), by: { $0 }).mapValues(\.count)
        let spanCount = objects.filter { type($0).map(spanTypes.contains) ?? false }.count
        let withoutRun = objects.filter { runID($0) == nil }.count
        let firstSequence = x.records.first!.sequence, lastSequence = x.records.last!.sequence

        // export: the surviving lines, byte for byte, in order.
        let export = try run(store, ["export"])
        #expect(export.succeeded, "\(label) export: \(export.summary)")
        expectJSONL(export.stdout, equals: lines, "\(label) export")

        // replay (and export --run) of surviving runs: the traced ones, the generated run with the
        // most events, and the one written with escapes with the most.
        var runs = tracedRuns.filter { runCounts[$0] != nil }
        func most(_ keep: (String) -> Bool) -> String? {
            runCounts.filter { keep($0.key) }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        }
        if let r = most({ !$0.hasPrefix("traced-") && !$0.contains("é") }) { runs.append(r) }
        if let r = most({ $0.contains("é") }) { runs.append(r) }
        for r in runs {
            let mine = zip(x.records, objects).filter { runID($0.1) == r }.map(\.0)
            let replay = try run(store, ["replay", r, "--format", "jsonl"])
            #expect(replay.succeeded, "\(label) replay \(r): \(replay.summary)")
            expectJSONL(replay.stdout, equals: mine.map(\.line), "\(label) replay \(r) --format jsonl")
            let text = try run(store, ["replay", r])
            #expect(text.succeeded, "\(label) replay \(r) (text): \(text.summary)")
            let footer = "-- run \(r): \(mine.count) events, sequence \(mine.first!.sequence)…\(mine.last!.sequence)\n"
            #expect(text.stdoutText.hasSuffix(footer), "\(label) replay \(r) (text) should end with \(footer.debugDescription): \(text.stdoutText.suffix(200).debugDescription)")
            let byRun = try run(store, ["export", "--run", r])
            #expect(byRun.succeeded, "\(label) export --run \(r): \(byRun.summary)")
            expectJSONL(byRun.stdout, equals: mine.map(\.line), "\(label) export --run \(r)")
        }

        // tail -n K: the last K records (one, a few, several segments' worth, more than all).
        for k in [1, 37, 600, n + 10] {
            let tail = try run(store, ["tail", "-n", String(k), "--format", "jsonl"])
            #expect(tail.succeeded, "\(label) tail -n \(k): \(tail.summary)")
            expectJSONL(tail.stdout, equals: Array(lines.suffix(k)), "\(label) tail -n \(k)")
        }
        if let r = runs.first {
            let mine = zip(lines, objects).filter { runID($0.1) == r }.map(\.0)
            let tail = try run(store, ["tail", "-n", "5", "--run", r, "--format", "jsonl"])
            #expect(tail.succeeded, "\(label) tail -n 5 --run \(r): \(tail.summary)")
            expectJSONL(tail.stdout, equals: Array(mine.suffix(5)), "\(label) tail -n 5 --run \(r)")
        }

        // info: counts of the surviving records only (a merge leftover is not counted).
        let info = try run(store, ["info", "--format", "json"])
        #expect(info.succeeded, "\(label) info --format json: \(info.summary)")
        if let json = jsonObject(info, "\(label) info --format json") {
            #expect(json["events"] as? Int == n, "\(label) info: events \(json["events"] ?? "nil"), expected \(n)")
            #expect(json["first_sequence"] as? Int == firstSequence, "\(label) info: first_sequence \(json["first_sequence"] ?? "nil"), expected \(firstSequence)")
            #expect(json["last_sequence"] as? Int == lastSequence, "\(label) info: last_sequence \(json["last_sequence"] ?? "nil"), expected \(lastSequence)")
            #expect(json["runs"] as? Int == runCounts.count, "\(label) info: runs \(json["runs"] ?? "nil"), expected \(runCounts.count)")
            #expect(json["events_without_run"] as? Int == withoutRun, "\(label) info: events_without_run \(json["events_without_run"] ?? "nil"), expected \(withoutRun)")
            let payload = lines.reduce(0) { $0 + $1.count }
            #expect(json["payload_bytes"] as? Int == payload, "\(label) info: payload_bytes \(json["payload_bytes"] ?? "nil"), expected \(payload)")
            let infoTypes = json["types"] as? [String: Int]
            #expect(infoTypes == types, "\(label) info: types \(infoTypes.map(Self.show) ?? "nil"), expected \(Self.show(types))")
            let segments = json["segments"] as? [[String: Any]] ?? []
            let counted = segments.filter { !x.leftovers.contains($0["name"] as? String ?? "") }.reduce(0) { $0 + ($1["events"] as? Int ?? 0) }
            #expect(counted == n, "\(label) info: the segments' events add up to \(counted), expected \(n); segments: \(segments.map { "\($0["name"] ?? "?"):\($0["events"] ?? "?")" })")
        }
        let infoText = try run(store, ["info"])
        #expect(infoText.succeeded, "\(label) info: \(infoText.summary)")
        let eventsLine = "events       \(n)  (sequence \(firstSequence)…\(lastSequence))\n"
        #expect(infoText.stdoutText.contains(eventsLine), "\(label) info should say \(eventsLine.debugDescription): \(infoText.stdoutText.prefix(600))")

        // verify: no damage (a merge leftover is no damage), every surviving record valid.
        let verify = try run(store, ["verify"])
        #expect(verify.succeeded, "\(label) verify: \(verify.summary) stdout: \(verify.stdoutText.prefix(400))")
        #expect(!verify.stdoutText.contains("DAMAGED") && !verify.stderrText.contains("DAMAGED"), "\(label) verify reports damage: \(verify.stderrText.prefix(600))")
        // Its summary line (notes may come before or after it): STORE: S segments, N valid records, B checked: OK
        let summary = verify.stdoutText.split(separator: "\n").first { $0.contains(" valid records, ") }.map(String.init) ?? ""
        #expect(summary.contains(" \(n) valid records, ") && summary.contains(" checked: OK"),
                "\(label) verify should say \(n) valid records and OK: \(verify.stdoutText.prefix(400)) \(verify.stderrText.suffix(300))")

        // compliance: every surviving event counted once (span events apart).
        let compliance = try run(store, ["compliance"])
        #expect(compliance.succeeded, "\(label) compliance: \(compliance.summary)")
        #expect(compliance.stdoutText.contains(" of \(grouped(n - spanCount)) events)"),
                "\(label) compliance should count \(n - spanCount) events: \(compliance.stdoutText.prefix(200))")
        if spanCount > 0 {
            #expect(compliance.stdoutText.contains("\n\(grouped(spanCount)) span events (span_start, span_end)"),
                    "\(label) compliance should count \(spanCount) span events: \(compliance.stdoutText.prefix(800))")
        }
        let complianceJSON = try run(store, ["compliance", "--format", "json"])
        #expect(complianceJSON.succeeded, "\(label) compliance --format json: \(complianceJSON.summary)")
        if let json = jsonObject(complianceJSON, "\(label) compliance --format json") {
            #expect(json["total_events"] as? Int == n - spanCount, "\(label) compliance json: total_events \(json["total_events"] ?? "nil"), expected \(n - spanCount)")
            #expect(json["span_events"] as? Int == spanCount, "\(label) compliance json: span_events \(json["span_events"] ?? "nil"), expected \(spanCount)")
            #expect(json["not_json_objects"] as? Int == 0, "\(label) compliance json: not_json_objects \(json["not_json_objects"] ?? "nil")")
        }

        // telemetry: the same totals; with --compliance, its compliance pass agrees.
        let telemetry = try run(store, ["telemetry", "--format", "json"])
        #expect(telemetry.succeeded, "\(label) telemetry --format json: \(telemetry.summary)")
        if let json = jsonObject(telemetry, "\(label) telemetry --format json") {
            #expect(json["records"] as? Int == n, "\(label) telemetry: records \(json["records"] ?? "nil"), expected \(n)")
            #expect(json["events"] as? Int == n, "\(label) telemetry: events \(json["events"] ?? "nil"), expected \(n)")
            #expect((json["runs"] as? [String: Any])?["count"] as? Int == runCounts.count, "\(label) telemetry: runs \(json["runs"] ?? "nil"), expected \(runCounts.count)")
            let byType = Dictionary((json["event_types"] as? [[String: Any]] ?? []).map { ($0["event_type"] as? String ?? "(none)", $0["events"] as? Int ?? -1) },
                                    uniquingKeysWith: { a, _ in a })
            #expect(byType.filter { $0.key != "(none)" } == types, "\(label) telemetry: event_types \(Self.show(byType)), expected \(Self.show(types))")
        }
        let telemetryCompliance = try run(store, ["telemetry", "--format", "json", "--compliance"])
        #expect(telemetryCompliance.succeeded, "\(label) telemetry --compliance: \(telemetryCompliance.summary)")
        if telemetryCompliance.succeeded, let json = jsonObject(telemetryCompliance, "\(label) telemetry --compliance") {
            let report = json["compliance"] as? [String: Any]
            #expect(report?["total_events"] as? Int == n - spanCount, "\(label) telemetry --compliance: total_events \(report?["total_events"] ?? "nil"), expected \(n - spanCount)")
        }

        // trace: each surviving traced run, with the spans its surviving records describe.
        for r in tracedRuns where runCounts[r] != nil {
            let mine = objects.filter { runID($0) == r }
            let recorded = Set(mine.filter { type($0).map(spanTypes.contains) ?? false }.compactMap { $0["span_id"] as? String })
            let leaves = Set(mine.filter { !(type($0).map(spanTypes.contains) ?? false) }.compactMap { $0["span_id"] as? String }).subtracting(recorded)
            let trace = try run(store, ["trace", r, "--format", "json"])
            #expect(trace.succeeded, "\(label) trace \(r) --format json: \(trace.summary)")
            if trace.succeeded, let json = jsonObject(trace, "\(label) trace \(r) --format json") {
                let summary = json["run"] as? [String: Any]
                #expect(summary?["records"] as? Int == mine.count, "\(label) trace \(r): records \(summary?["records"] ?? "nil"), expected \(mine.count)")
                let spans = json["spans"] as? [[String: Any]] ?? []
                let fromRecords = Set(spans.filter { $0["source"] as? String == "span" }.compactMap { $0["span_id"] as? String })
                #expect(fromRecords == recorded, "\(label) trace \(r): spans from span records \(fromRecords.sorted()), expected \(recorded.sorted())")
                let all = Set(spans.compactMap { $0["span_id"] as? String })
                #expect(all.isSuperset(of: leaves), "\(label) trace \(r): leaf spans missing: \(leaves.subtracting(all).sorted())")
            }
            let text = try run(store, ["trace", r])
            #expect(text.succeeded, "\(label) trace \(r): \(text.summary)")
            #expect(text.stdoutText.hasPrefix("run \(r)") && text.stdoutText.contains("\(mine.count) events"),
                    "\(label) trace \(r) (text) should show \(mine.count) events: \(text.stdoutText.prefix(300))")
        }

        // export --format otlp-json: one JSON request per line, every span and log there. A record
        // without an RFC 3339 timestamp cannot be converted (export --help): the first 20 are named
        // by their sequence numbers on stderr, then the number of the others, and the status is 65.
        // With --since, such records are not selected and the status is 0.
        let times = try lines.map { try EventFacts($0).time }
        let untimed = Set(zip(x.records, times).filter { $0.1 == nil }.map(\.0.sequence))
        let timedObjects = zip(objects, times).filter { $0.1 != nil }.map(\.0)
        // The spans `trace` draws: span records', and those of other records that name a trace.
        let spanIDs = Set(timedObjects.filter { (type($0).map(spanTypes.contains) ?? false) || ($0["trace_id"] as? String).map { !$0.isEmpty } == true }
            .compactMap { $0["span_id"] as? String }.filter { !$0.isEmpty })
        let logRecords = timedObjects.filter { !(type($0).map(spanTypes.contains) ?? false) }.count
        for since in [nil, "2026-01-01"] {
            let what = "\(label) export --format otlp-json" + (since.map { " --since \($0)" } ?? "")
            let otlp = try run(store, ["export", "--format", "otlp-json"] + (since.map { ["--since", $0] } ?? []))
            if since == nil && !untimed.isEmpty {
                #expect(!otlp.signaled && otlp.status == 65, "\(what): \(otlp.summary)")
                let named = Set(otlp.stderrLines.compactMap { line -> Int? in
                    guard let at = line.range(of: "record at sequence ") else { return nil }
                    return Int(line[at.upperBound...].prefix { $0.isNumber })
                })
                let first = untimed.sorted().prefix(20)
                #expect(named == Set(first), "\(what): stderr names records \(named.sorted()), expected the first without a time \(Array(first))")
                if untimed.count > 20 {
                    let more = "… \(untimed.count - 20) more records not exported"
                    #expect(otlp.stderrText.contains(more), "\(what): stderr should say \(more.debugDescription): \(otlp.stderrText.suffix(200))")
                }
            } else {
                #expect(otlp.succeeded, "\(what): \(otlp.summary)")
            }
            let (spans, logs, bad) = Self.otlpCounts(otlp.stdout)
            #expect(bad == 0, "\(what): \(bad) lines are not one JSON request")
            #expect(spans == spanIDs.count, "\(what): \(spans) spans, expected \(spanIDs.count)")
            #expect(logs == logRecords, "\(what): \(logs) log records, expected \(logRecords)")
        }
    }

    /// Spans and log records in OTLP/JSON lines, and lines that are not one JSON request.
    static func otlpCounts(_ data: Data) -> (spans: Int, logs: Int, bad: Int) {
        var spans = 0, logs = 0, bad = 0
        for line in splitLines(data) {
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], object.count == 1 else { bad += 1; continue }
            for rs in object["resourceSpans"] as? [[String: Any]] ?? [] {
                for ss in rs["scopeSpans"] as? [[String: Any]] ?? [] { spans += (ss["spans"] as? [Any])?.count ?? 0 }
            }
            for rl in object["resourceLogs"] as? [[String: Any]] ?? [] {
                for sl in rl["scopeLogs"] as? [[String: Any]] ?? [] { logs += (sl["logRecords"] as? [Any])?.count ?? 0 }
            }
        }
        return (spans, logs, bad)
    }

    // MARK: - The tests

    @Test("control: the same readers on the store sealed and not compacted")
    func uncompacted() throws {
        try withTemporaryStore { store, _ in
            try Self.ingest(store, Self.corpus)
            try Self.seal(store)
            try #require(try Self.segmentFiles(store).filter(\.sealed).count >= 10)
            try Self.checkReaders(store, Expectation("uncompacted", ingested: Self.corpus))
        }
    }

    /// The store for retention by age and archiving, ingested in three parts with a seal after
    /// each (so that sealed segments end where the parts end), its events on 2026-03-01 but the
    /// last part's after its first 30, moved a day later:
    /// 1. 600 events, all with a time: several segments that expire whole;
    /// 2. 101 events in one segment, all with a time but the one in the middle, which never
    ///    expires: the segment is rewritten around it, its last record gone (a gap at its end);
    /// 3. 30 old events then the rest of the data a day later: the segment straddling the limit
    ///    is rewritten without its first records.
    struct RetentionStore {
        var parts: [[Data]]
        var lines: [Data] { parts.flatMap { $0 } }
        /// The first sequence of each part.
        var starts: [Int] { parts.indices.map { i in parts[..<i].reduce(0) { $0 + $1.count } } }
        /// The sequence of the record of part 2 without a time.
        var untimed: Int { starts[1] + 50 }

        init() {
            let old = Array(corpus.prefix(830))
            let facts = old.map { try? EventFacts($0) }
            let timed = zip(old, facts).filter { $0.1?.time != nil }.map(\.0)
            let untimed = zip(old, facts).first { $0.1 != nil && $0.1?.time == nil }!.0
            parts = [Array(timed[..<600]),
                     Array(timed[600..<650]) + [untimed] + Array(timed[650..<700]),
                     Array(timed[700..<730]) + corpus[830...].map(nextDay)]
        }

        /// Ingests the parts, sealing after each; checks that the segments are as described.
        func build(_ store: String) throws {
            for part in parts {
                try CompactedStoreTests.ingest(store, part)
                try CompactedStoreTests.seal(store)
            }
            let bases = try CompactedStoreTests.segmentFiles(store).map(\.base)
            let first = bases.filter { $0 < starts[1] }.count
            try #require(first >= 3 && bases.contains(starts[1]) && bases.contains(starts[2]), "segments \(bases), parts at \(starts)")
            try #require(!bases.contains { $0 > starts[1] && $0 < starts[2] }, "part 2 should be one segment: \(bases), parts at \(starts)")
            try #require(!bases.contains { $0 > starts[2] && $0 <= starts[2] + 30 }, "part 3 should start with one straddling segment: \(bases)")
        }
    }

    @Test("retention by age: the oldest segments deleted, one rewritten with a gap at its end, the straddling one rewritten; the store starts past 0")
    func retentionByAge() throws {
        let layout = RetentionStore()
        let lines = layout.lines
        let facts = try EventFacts.of(lines)
        try #require(facts[(layout.starts[2] + 30)...].allSatisfy { $0.time.map { $0 >= Self.midnight } ?? true })
        try #require(facts[..<(layout.starts[2] + 30)].enumerated().allSatisfy { ($0.element.time.map { $0 < Self.midnight } ?? false) == ($0.offset != layout.untimed) })
        try withTemporaryStore { store, _ in
            try layout.build(store)
            let before = try Self.segmentFiles(store)
            let deleted = before.filter { $0.base < layout.starts[1] }.count

            // The limit is now − days: 2026-03-02T00:00Z, give or take the time the command takes to start.
            let days = (Date().timeIntervalSince1970 * 1e9 - Double(Self.midnight)) / 86_400e9
            try #require(days > 1, "the clock says \(Date()), not after the data's 2026-03-02: no age limit can split it")
            let x = Expectation("retention by age", ingested: lines) { i, _ in facts[i].time.map { $0 < Self.midnight } ?? false }
            let removed = lines.count - x.records.count
            let r = try Self.compact(store, ["--retention-days", String(days)])
            #expect(r.stdoutText.contains("retention: \(removed) events removed, \(deleted) segments deleted, 2 rewritten"), "compact: \(r.stdoutText)")
            let after = try Self.segmentFiles(store)
            #expect(after.first?.base == layout.starts[1], "the first segment should be part 2's: \(after.map(\.name))")
            try #require(x.records.first!.sequence == layout.untimed)
            try Self.checkReaders(store, x)
        }
    }

    @Test("retention by size: the oldest sealed segments deleted; the store starts past 0")
    func retentionBySize() throws {
        try withTemporaryStore { store, _ in
            try Self.ingest(store, Self.corpus)
            try Self.seal(store)
            // The sealed segments, and after them the empty active WAL segment `seal` leaves.
            let files = try Self.segmentFiles(store)
            let sealed = files.filter(\.sealed)
            try #require(sealed.count >= 10, "\(files.map(\.name))")
            // A limit half-way through the k-th oldest segment: deleting k segments gets under it.
            let k = sealed.count / 2
            let total = files.reduce(0) { $0 + $1.bytes }
            let keptBytes = total - sealed.prefix(k).reduce(0) { $0 + $1.bytes }
            let limit = keptBytes + sealed[k - 1].bytes / 2
            let firstKept = sealed[k].base
            let x = Expectation("retention by size", ingested: Self.corpus) { i, _ in i < firstKept }
            let r = try Self.compact(store, ["--max-bytes", String(limit)])
            #expect(r.stdoutText.contains("retention: \(firstKept) events removed, \(k) segments deleted"), "compact (\(total) bytes, limit \(limit)): \(r.stdoutText)")
            #expect(try Self.segmentFiles(store).first?.base == firstKept)
            try Self.checkReaders(store, x)
        }
    }

    @Test("merge: small sealed segments merged into fewer; nothing lost")
    func merge() throws {
        try withTemporaryStore { store, _ in
            try Self.ingest(store, Self.corpus)
            try Self.seal(store)
            let before = try Self.segmentFiles(store).filter(\.sealed)
            let r = try Self.compact(store, ["--merge", "--merge-target", "131072"])
            let after = try Self.segmentFiles(store).filter(\.sealed)
            try #require(after.count < before.count / 2 && after.count >= 3, "compact: \(r.stdoutText); \(before.count) → \(after.count) segments")
            try Self.checkReaders(store, Expectation("merge", ingested: Self.corpus))
        }
    }

    /// A store ingested in three parts, sealed after each, where the victim run holds the first
    /// record of the store, the last record of part 1's last segment, every record of part 2 (one
    /// segment, left empty by the drop), the first record of part 3 and the last (the end of the
    /// store), and events in the middle of segments; then `compact --drop-run` of the victim.
    /// Returns the lines ingested, in order.
    static func buildDropRunStore(_ store: String) throws -> [Data] {
        var v = 0
        func victims(_ count: Int) -> [Data] {
            defer { v += count }
            return (v..<v + count).map(victimLine)
        }
        let split = corpus.count / 2
        let a = victims(1) + interleave(Array(corpus[..<split]), [victims(12)]) + victims(1)
        let b = victims(5)
        let c = victims(1) + interleave(Array(corpus[split...]), [victims(12)]) + victims(1)
        try ingest(store, a)
        try seal(store)
        try ingest(store, b)
        try seal(store)
        try ingest(store, c)
        try seal(store)
        // The victim's records end segment …a, fill segment a…a+5, start and end the last one.
        let bases = try segmentFiles(store).map(\.base)
        try #require(bases.contains(a.count) && bases.contains(a.count + b.count) && bases.count >= 10, "segments \(bases)")
        let r = try compact(store, ["--drop-run", victim])
        #expect(r.stdoutText.contains("drop-run \(victim): \(v) events erased"), "compact: \(r.stdoutText)")
        return a + b + c
    }

    static func isVictim(_ line: Data) -> Bool { (try? EventFacts(line))?.runID == victim }

    @Test("drop-run of a run holding the last record of sealed segments: a gap at a segment's end is no gap in the store")
    func dropRunGapAtSegmentEnd() throws {
        try withTemporaryStore { store, _ in
            let lines = try Self.buildDropRunStore(store)
            let x = Expectation("drop-run", ingested: lines) { _, line in Self.isVictim(line) }
            try #require(x.records.first!.sequence == 1 && x.records.last!.sequence < lines.count - 1)
            try Self.checkReaders(store, x)
        }
    }

    @Test("drop-run, then a writer appends: the new WAL starts at the end_sequence of the gapped last segment")
    func dropRunThenAppend() throws {
        let more = Workload.lines(150, seed: 0xA99E2D, bigPayloadEvery: 0).map(Self.otlpIDs)
        try withTemporaryStore { store, _ in
            let lines = try Self.buildDropRunStore(store)
            // tail -f started before the writer prints the last records, then exactly the new ones.
            let follower = try Child(["--dir", store, "tail", "-f", "-n", "2", "--format", "jsonl"], stdin: .null)
            try #require(TailFollowTests.waitUntilFollowing(follower.pid, timeout: 30),
                         "tail -f did not start following: \(String(decoding: follower.stderr, as: UTF8.self))")
            try Self.ingest(store, more)
            let after = try Self.segmentFiles(store)
            #expect(after.contains { $0.base == lines.count }, "the writer's first segment should start at \(lines.count): \(after.map(\.name))")
            let survivors = Expectation("drop-run + append", ingested: lines) { _, line in Self.isVictim(line) }
            var x = survivors
            x.records += Expectation("", ingested: more, from: lines.count).records
            let followed = Array(survivors.lines.suffix(2)) + more
            _ = follower.waitForStdout(timeout: 30) { $0.count >= jsonl(followed).count }
            follower.signal(SIGTERM)
            let f = try follower.finish(timeout: 20)
            expectJSONL(f.stdout, equals: followed, "[drop-run + append] tail -f -n 2")
            #expect(f.stderr.isEmpty, "[drop-run + append] tail -f: \(f.stderrText)")
            try Self.checkReaders(store, x)
        }
    }

    @Test("drop-run, then merge: the merged segments keep the survivors and the end_sequence of the last")
    func dropRunThenMerge() throws {
        try withTemporaryStore { store, _ in
            let lines = try Self.buildDropRunStore(store)
            let before = try Self.segmentFiles(store).filter(\.sealed)
            let r = try Self.compact(store, ["--merge", "--merge-target", "262144"])
            let after = try Self.segmentFiles(store).filter(\.sealed)
            try #require(after.count < before.count / 2, "compact: \(r.stdoutText); \(before.count) → \(after.count) segments")
            let x = Expectation("drop-run + merge", ingested: lines) { _, line in Self.isVictim(line) }
            try Self.checkReaders(store, x)
        }
    }

    @Test("merge leftovers (a merge interrupted after its rename): skipped by every reader, not counted, no damage; the next writer deletes them")
    func mergeLeftovers() throws {
        try withTemporaryStore { store, scratch in
            try Self.ingest(store, Self.corpus)
            try Self.seal(store)
            let before = try Self.segmentFiles(store).filter(\.sealed)
            try #require(before.count >= 10)
            // Copies of a middle segment and of the last one, put back after the merge removed them.
            let copies = [before[before.count / 2], before[before.count - 1]]
            for s in copies { try FileManager.default.copyItem(atPath: store + "/" + s.name, toPath: scratch + "/" + s.name) }
            _ = try Self.compact(store, ["--merge", "--merge-target", String(1 << 30)])
            let merged = try Self.segmentFiles(store).filter(\.sealed)
            try #require(merged.map(\.name) == [Self.segmentName(0)], "one merged segment expected: \(merged.map(\.name))")
            for s in copies { try FileManager.default.copyItem(atPath: scratch + "/" + s.name, toPath: store + "/" + s.name) }

            var x = Expectation("merge leftovers", ingested: Self.corpus)
            x.leftovers = Set(copies.map(\.name))
            try Self.checkReaders(store, x)

            // The next writer deletes them; the readers see the same store.
            try Self.seal(store)
            let cleaned = try Self.segmentFiles(store).filter(\.sealed).map(\.name)
            #expect(cleaned == [Self.segmentName(0)], "the leftovers should be gone: \(cleaned)")
            x.label = "merge leftovers removed"
            x.leftovers = []
            try Self.checkReaders(store, x)
        }
    }

    @Test("archive --move: the store keeps the newer segments (starting past 0), the archive is a store of the older ones")
    func archiveMove() throws {
        let layout = RetentionStore()
        let lines = layout.lines
        try withTemporaryStore { store, scratch in
            try layout.build(store)
            // Archived: the oldest segments whose every record is before the limit: part 1 (part 2
            // has a record without a time, which is not before it).
            let firstKept = layout.starts[1]
            let archive = scratch + "/archive"
            let r = try Self.run(store, ["archive", "--to", archive, "--before", "2026-03-02T00:00:00Z", "--move"])
            try #require(r.succeeded, "archive: \(r.summary)")
            #expect(try Self.segmentFiles(store).first?.base == firstKept)
            #expect(FileManager.default.fileExists(atPath: archive + "/MANIFEST.json"))
            try Self.checkReaders(store, Expectation("archive --move: the store", ingested: lines) { i, _ in i < firstKept })
            try Self.checkReaders(archive, Expectation("archive --move: the archive", ingested: Array(lines[..<firstKept])))
        }
    }
}
