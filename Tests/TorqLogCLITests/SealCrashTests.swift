import Foundation
import Testing
import TorqTestSupport

/// Kills `torqlog seal` and `torqlog compact` with SIGKILL, at named points of
/// their protocols and at random moments, and checks that nothing is lost or
/// duplicated: the store reopens, `verify` passes, `export` is what was fed
/// (minus, for compaction, only what was meant to go).
@Suite(.serialized) struct SealCrashTests {
    /// A store of closed, unsealed WAL segments holding `lines`.
    private func unsealedStore(_ store: String, _ lines: [Data]) throws {
        let r = try TorqlogBinary.run(["--dir", store, "ingest", "--no-seal", "--segment-size", "32768", "--fsync", "never", "-q"],
                                      stdin: jsonl(lines))
        #expect(r.succeeded, "\(r.summary)")
    }

    private func checkIntact(_ store: String, _ expected: [Data], _ context: String) throws {
        let verify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
        #expect(verify.succeeded, "\(context): verify \(verify.summary)")
        let export = try TorqlogBinary.run(["--dir", store, "export"])
        #expect(export.succeeded, "\(context): export \(export.summary)")
        expectJSONL(export.stdout, equals: expected, context)
    }

    @Test func aSealKilledAtEachStepLosesAndDuplicatesNothing() throws {
        let lines = Workload.lines(1500, bigPayloadEvery: 0)
        for point in ["renamed"] {
            try withTemporaryStore { store, _ in
                try unsealedStore(store, lines)
                let r = try TorqlogBinary.run(["--dir", store, "seal"], env: ["TORQLOG_CRASH_AT": point])
                #expect(r.signaled && r.status == SIGKILL, "the seal should have been killed at \(point): \(r.summary)")
                let names = try FileManager.default.contentsOfDirectory(atPath: store)
                #expect(names.contains { $0.hasSuffix(".lz4") } && names.filter { $0.hasSuffix(".wal") }.count > 1,
                        "killed after the rename, before the WAL segment was removed: \(names.sorted())")
                try checkIntact(store, lines, "after a kill at \(point)")
                // The next writer finishes the job.
                let again = try TorqlogBinary.run(["--dir", store, "seal"])
                #expect(again.succeeded, "\(again.summary)")
                try checkIntact(store, lines, "after sealing again")
                let left = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasSuffix(".wal") }
                #expect(left.count == 1, "only the empty active WAL segment is left: \(left)")
            }
        }
    }

    @Test func sealsKilledAtRandomMomentsLoseNothing() throws {
        let lines = Workload.lines(4000, bigPayloadEvery: 0)
        try withTemporaryStore { store, _ in
            try unsealedStore(store, lines)
            var rng = SystemRandomNumberGenerator()
            var kills = 0
            for attempt in 0..<40 {
                let child = try Child(["--dir", store, "seal"], stdin: .null)
                usleep(UInt32.random(in: 0...40_000, using: &rng))
                child.signal(SIGKILL)
                let r = try child.finish(timeout: 30)
                if r.signaled { kills += 1 }
                try checkIntact(store, lines, "after kill \(attempt)")
            }
            #expect(kills > 10, "most runs should have been killed mid-way (\(kills) of 40)")
            let done = try TorqlogBinary.run(["--dir", store, "seal"])
            #expect(done.succeeded, "\(done.summary)")
            try checkIntact(store, lines, "after the last seal")
        }
    }

    @Test func compactionKilledAtEachStepLosesNothingUnexpired() throws {
        let lines = Workload.lines(3000, bigPayloadEvery: 0)
        let facts = try EventFacts.of(lines)
        let victim = try #require(facts.compactMap(\.runID).first)
        let keep = zip(lines, facts).filter { $0.1.runID != victim }.map(\.0)
        for point in ["compactionWritten", "compactionRenamed"] {
            try withTemporaryStore { store, _ in
                try unsealedStore(store, lines)
                #expect(try TorqlogBinary.run(["--dir", store, "seal"]).succeeded)
                let r = try TorqlogBinary.run(["--dir", store, "compact", "--drop-run", victim], env: ["TORQLOG_CRASH_AT": point])
                #expect(r.signaled, "compaction should have been killed at \(point): \(r.summary)")
                // Every event of other runs is there; the victim's are all there or partly gone, never duplicated.
                let export = try TorqlogBinary.run(["--dir", store, "export"])
                let got = splitLines(export.stdout)
                #expect(got.filter { l in !keep.contains(l) }.allSatisfy { lines.contains($0) })
                #expect(got.filter { keep.contains($0) }.count == keep.count, "unexpired events lost at \(point)")
                #expect(Set(got).count == got.count, "duplicates at \(point)")
                let verify = try TorqlogBinary.run(["--dir", store, "verify", "-q"])
                #expect(verify.succeeded, "\(verify.summary)")
                // Running it again completes the erasure.
                let again = try TorqlogBinary.run(["--dir", store, "compact", "--drop-run", victim])
                #expect(again.succeeded, "\(again.summary)")
                try checkIntact(store, keep, "after compacting again (\(point))")
            }
        }
    }

    @Test func retentionKilledAtRandomMomentsKeepsEveryUnexpiredEvent() throws {
        let lines = Workload.lines(3000, bigPayloadEvery: 0)
        let facts = try EventFacts.of(lines)
        let times = facts.compactMap(\.time).sorted()
        let cutoff = times[times.count / 2]
        // The command computes its cutoff from its own clock, later than ours: allow a minute.
        let margin: Int64 = 60_000_000_000
        let unexpired = zip(lines, facts).filter { $0.1.time.map { $0 >= cutoff + margin } ?? true }.map(\.0)
        let expired = zip(lines, facts).filter { $0.1.time.map { $0 < cutoff } ?? false }.map(\.0)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let days = Double(now - cutoff) / 86_400e9
        try withTemporaryStore { store, _ in
            try unsealedStore(store, lines)
            #expect(try TorqlogBinary.run(["--dir", store, "seal"]).succeeded)
            var rng = SystemRandomNumberGenerator()
            for attempt in 0..<15 {
                let child = try Child(["--dir", store, "compact", "--retention-days", String(days)], stdin: .null)
                usleep(UInt32.random(in: 0...30_000, using: &rng))
                child.signal(SIGKILL)
                _ = try child.finish(timeout: 30)
                let got = Set(splitLines(try TorqlogBinary.run(["--dir", store, "export"]).stdout))
                #expect(unexpired.allSatisfy { got.contains($0) }, "unexpired events lost after kill \(attempt)")
            }
            #expect(try TorqlogBinary.run(["--dir", store, "compact", "--retention-days", String(days)]).succeeded)
            let final = Set(splitLines(try TorqlogBinary.run(["--dir", store, "export"]).stdout))
            #expect(unexpired.allSatisfy { final.contains($0) })
            #expect(expired.allSatisfy { !final.contains($0) }, "expired events remain")
            #expect(expired.count > 1000)
        }
    }
}
