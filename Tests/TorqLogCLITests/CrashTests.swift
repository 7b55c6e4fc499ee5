import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
import TorqEvents
#endif

/// Kill a writer with SIGKILL while it ingests under `--fsync always --ack`, again
/// and again on the same store, and check after each kill that the store is whole:
/// readers work on the torn store, the next writer recovers it, nothing acknowledged
/// is lost, and nothing that was not fed appears.
@Suite("Crash: SIGKILL during ingest --fsync always --ack")
struct CrashTests {
    /// Kills: at least `minimumIterations`, up to `iterations` while within `budgetSeconds`.
    static let iterations = 60
    static let minimumIterations = 50
    static let budgetSeconds = 40.0
    static let seed: UInt64 = 0x5EED_C2A5_4000

    @Test("50–60 kills at random points; the store is always an exact prefix of the workload with every ack kept")
    func killRepeatedly() throws {
        var workload = Workload(seed: Self.seed, bigPayloadEvery: 173)
        var all: [Data] = []            // every line generated so far, in workload order
        var allBytes = Data()           // the same as JSONL
        var ends: [Int] = [0]           // ends[k]: bytes of the first k lines in allBytes
        var rng = SplitMix64(seed: Self.seed)
        var stored = 0                  // lines in the store: always all[0..<stored]
        var largestAck = 0, totalAcked = 0, killsWithAcks = 0
        var droppedBytes: [Int] = []    // per recovery that dropped something
        var tornTailsSeenByVerify = 0
        var lost = 0                    // lines fed but not stored (never acknowledged)
        var segmentKinds = ""
        var kills = 0
        let started = Date()

        try withTemporaryStore { store, _ in
            for iteration in 0..<Self.iterations {
                if iteration >= Self.minimumIterations && Date().timeIntervalSince(started) > Self.budgetSeconds { break }
                kills += 1
                // Feed on from where the store ends: whatever the last kill lost is fed again.
                let feedCount = 3_000
                while all.count < stored + feedCount {
                    let line = workload.next()
                    all.append(line)
                    allBytes.append(line)
                    allBytes.append(0x0A)
                    ends.append(allBytes.count)
                }
                let feed = Array(all[stored..<(stored + feedCount)])
                // Odd iterations use 128 KiB segments, so kills also land around rollovers.
                let args = ["--dir", store, "ingest", "--fsync", "always", "--ack"]
                    + (iteration % 2 == 1 ? ["--segment-size", "131072"] : [])
                // A 1 MiB pipe: while the writer waits in fdatasync, up to 1 MiB queues up and
                // becomes its next batch, one large write(2) a kill can tear.
                let child = try Child(args, stdin: .pipe, stdinPipeSize: 1 << 20)
                let feeder = Feeder(child, feed, linesPerWrite: 8)
                let delay = UInt32(rng.next() % 151)
                usleep(delay * 1000)
                child.signal(SIGKILL)
                let result = try child.finish(timeout: 30)
                let fed = feeder.stopAndWait()
                child.closeInput()
                #expect(result.signaled && result.status == SIGKILL, "iteration \(iteration): the writer ended by itself: \(result.summary)")

                // The acknowledgements it printed before dying: increasing, never more than was fed.
                let acks = try Self.acks(result.stdout)
                #expect(acks == acks.sorted() && Set(acks).count == acks.count, "acks not increasing: \(acks)")
                let acked = acks.last ?? 0
                #expect(acked <= fed, "iteration \(iteration): acked \(acked) of \(fed) lines fed")
                largestAck = max(largestAck, acked)
                totalAcked += acked
                if acked > 0 { killsWithAcks += 1 }

                // Readers on the store as the kill left it (torn tail and all).
                var before: Data?
                if FileManager.default.fileExists(atPath: store) {
                    let verify = try TorqlogBinary.run(["--dir", store, "verify"])
                    #expect(verify.succeeded, "iteration \(iteration): verify before recovery: \(verify.summary) \(verify.stdoutText)")
                    if verify.stdoutText.contains("torn tail") { tornTailsSeenByVerify += 1 }
                    let export = try TorqlogBinary.run(["--dir", store, "export"])
                    #expect(export.succeeded, "iteration \(iteration): export before recovery: \(export.summary)")
                    before = export.stdout
                }

                // Recovery: the next writer, with nothing to write.
                let recover = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: Data())
                #expect(recover.succeeded, "iteration \(iteration): recovery: \(recover.summary)")
                if let m = recover.stderrText.firstMatch(of: #/dropped a torn tail of (\d+) bytes/#), let n = Int(m.1) {
                    droppedBytes.append(n)
                }

                let verify = try TorqlogBinary.run(["--dir", store, "verify"])
                #expect(verify.succeeded, "iteration \(iteration): verify after recovery: \(verify.summary)")
                #expect(!verify.stdoutText.contains("torn tail"), "iteration \(iteration): torn tail left after recovery: \(verify.stdoutText)")
                let export = try TorqlogBinary.run(["--dir", store, "export"])
                #expect(export.succeeded, "iteration \(iteration): export: \(export.summary)")
                if let before {
                    #expect(before == export.stdout, "iteration \(iteration): recovery changed the records")
                }

                let n = countNewlines(export.stdout)
                // Everything acknowledged is there; nothing that was not completely fed is.
                #expect(n >= stored + acked, "iteration \(iteration): \(n) lines stored, but \(stored) + \(acked) acknowledged")
                #expect(n <= stored + fed, "iteration \(iteration): \(n) lines stored, but only \(stored) + \(fed) fed")
                // And the store is exactly the workload's first n lines, in order.
                guard n < ends.count, export.stdout == allBytes.prefix(ends[n]) else {
                    expectJSONL(export.stdout, equals: Array(all[0..<min(n, all.count)]), "iteration \(iteration): store after kill")
                    return
                }
                lost += stored + fed - n
                stored = n
            }
            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            #expect(json["events"] as? Int == stored)
            let kinds = (json["segments"] as? [[String: Any]] ?? []).map { $0["kind"] as? String ?? "?" }
            segmentKinds = Dictionary(grouping: kinds, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        let seconds = Date().timeIntervalSince(started)
        print("CrashTests: \(kills) kills in \(String(format: "%.1f", seconds)) s; \(stored) events stored; largest ack \(largestAck); "
              + "\(totalAcked) acked in total over \(killsWithAcks) kills; \(lost) fed-but-unacked lines lost; "
              + "recovery dropped a torn tail \(droppedBytes.count) times (bytes: \(droppedBytes)); verify saw a torn tail \(tornTailsSeenByVerify) times; "
              + "segments at the end: \(segmentKinds)")
        #expect(stored > 0 && largestAck > 0, "the writer never got to acknowledge anything: the test did not test")
        #expect(kills >= Self.minimumIterations)
    }

    /// The N of each complete `acked N` line.
    static func acks(_ stdout: Data) throws -> [Int] {
        var result: [Int] = []
        var lines = splitLines(stdout)
        if !stdout.isEmpty && stdout.last != 0x0A { lines.removeLast() }  // cut short by the kill
        for line in lines {
            let text = String(decoding: line, as: UTF8.self)
            let n = try #require(text.hasPrefix("acked ") ? Int(text.dropFirst(6)) : nil, "unexpected stdout line \(text.debugDescription)")
            result.append(n)
        }
        return result
    }
}

/// Writes lines to a child's stdin from a thread at a steady pace (`linesPerWrite`, then 1 ms),
/// until told to stop or the child stops reading.
final class Feeder: @unchecked Sendable {
    // @unchecked: the vars are guarded by `condition`.
    private let condition = NSCondition()
    private var stopRequested = false
    private var finished = false
    private var complete = 0

    init(_ child: Child, _ lines: [Data], linesPerWrite: Int = 8, pauseMicroseconds: UInt32 = 1000) {
        Thread { [self] in
            var i = 0
            while i < lines.count {
                condition.lock()
                let stop = stopRequested
                condition.unlock()
                if stop { break }
                let chunk = jsonl(Array(lines[i..<min(i + linesPerWrite, lines.count)]))
                var written = 0
                let ok = child.write(chunk, written: &written)
                let newlines = chunk.prefix(written).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                condition.lock()
                complete += newlines
                condition.unlock()
                if !ok { break }
                i += linesPerWrite
                usleep(pauseMicroseconds)
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }.start()
    }

    /// Stops feeding; returns how many lines were completely written (newline included).
    func stopAndWait() -> Int {
        condition.lock()
        defer { condition.unlock() }
        stopRequested = true
        while !finished { condition.wait() }
        return complete
    }
}
