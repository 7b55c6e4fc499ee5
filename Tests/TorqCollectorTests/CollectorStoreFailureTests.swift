import Foundation
import SystemPackage
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqCollector

/// The collector writing to a real store whose system calls fail on purpose
/// (`InjectedFaults`, scoped to the test's store): a failed writer is gone,
/// the batches it had not made durable go to a new writer, and every event
/// accepted is in the store exactly once.
@Suite("Collector on a failing store")
struct CollectorStoreFailureTests {
    fileprivate func storeConfiguration(_ path: String, fsync: DurabilityPolicy) -> TelemetryConfiguration {
        var config = TelemetryConfiguration(storage: .store(directory: path))
        config.logger = quietLogger
        config.fsync = fsync
        config.flushInterval = .milliseconds(2)
        config.batchSize = 50
        config.queueCapacity = 1 << 16
        config.overflowPolicy = .wait
        config.shutdownTimeout = .seconds(10)
        config.compression = false
        return config
    }

    /// The `event_id`s in the store, in store order.
    private func storedIDs(_ path: String) throws -> [String] {
        var ids: [String] = []
        try StoreReader(directory: StoreDirectory(path)).forEach { r in
            let object = try JSONSerialization.jsonObject(with: Data(r.payload)) as? [String: Any]
            ids.append(object?["event_id"] as? String ?? "")
            return true
        }
        return ids
    }

    fileprivate func temporaryDirectory() -> String {
        var template = Array("/tmp/torqlog-collector-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return p.map { String(cString: $0) + "/store" } ?? "/tmp/torqlog-collector-\(UUID().uuidString)/store"
    }

    @Test("a failed fdatasync or write in the middle of collection loses and duplicates nothing",
          arguments: [(FileOperation.fdatasync, Errno.ioError, false), (.write, .noSpace, false), (.write, .ioError, true)])
    func failureMidCollection(operation: FileOperation, errno: Errno, sticky: Bool) throws {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: Filesystem_parent(path)) }
        let collector = try TelemetryCollector(configuration: storeConfiguration(path, fsync: .batch(intervalMilliseconds: 3)))
        var recorded: [String] = []
        func record(_ n: Int) {
            for _ in 0..<n {
                var event = toolEvent(run: "run-\(recorded.count % 7)")
                event.header.eventID = UUID().uuidString
                recorded.append(event.header.eventID)
                collector.record(event)
            }
        }
        record(400)
        collector.flush()
        // A few more batches, then the fault, then more while it lasts (sticky: a full disk for a while).
        let rule = InjectedFaults.arm(.init(directory: path, operation: operation, at: 3, errno: errno, sticky: sticky))
        for _ in 0..<20 {
            record(50)
            usleep(2_000)
        }
        if sticky {
            let deadline = Date().addingTimeInterval(10)
            while collector.statistics().sinkFailures < 2 && Date() < deadline { usleep(2_000) }
        }
        let injected = InjectedFaults.disarm(rule)
        #expect(injected >= 1, "no fault was injected (\(operation))")
        record(400)
        let stats = collector.shutdown()
        #expect(stats.sinkFailures >= 1, "the failure shows in the statistics")
        #expect(stats.eventsCollected == recorded.count, "\(stats)")
        #expect(stats.totalDropped == 0, "\(stats.eventsDropped)")
        let stored = try storedIDs(path)
        #expect(stored.count == recorded.count, "stored \(stored.count) of \(recorded.count)")
        #expect(Set(stored).count == stored.count, "an event stored twice")
        #expect(Set(stored) == Set(recorded), "an event lost")
        #expect(try StoreVerifier(directory: StoreDirectory(path)).run().problems.isEmpty)
    }

    @Test("a store that keeps failing past the shutdown timeout: what never became durable is counted as dropped, not collected")
    func failureUntilShutdown() throws {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: Filesystem_parent(path)) }
        var config = storeConfiguration(path, fsync: .batch(intervalMilliseconds: 100_000))
        config.shutdownTimeout = .milliseconds(200)
        let collector = try TelemetryCollector(configuration: config)
        for i in 0..<300 { collector.record(toolEvent(run: "r\(i % 3)")) }
        collector.flush()
        let rule = InjectedFaults.arm(.init(directory: path, operation: .fdatasync, at: 1, errno: .ioError, sticky: true))
        defer { InjectedFaults.disarm(rule) }
        let stats = collector.shutdown()
        #expect(stats.eventsRecorded == 300)
        #expect(stats.eventsCollected + stats.dropped(.sinkError) == 300, "\(stats)")
        #expect(stats.dropped(.sinkError) > 0, "the batch interval never synced: nothing was durable")
        InjectedFaults.disarm(rule)
        #expect(try storedIDs(path).count == stats.eventsCollected, "the store holds exactly what was counted as collected")
    }
}

extension CollectorStoreFailureTests {
    @Test("the JSONL sink after a failed fdatasync or write: reopened, cut back to its last good sync, nothing lost or written twice",
          arguments: [(FileOperation.fdatasync, false, DurabilityPolicy.always), (.write, false, .always), (.fdatasync, true, .always),
                      (.fdatasync, false, .batch(intervalMilliseconds: 1)), (.write, true, .batch(intervalMilliseconds: 1))])
    func jsonlFailure(operation: FileOperation, gzip: Bool, fsync: DurabilityPolicy) throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: Filesystem_parent(dir)) }
        let path = dir + "/events.jsonl" + (gzip ? ".gz" : "")
        var config = storeConfiguration(dir, fsync: fsync)
        config.storage = .jsonl(path: path, gzip: gzip)
        let collector = try TelemetryCollector(configuration: config)
        var recorded: [String] = []
        func record(_ n: Int) {
            for _ in 0..<n {
                var event = toolEvent(run: "r")
                event.header.eventID = UUID().uuidString
                recorded.append(event.header.eventID)
                collector.record(event)
            }
            collector.flush()
        }
        record(100)
        let rule = InjectedFaults.arm(.init(directory: dir, operation: operation, at: 2, errno: .ioError))
        for _ in 0..<10 { record(20) }
        #expect(InjectedFaults.disarm(rule) == 1)
        record(100)
        let stats = collector.shutdown()
        #expect(stats.sinkFailures >= 1 && stats.eventsCollected == recorded.count && stats.totalDropped == 0, "\(stats)")
        let stored = try JSONLSink(path: path, gzip: gzip, durability: .never).events(matching: EventQuery()).compactMap { e in
            (try JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any])?["event_id"] as? String
        }
        #expect(stored.count == recorded.count && Set(stored) == Set(recorded), "stored \(stored.count) of \(recorded.count)")
    }
}

/// The parent directory of `path`.
private func Filesystem_parent(_ path: String) -> String {
    (path as NSString).deletingLastPathComponent
}
