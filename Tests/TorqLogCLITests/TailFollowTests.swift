import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tail`: the last events of a store, and with `-f` the new ones as one writer
/// appends them across segment rollovers.
@Suite("tail and tail -f")
struct TailFollowTests {
    /// Waits until process `pid` has an inotify descriptor open: `tail -f` creates it
    /// after fixing where it starts following, so from then on nothing written is missed.
    static func waitUntilFollowing(_ pid: Int32, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let fdDirectory = "/proc/\(pid)/fd"
        repeat {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? []
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + fd)) == "anon_inode:inotify" {
                return true
            }
            usleep(5_000)
        } while Date() < deadline
        return false
    }

    @Test("four tail -f readers each print exactly the N events one writer appends, across rollovers")
    func fourFollowers() throws {
        // 40 KB events among them: larger than a 32 KiB segment, each alone in one.
        let lines = Workload.lines(900, seed: 0x7A11_F011, bigPayloadEvery: 223)
        let history = Workload.lines(40, seed: 0x4157)
        try withTemporaryStore { store, _ in
            let before = try TorqlogBinary.run(["--dir", store, "ingest", "--segment-size", "32768"], stdin: jsonl(history))
            #expect(before.succeeded, "ingest: \(before.summary)")

            let args = ["--dir", store, "tail", "-f", "-n", "0", "--format", "jsonl"]
            let readers = try (0..<4).map { _ in try Child(args, stdin: .null) }
            // And one following a single run.
            let facts = try EventFacts.of(lines)
            let run = try #require(facts.compactMap(\.runID).first)
            let runReader = try Child(["tail", "-f", "-n", "0", "--format", "jsonl", "--run", run, "--dir", store], stdin: .null)
            for r in readers + [runReader] {
                try #require(Self.waitUntilFollowing(r.pid, timeout: 30), "tail -f did not start following: \(String(decoding: r.stderr, as: UTF8.self))")
            }

            let writer = try Child(["--dir", store, "ingest", "--segment-size", "32768", "--quiet"], stdin: .pipe)
            let chunks = stride(from: 0, to: lines.count, by: 250).map { Array(lines[$0..<min($0 + 250, lines.count)]) }
            for chunk in chunks {
                #expect(writer.write(jsonl(chunk)))
                usleep(150_000)
            }
            writer.closeInput()
            let w = try writer.finish(timeout: 60)
            #expect(w.succeeded, "writer: \(w.summary)")

            let expected = jsonl(lines)
            for r in readers {
                let complete = r.waitForStdout(timeout: 30) { $0.count >= expected.count }
                #expect(complete, "reader \(r.pid) printed \(countNewlines(r.stdout)) of \(lines.count) lines")
            }
            let runLines = zip(lines, facts).filter { $0.1.runID == run }.map(\.0)
            _ = runReader.waitForStdout(timeout: 30) { $0.count >= jsonl(runLines).count }

            for (i, r) in (readers + [runReader]).enumerated() { r.signal(i % 2 == 0 ? SIGTERM : SIGINT) }
            for r in readers {
                let result = try r.finish(timeout: 20)
                expectJSONL(result.stdout, equals: lines, "tail -f reader \(r.pid)")
                #expect(result.stderr.isEmpty, "reader stderr: \(result.stderrText)")
            }
            let result = try runReader.finish(timeout: 20)
            expectJSONL(result.stdout, equals: runLines, "tail -f --run \(run)")

            // The writer did roll over, several times (and the readers followed).
            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            let segments = try #require(json["segments"] as? [Any])
            #expect(segments.count >= 10, "only \(segments.count) segments")
        }
    }

    @Test("tail -n N: the last N events, of the store or of one run")
    func lastEvents() throws {
        let lines = Workload.lines(2_000, seed: 0x7A11)
        let facts = try EventFacts.of(lines)
        try withTemporaryStore { store, _ in
            // Small segments, so the last events of a run are spread over several.
            let ingest = try TorqlogBinary.run(["--dir", store, "ingest", "--segment-size", "65536"], stdin: jsonl(lines))
            #expect(ingest.succeeded, "ingest: \(ingest.summary)")

            let five = try TorqlogBinary.run(["--dir", store, "tail", "-n", "5", "--format", "jsonl"])
            #expect(five.succeeded, "tail -n 5: \(five.summary)")
            expectJSONL(five.stdout, equals: Array(lines.suffix(5)), "tail -n 5")

            let text = try TorqlogBinary.run(["--dir", store, "tail", "-n", "5"])
            #expect(text.succeeded)
            let textLines = text.stdoutText.split(separator: "\n")
            #expect(textLines.count == 5, "tail -n 5 (text): \(text.stdoutText)")
            for (line, fact) in zip(textLines, facts.suffix(5)) {
                if let type = fact.type { #expect(line.contains(type), "\(line) should show \(type)") }
            }

            // The default is 10.
            let ten = try TorqlogBinary.run(["--dir", store, "tail", "--format", "jsonl"])
            expectJSONL(ten.stdout, equals: Array(lines.suffix(10)), "tail")

            // A run whose events are spread out; and one written with escapes.
            let runs = Dictionary(grouping: facts.compactMap(\.runID), by: { $0 }).filter { $0.value.count >= 6 }.keys.sorted()
            let escaped = try #require(runs.first { $0.contains("é") })
            for run in [runs[0], escaped] {
                let all = zip(lines, facts).filter { $0.1.runID == run }.map(\.0)
                let three = try TorqlogBinary.run(["--dir", store, "tail", "-n", "3", "--run", run, "--format", "jsonl"])
                #expect(three.succeeded, "tail -n 3 --run: \(three.summary)")
                expectJSONL(three.stdout, equals: Array(all.suffix(3)), "tail -n 3 --run \(run)")
                let many = try TorqlogBinary.run(["--dir", store, "tail", "-n", "1000", "--run", run, "--format", "jsonl"])
                expectJSONL(many.stdout, equals: all, "tail -n 1000 --run \(run)")
            }

            let types = zip(lines, facts).filter { $0.1.type == "memory_operation" }.map(\.0)
            let byType = try TorqlogBinary.run(["--dir", store, "tail", "-n", "4", "--type", "memory_operation", "--format", "jsonl"])
            expectJSONL(byType.stdout, equals: Array(types.suffix(4)), "tail -n 4 --type")

            let zero = try TorqlogBinary.run(["--dir", store, "tail", "-n", "0"])
            #expect(zero.succeeded && zero.stdout.isEmpty)
            let everything = try TorqlogBinary.run(["--dir", store, "tail", "-n", "100000", "--format", "jsonl"])
            expectJSONL(everything.stdout, equals: lines, "tail -n 100000")

            let none = try TorqlogBinary.run(["--dir", store, "tail", "-n", "3", "--run", "no-such-run"])
            #expect(none.succeeded && none.stdout.isEmpty, "tail --run unknown: \(none.summary)")
        }
    }
}
