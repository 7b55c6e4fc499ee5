import Foundation
import Testing
import TorqTestSupport

/// Ingest a generated workload, read it back every way the CLI offers, and
/// compare with what the test computes on its own from the input.
@Suite("Round trip: ingest, export, replay, info, verify")
struct RoundTripTests {
    /// 6,000 events (several 40 KB payloads among them), shared by the tests of this suite.
    static let lines = Workload.lines(6_000)
    static let facts: [EventFacts] = (try? EventFacts.of(lines)) ?? []
    static let input = jsonl(lines)

    @Test("the workload is what the other tests assume")
    func workloadShape() throws {
        #expect(Self.facts.count == Self.lines.count, "every generated line must parse with JSONSerialization")
        let average = Self.input.count / Self.lines.count
        #expect((400...560).contains(average), "average event size \(average) bytes")
        #expect(Self.lines.filter { $0.count >= 40_000 }.count >= 5)
        #expect(Self.facts.contains { $0.runID == nil })
        #expect(Self.facts.contains { $0.runID?.hasPrefix("run-été-") == true })
        #expect(Self.facts.contains { $0.time == nil })
        #expect(!Self.input.contains(0x0D))
        #expect(Set(Self.facts.compactMap(\.type)) == ["agent_run", "tool_execution", "model_interaction", "memory_operation", "routing_decision"])
    }

    @Test("export reproduces the input byte for byte; filters and replay match independent counts")
    func roundTrip() throws {
        try withTemporaryStore { store, scratch in
            let file = scratch + "/events.jsonl"
            try Self.input.write(to: URL(fileURLWithPath: file))

            let ingest = try TorqlogBinary.run(["--dir", store, "ingest", file])
            #expect(ingest.succeeded, "ingest: \(ingest.summary)")
            #expect(ingest.stderrText.contains("\(Self.lines.count) events"), "summary: \(ingest.stderrText)")
            #expect(ingest.stderrText.contains("0 rejected"))

            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(export.succeeded, "export: \(export.summary)")
            expectJSONL(export.stdout, equals: Self.lines, "export")

            // export -o FILE writes the same bytes.
            let out = scratch + "/out.jsonl"
            let toFile = try TorqlogBinary.run(["--dir", store, "export", "-o", out])
            #expect(toFile.succeeded && toFile.stdout.isEmpty, "export -o: \(toFile.summary)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Self.input)

            // --run: the decoded run_id, for a plain run and for one written with escapes.
            let runCounts = Dictionary(grouping: Self.facts.compactMap(\.runID), by: { $0 }).mapValues(\.count)
            let plainRun = try #require(runCounts.filter { !$0.key.contains("é") }.max { $0.value < $1.value }?.key)
            let escapedRun = try #require(runCounts.filter { $0.key.contains("é") }.max { $0.value < $1.value }?.key)
            for run in [plainRun, escapedRun] {
                let expected = zip(Self.lines, Self.facts).filter { $0.1.runID == run }.map(\.0)
                #expect(expected.count >= 3)
                let r = try TorqlogBinary.run(["--dir", store, "export", "--run", run])
                #expect(r.succeeded, "export --run \(run): \(r.summary)")
                expectJSONL(r.stdout, equals: expected, "export --run \(run)")

                let replay = try TorqlogBinary.run(["--dir", store, "replay", run, "--format", "jsonl"])
                #expect(replay.succeeded, "replay: \(replay.summary)")
                expectJSONL(replay.stdout, equals: expected, "replay \(run) --format jsonl")

                let text = try TorqlogBinary.run(["--dir", store, "replay", run])
                #expect(text.succeeded, "replay (text): \(text.summary)")
                #expect(text.stdoutText.hasSuffix("-- run \(run): \(expected.count) events, sequence \(Self.sequence(of: expected.first!))…\(Self.sequence(of: expected.last!))\n"),
                        "replay text footer: \(text.stdoutText.suffix(200))")
            }
            // The number 12345-style run_id of some events is not a run key.
            let numericRun = try TorqlogBinary.run(["--dir", store, "export", "--run", "null"])
            #expect(numericRun.succeeded && numericRun.stdout.isEmpty)

            // --type, including the events that spell it with escapes.
            for type in ["tool_execution", "routing_decision"] {
                let expected = zip(Self.lines, Self.facts).filter { $0.1.type == type }.map(\.0)
                let r = try TorqlogBinary.run(["--dir", store, "export", "--type", type])
                #expect(r.succeeded, "export --type: \(r.summary)")
                expectJSONL(r.stdout, equals: expected, "export --type \(type)")
            }

            // --since / --until: [since, until), events without a parsable time excluded.
            // The bounds are the exact instants of two events, written in other offsets.
            let timed = Self.facts.compactMap(\.time).sorted()
            let since = timed[timed.count / 3], until = timed[2 * timed.count / 3]
            let sinceText = RFC3339Text.format(since, fractionDigits: 9, offsetMinutes: 120)
            let untilText = RFC3339Text.format(until, fractionDigits: 9, offsetMinutes: -300)
            let window = zip(Self.lines, Self.facts).filter { $0.1.time.map { $0 >= since && $0 < until } ?? false }.map(\.0)
            let w = try TorqlogBinary.run(["--dir", store, "export", "--since", sinceText, "--until", untilText])
            #expect(w.succeeded, "export --since --until: \(w.summary)")
            expectJSONL(w.stdout, equals: window, "export --since \(sinceText) --until \(untilText)")
            let onlySince = zip(Self.lines, Self.facts).filter { $0.1.time.map { $0 >= since } ?? false }.map(\.0)
            let s = try TorqlogBinary.run(["--dir", store, "export", "--since", RFC3339Text.format(since, fractionDigits: 9, offsetMinutes: 0)])
            expectJSONL(s.stdout, equals: onlySince, "export --since")
            // Filters combine.
            let combined = zip(Self.lines, Self.facts).filter { $0.1.runID == plainRun && $0.1.type == "model_interaction" }.map(\.0)
            let c = try TorqlogBinary.run(["--dir", store, "export", "--run", plainRun, "--type", "model_interaction"])
            expectJSONL(c.stdout, equals: combined, "export --run --type")

            // info --format json: counts computed from the input.
            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            #expect(info.succeeded, "info: \(info.summary)")
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info json: \(info.stdoutText)")
            #expect(json["events"] as? Int == Self.lines.count)
            #expect(json["runs"] as? Int == Set(Self.facts.compactMap(\.runID)).count)
            #expect(json["events_without_run"] as? Int == Self.facts.filter { $0.runID == nil }.count)
            #expect(json["payload_bytes"] as? Int == Self.input.count - Self.lines.count)
            #expect(json["first_sequence"] as? Int == 0)
            #expect(json["last_sequence"] as? Int == Self.lines.count - 1)
            let types = try #require(json["types"] as? [String: Int])
            #expect(types == Dictionary(grouping: Self.facts.compactMap(\.type), by: { $0 }).mapValues(\.count))
            let first = try #require(json["first_event_time"] as? String)
            #expect(RFC3339Text.parse(first) == timed.first.map { $0 / 1000 * 1000 }, "first_event_time \(first)")

            let text = try TorqlogBinary.run(["--dir", store, "info"])
            #expect(text.succeeded && text.stdoutText.contains("events       \(Self.lines.count)"), "info: \(text.stdoutText)")

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify: \(verify.summary)")
            #expect(verify.stdoutText.contains("\(Self.lines.count) valid records"), "verify: \(verify.stdoutText)")
            #expect(verify.stdoutText.hasSuffix("OK\n"))
        }
    }

    /// The sequence number of `line` in this suite's store (its index in the input).
    static func sequence(of line: Data) -> Int { lines.firstIndex(of: line)! }

    @Test("replay of an unknown run exits 1 and names the run")
    func replayUnknownRun() throws {
        try withTemporaryStore { store, _ in
            let ingest = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(Array(Self.lines.prefix(50))))
            #expect(ingest.succeeded, "ingest: \(ingest.summary)")
            for format in ["text", "jsonl"] {
                let r = try TorqlogBinary.run(["--dir", store, "replay", "run-does-not-exist-42", "--format", format])
                #expect(!r.signaled && r.status == 1, "replay unknown: \(r.summary)")
                #expect(r.stdout.isEmpty)
                #expect(r.stderrText.contains("run-does-not-exist-42"), "stderr: \(r.stderrText)")
            }
        }
    }

    @Test("time arguments: dates, durations, and out-of-range values rejected (not a crash)")
    func timeArguments() throws {
        try withTemporaryStore { store, _ in
            let ingest = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(Array(Self.lines.prefix(200))))
            #expect(ingest.succeeded, "ingest: \(ingest.summary)")
            // The workload starts 2026-03-01T12:00Z: each of these is before it (a date is
            // midnight UTC; 30000 days is 82 years), so everything with a time is exported.
            let timed = zip(Self.lines.prefix(200), Self.facts.prefix(200)).filter { $0.1.time != nil }.map(\.0)
            // (`--since=-30000d`: with a space, ArgumentParser takes `-30000d` for an option.)
            for since in ["2026-03-01", "2026-02-28T23:00:00-05:00", "2026-03-01T06:59:59.999+00:00", "30000d", "=-30000d", "30000d ago"] {
                let r = try TorqlogBinary.run(["--dir", store, "export"] + (since.hasPrefix("=") ? ["--since" + since] : ["--since", since]))
                #expect(r.succeeded, "--since \(since): \(r.summary)")
                expectJSONL(r.stdout, equals: timed, "export --since \(since)")
            }
            let future = try TorqlogBinary.run(["--dir", store, "export", "--until", "2026-03-01"])
            #expect(future.succeeded && future.stdout.isEmpty, "--until 2026-03-01: \(future.summary)")
            // Values whose arithmetic overflows must be usage errors, like any other bad value.
            for (option, value) in [("--since", "bogus"), ("--since", "99999999999999w"), ("--until", "9223372036854775807s"), ("--since", "200000d")] {
                let r = try TorqlogBinary.run(["--dir", store, "export", option, value])
                #expect(!r.signaled && !r.succeeded && r.stderrText.contains(value), "export \(option) \(value): \(r.summary)")
            }
        }
    }

    @Test("small segments: many rollovers, still byte-identical")
    func manySegments() throws {
        try withTemporaryStore { store, scratch in
            let file = scratch + "/events.jsonl"
            try Self.input.write(to: URL(fileURLWithPath: file))
            // Two ingests of the same file into a store with 64 KiB segments.
            for _ in 0..<2 {
                let r = try TorqlogBinary.run(["--dir", store, "ingest", "--segment-size", "65536", "--quiet", file])
                #expect(r.succeeded, "ingest: \(r.summary)")
                #expect(r.stderr.isEmpty, "--quiet: \(r.stderrText)")
            }
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: Self.lines + Self.lines, "export of 64 KiB segments")

            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            let segments = try #require(json["segments"] as? [[String: Any]])
            #expect(segments.count >= 2 * Self.input.count / 65536, "only \(segments.count) segments")
            #expect(json["events"] as? Int == 2 * Self.lines.count)
            // Contiguous: each segment's base is the previous base plus its events, and its
            // file (a WAL segment, or the sealed file a writer made of a closed one) is there.
            let names = try FileManager.default.contentsOfDirectory(atPath: store)
            var next = 0
            for seg in segments {
                #expect(seg["base_sequence"] as? Int == next)
                let name = seg["name"] as? String ?? ""
                #expect(name.hasPrefix(String(next).leftPadded(20) + ".") && names.contains(name), "segment \(seg)")
                if seg["kind"] as? String == "wal" {
                    #expect(name.hasSuffix(".wal"))
                    #expect((seg["bytes"] as? Int ?? .max) <= 65536 || (seg["events"] as? Int) == 1, "oversized segment \(seg)")
                }
                next += seg["events"] as? Int ?? 0
            }
            #expect(segments.filter { $0["active"] as? Bool == true }.count == 1)
            #expect(segments.last?["active"] as? Bool == true && segments.last?["kind"] as? String == "wal")

            // Files on disk: the lock, the segments, no temporary file left behind.
            #expect(names.contains("LOCK"))
            #expect(!names.contains { $0.hasSuffix(".tmp") }, "\(names)")
            #expect(names.count == segments.count + 1, "files other than the lock and the segments: \(names.sorted())")

            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify: \(verify.summary)")

            // A run's events spread over many segments.
            let run = try #require(Self.facts.compactMap(\.runID).first)
            let expected = zip(Self.lines, Self.facts).filter { $0.1.runID == run }.map(\.0)
            let replay = try TorqlogBinary.run(["--dir", store, "replay", run, "--format", "jsonl"])
            expectJSONL(replay.stdout, equals: expected + expected, "replay across segments")
        }
    }

    @Test("--dir before or after the subcommand, and TORQLOG_DIR")
    func storeSelection() throws {
        try withTemporaryStore { store, scratch in
            let some = Array(Self.lines.prefix(40)), more = Array(Self.lines[40..<70]), rest = Array(Self.lines[70..<100])
            let a = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(some))
            #expect(a.succeeded, "\(a.summary)")
            let b = try TorqlogBinary.run(["ingest", "--dir", store], stdin: jsonl(more))
            #expect(b.succeeded, "\(b.summary)")
            let c = try TorqlogBinary.run(["ingest"], stdin: jsonl(rest), env: ["TORQLOG_DIR": store])
            #expect(c.succeeded, "\(c.summary)")
            let all = some + more + rest

            expectJSONL(try TorqlogBinary.run(["--dir", store, "export"]).stdout, equals: all, "--dir before")
            expectJSONL(try TorqlogBinary.run(["export", "--dir", store]).stdout, equals: all, "--dir after")
            expectJSONL(try TorqlogBinary.run(["export"], env: ["TORQLOG_DIR": store]).stdout, equals: all, "TORQLOG_DIR")
            // --dir wins over TORQLOG_DIR.
            let other = scratch + "/other"
            let d = try TorqlogBinary.run(["export", "--dir", store], env: ["TORQLOG_DIR": other])
            expectJSONL(d.stdout, equals: all, "--dir over TORQLOG_DIR")
            #expect(!FileManager.default.fileExists(atPath: other))

            let info = try TorqlogBinary.run(["info", "--format", "json", "--dir", store])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            #expect(json["events"] as? Int == all.count)
            #expect(try TorqlogBinary.run(["verify", "--dir", store]).succeeded)
            #expect(try TorqlogBinary.run(["verify"], env: ["TORQLOG_DIR": store]).succeeded)

            // Readers do not create a store: a missing directory is an error naming it.
            let missing = try TorqlogBinary.run(["export", "--dir", other])
            #expect(!missing.succeeded && missing.stderrText.contains(other), "export of a missing store: \(missing.summary)")
            #expect(!FileManager.default.fileExists(atPath: other))
        }
    }
}
