import Foundation
import Synchronization
import SystemPackage
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// A failed write or sync fails the writer for good (FORMAT.md §3, "After a
/// failed write or sync"): faults injected into this process's own system
/// calls through `InjectedFaults`, scoped to each test's store directory.
@Suite("LogWriter failures")
struct LogWriterFailureTests {
    /// Records seen by `onDurable` and `onFailure`.
    final class Observed: Sendable {
        let durable = Mutex<[UInt64]>([])
        let failures = Mutex<[LogWriter.Failure]>([])

        func options(_ durability: DurabilityPolicy, segmentSize: Int = 64 << 20) -> LogWriter.Options {
            var o = LogWriter.Options(segmentSize: segmentSize, durability: durability, sealClosedSegments: false)
            o.onDurable = { n in self.durable.withLock { $0.append(n) } }
            o.onFailure = { f in self.failures.withLock { $0.append(f) } }
            return o
        }
    }

    private func batch(_ records: [(payload: String, run: String?, type: String?, time: Int64?)]) throws -> RecordBatch {
        var b = RecordBatch()
        for r in records { try b.append(payload: Array(r.payload.utf8), runKey: r.run, type: r.type, time: r.time) }
        return b
    }

    private func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(2_000) }
    }

    @Test("a background fdatasync that fails once stops acknowledgements for good; the next writer cuts back and takes the records again")
    func failedBackgroundSyncIsSticky() throws {
        let store = TemporaryStore("sticky")
        let observed = Observed()
        let records = sampleRecords(300)
        let w = try LogWriter(directory: store.directory, options: observed.options(.batch(intervalMilliseconds: 5)))
        var first = try batch(Array(records[0..<100]))
        try w.append(&first)
        waitUntil { w.durableSequence == 100 }
        #expect(w.durableSequence == 100)

        // The next background sync fails once (Linux reports a failed write-back once).
        let rule = InjectedFaults.arm(.init(directory: store.path, operation: .fdatasync, at: 1, errno: .ioError))
        defer { InjectedFaults.disarm(rule) }
        var second = try batch(Array(records[100..<200]))
        try w.append(&second, keepingRecords: true)
        waitUntil { w.failure != nil }
        let failure = try #require(w.failure, "the background sync's failure is the writer's")
        #expect(failure.error.errno == .ioError && failure.error.operation == .fdatasync)
        #expect(failure.error.description.hasSuffix("fdatasync failed: Input/output error (errno 5)"), "\(failure.error)")
        #expect(failure.durable.sequence == 100, "durable where the last good sync left it")
        #expect(w.durableSequence == 100)
        #expect(observed.failures.withLock { $0.count } == 1, "onFailure once")
        let acks = observed.durable.withLock { $0 }
        #expect(acks.allSatisfy { $0 <= 100 }, "nothing acknowledged past the failure: \(acks)")
        #expect(InjectedFaults.disarm(rule) == 1)

        // Sticky: every later call throws the original error, even though an fdatasync would now succeed.
        var third = try batch(Array(records[200..<300]))
        #expect(throws: StoreError.self) { try w.append(&third) }
        do { try w.sync() } catch let e as StoreError { #expect(e == failure.error) }
        #expect(third.count == 100, "a refused batch keeps its records")
        #expect(w.durableSequence == 100)
        // The segment was cut back to the durable offset: readers see only what is durable.
        let segment = try store.segments()[0]
        #expect(Int64(readFile(segment).count) == failure.durable.offset)
        #expect(try readAll(store.directory).count == 100)
        #expect(throws: StoreError.self) { try w.close() }

        // The next writer resumes after the failure and the producer appends again what was not durable.
        let w2 = try LogWriter(directory: store.directory, options: observed.options(.always), resumingAfter: failure)
        #expect(w2.nextSequence == 100)
        second.removeRecords(before: failure.durable.sequence)
        #expect(second.count == 100)
        try w2.append(&second)
        try w2.append(&third)
        try w2.close()
        let got = try readAll(store.directory)
        #expect(got.map(\.0) == Array(0..<300))
        #expect(got.map(\.1) == records.map(\.payload), "every record once, in order")
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
    }

    @Test("under always, a failed fdatasync fails the append, leaves the batch whole, and acknowledges nothing")
    func failedSyncUnderAlways() throws {
        let store = TemporaryStore("always")
        let observed = Observed()
        let records = sampleRecords(20)
        let w = try LogWriter(directory: store.directory, options: observed.options(.always))
        var a = try batch(Array(records[0..<10]))
        try w.append(&a)
        let rule = InjectedFaults.arm(.init(directory: store.path, operation: .fdatasync, at: 1, errno: .ioError))
        var b = try batch(Array(records[10..<20]))
        do {
            try w.append(&b)
            Issue.record("the append succeeded although its fdatasync failed")
        } catch let e as StoreError {
            #expect(e.errno == .ioError)
            #expect(e.operation == .fdatasync)
        }
        InjectedFaults.disarm(rule)
        #expect(b.count == 10 && b.sequences == 10..<20, "the batch keeps its records, stamped")
        #expect(observed.durable.withLock { $0 }.max() == 10)
        #expect(w.failure?.durable.sequence == 10)
        #expect(try readAll(store.directory).count == 10, "the undurable write was cut away")
        let failure = try #require(w.failure)
        _ = w.close(after: failure.error)
        let w2 = try LogWriter(directory: store.directory, options: observed.options(.always), resumingAfter: failure)
        b.removeRecords(before: failure.durable.sequence)
        try w2.append(&b)
        try w2.close()
        #expect(try readAll(store.directory).map(\.1) == records.map(\.payload))
    }

    @Test("a disk that fills up mid-batch: the partial frame and everything undurable are cut; nothing half-written is visible",
          arguments: [Errno.noSpace, .ioError])
    func failedWrite(errno: Errno) throws {
        let store = TemporaryStore("full")
        let observed = Observed()
        let records = sampleRecords(50, payloadSize: 300)
        let w = try LogWriter(directory: store.directory, options: observed.options(.batch(intervalMilliseconds: 10_000)))
        var a = try batch(Array(records[0..<20]))
        try w.append(&a)
        try w.sync()
        var b = try batch(Array(records[20..<30]))
        try w.append(&b)  // written, not durable
        let rule = InjectedFaults.arm(.init(directory: store.path, operation: .write, at: 1, errno: errno, sticky: true))
        defer { InjectedFaults.disarm(rule) }
        var c = try batch(Array(records[30..<50]))
        #expect(throws: StoreError.self) { try w.append(&c) }
        let failure = try #require(w.failure)
        #expect(failure.error.errno == errno && failure.error.operation == .write)
        #expect(failure.durable.sequence == 20)
        #expect(try readAll(store.directory).count == 20, "the written but undurable batch is cut too")
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
        #expect(c.count == 20)
        InjectedFaults.disarm(rule)
        _ = w.close(after: failure.error)
        let w2 = try LogWriter(directory: store.directory, options: observed.options(.always), resumingAfter: failure)
        var again = try batch(Array(records[20..<50]))
        try w2.append(&again)
        try w2.close()
        #expect(try readAll(store.directory).map(\.1) == records.map(\.payload))
    }

    @Test("a rollover whose new segment cannot be created fails the writer; the resumed writer removes what it left",
          arguments: [FileOperation.create, .fdatasync, .rename, .fsync])
    func failedRollover(operation: FileOperation) throws {
        let store = TemporaryStore("rollover")
        let observed = Observed()
        let records = sampleRecords(40, payloadSize: 200)
        let w = try LogWriter(directory: store.directory, options: observed.options(.always, segmentSize: 2048))
        var a = try batch(Array(records[0..<5]))
        try w.append(&a)
        // Rolling over: fdatasync the full segment, then create the next one (tmp, write, fdatasync, rename, fsync dir).
        let at = operation == .fdatasync ? 2 : 1
        let rule = InjectedFaults.arm(.init(directory: store.path, operation: operation, at: at, errno: .ioError))
        var b = try batch(Array(records[5..<40]))
        #expect(throws: StoreError.self) { try w.append(&b) }
        InjectedFaults.disarm(rule)
        let failure = try #require(w.failure, "\(operation)")
        #expect(failure.error.operation == operation)
        _ = w.close(after: failure.error)
        let w2 = try LogWriter(directory: store.directory, options: observed.options(.always, segmentSize: 2048), resumingAfter: failure)
        #expect(w2.nextSequence == failure.durable.sequence)
        b.removeRecords(before: failure.durable.sequence)
        try w2.append(&b)
        try w2.close()
        #expect(try readAll(store.directory).map(\.1) == records.map(\.payload), "\(operation)")
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
        let leftovers = try Filesystem.list(store.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("after a failure the writer makes no more system calls on its files")
    func noCallsAfterFailure() throws {
        let store = TemporaryStore("quiet")
        let observed = Observed()
        let w = try LogWriter(directory: store.directory, options: observed.options(.always))
        let fail = InjectedFaults.arm(.init(directory: store.path, operation: .fdatasync, at: 1, errno: .ioError))
        var a = try batch(sampleRecords(3))
        #expect(throws: StoreError.self) { try w.append(&a) }
        InjectedFaults.disarm(fail)
        // Count (never fail) what comes after.
        let counters = FileOperation.allCases.map {
            InjectedFaults.arm(.init(directory: store.path, operation: $0, at: Int.max, errno: .ioError))
        }
        defer { counters.forEach { InjectedFaults.disarm($0) } }
        for _ in 0..<3 {
            #expect(throws: StoreError.self) { try w.append(&a) }
            #expect(throws: StoreError.self) { try w.sync() }
        }
        let calls = counters.map { InjectedFaults.calls($0) }.reduce(0, +)
        #expect(calls == 0, "a failed writer touched its files \(calls) times")
    }
}
