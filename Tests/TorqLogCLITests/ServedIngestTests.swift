import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several `torqlog ingest --ack` producers writing into one store held by
/// `torqlog serve`, through the store's socket: each line stored once, each
/// producer's lines in its input order, every acknowledged line kept across a
/// SIGKILL of the server.
@Suite("ingest through torqlog serve: several producers, one store")
struct ServedIngestTests {
    static let producers = 4
    static let linesPerProducer = 20_000

    static func inputs(_ prefix: String) -> [ProducerInput] {
        (0..<producers).map { ProducerInput("\(prefix)\($0)", count: linesPerProducer) }
    }

    @Test("four ingest --ack processes at once: every line stored once, each file in its order, acked 20000 each; verify passes")
    func fourProducersStoreEveryLineOnceInOrder() throws {
        try withTemporaryStore { store, scratch in
            let started = Date()
            let inputs = Self.inputs("p")
            let files = try inputs.map { try $0.write(to: "\(scratch)/\($0.tag).jsonl") }
            let server = try ServeProcess(store: store)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")

            let children = try files.map { try Child(["--dir", store, "ingest", "--ack", $0], stdin: .null) }
            let results = try children.map { try $0.finish(timeout: 120) }
            for (input, result) in zip(inputs, results) {
                #expect(result.succeeded, "\(input.tag): \(result.summary)")
                let acks = ackedCounts(result.stdout)
                #expect(acks.last == Self.linesPerProducer, "\(input.tag): acked \(acks)")
                #expect(acks == acks.sorted() && Set(acks).count == acks.count, "\(input.tag): acked counts not increasing: \(acks)")
                #expect(result.stderrText.contains("\(Self.linesPerProducer) events") && result.stderrText.contains("through torqlog serve")
                        && result.stderrText.contains("; 0 rejected"), "\(input.tag): summary \(result.stderrText)")
            }

            #expect(try server.terminate().succeeded)
            let stored = try exportedByProducer(store, inputs)
            #expect(stored.unknown.isEmpty, "stored lines no producer sent: \(stored.unknown.prefix(3))")
            for input in inputs {
                expectLines(stored.byTag[input.tag] ?? [], equal: input.lines, "\(input.tag) in the store")
            }
            #expect(try StoreContents.validRecords(store) == Self.producers * Self.linesPerProducer)
            print("ServedIngestTests: \(Self.producers) x \(Self.linesPerProducer) lines through serve in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }

    @Test("kill -9 of the server mid-way: the producers exit 74 without hanging; rerun after a restart, no acknowledged line is lost")
    func serverKilledMidWayLosesNoAcknowledgedLine() throws {
        try withTemporaryStore { store, scratch in
            let inputs = Self.inputs("k")
            let files = try inputs.map { try $0.write(to: "\(scratch)/\($0.tag).jsonl") }
            let server = try ServeProcess(store: store)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")

            // Round 1: the producers read standard input, so that the test decides how
            // far each has got when the server dies: half the input, acknowledged in
            // part at least, then a quarter more, then the kill; the last quarter is
            // written after it and cannot be acknowledged.
            let half = Self.linesPerProducer / 2, threeQuarters = Self.linesPerProducer * 3 / 4
            let children = try inputs.map { _ in try Child(["--dir", store, "ingest", "--ack"], stdin: .pipe) }
            for (input, child) in zip(inputs, children) { #expect(child.write(input.jsonl(0..<half))) }
            for (input, child) in zip(inputs, children) {
                let acked = child.waitForStdout(timeout: 60) { !ackedCounts($0).isEmpty }
                try #require(acked, "\(input.tag) printed no acked line: \(String(decoding: child.stderr, as: UTF8.self))")
            }
            let writers = zip(inputs, children).map { input, child in
                let done = DispatchSemaphore(value: 0)
                Thread { child.write(input.jsonl(half..<threeQuarters)); done.signal() }.start()
                return done
            }
            // The kill lands once the server has begun acknowledging that quarter, with batches in flight.
            let deadline = Date(timeIntervalSinceNow: 10)
            while Date() < deadline, !children.contains(where: { (ackedCounts($0.stdout).last ?? 0) > half }) { usleep(1_000) }
            let killed = try server.kill9()
            #expect(killed.signaled && killed.status == SIGKILL, "\(killed.summary)")
            for done in writers { done.wait() }
            for (input, child) in zip(inputs, children) {
                child.write(input.jsonl(threeQuarters..<Self.linesPerProducer))  // fails (EPIPE) if it has stopped already
                child.closeInput()
            }
            var acknowledged: [String: Int] = [:]
            for (input, child) in zip(inputs, children) {
                let result = try child.finish(timeout: 30)
                #expect(!result.signaled && result.status == 74, "\(input.tag) after the server died: \(result.summary)")
                #expect(result.stderrText.contains("torqlog serve"), "\(input.tag) should say the server went away: \(result.stderrText)")
                let acks = ackedCounts(result.stdout)
                #expect(acks == acks.sorted(), "\(input.tag): acked counts not increasing: \(acks)")
                acknowledged[input.tag] = acks.last ?? 0
                #expect((acks.last ?? 0) < Self.linesPerProducer, "\(input.tag) acknowledged lines it had not been given before the kill")
            }
            #expect(try StoreContents.validRecords(store) >= acknowledged.values.reduce(0, +), "the store lost acknowledged records")

            // Round 2: a new server over the recovered store, and the producers again on their whole files.
            let next = try ServeProcess(store: store)
            try #require(next.waitForSocket(), "no \(next.socketPath) after the restart")
            let rerun = try files.map { try Child(["--dir", store, "ingest", "--ack", $0], stdin: .null) }
            for (input, child) in zip(inputs, rerun) {
                let result = try child.finish(timeout: 120)
                #expect(result.succeeded && ackedCounts(result.stdout).last == Self.linesPerProducer, "\(input.tag) rerun: \(result.summary)")
            }
            #expect(try next.terminate().succeeded)

            // Each producer's lines: what round 1 got stored, a prefix of its input at
            // least as long as what it acknowledged (its batches were sent one after the
            // other, and recovery only cuts the store's end), then its whole input again.
            let stored = try exportedByProducer(store, inputs)
            #expect(stored.unknown.isEmpty, "stored lines no producer sent: \(stored.unknown.prefix(3))")
            for input in inputs {
                let lines = stored.byTag[input.tag] ?? []
                let firstRound = lines.count - input.lines.count
                let acked = acknowledged[input.tag] ?? 0
                #expect(firstRound >= acked, "\(input.tag): \(acked) lines acknowledged before the kill, \(max(firstRound, 0)) stored")
                guard firstRound >= 0 else { continue }
                expectLines(Array(lines[..<firstRound]), equal: input.lines.prefix(firstRound), "\(input.tag): lines stored by round 1")
                expectLines(Array(lines[firstRound...]), equal: input.lines, "\(input.tag): lines stored by round 2")
            }
            #expect(try StoreContents.validRecords(store) == stored.byTag.values.map(\.count).reduce(0, +))
            print("ServedIngestTests kill -9: acknowledged before the kill \(acknowledged.sorted { $0.key < $1.key })")
        }
    }
}
