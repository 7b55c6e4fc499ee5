import Foundation
import Synchronization
import Testing
import TorqLogStore
import TorqTestSupport
@testable import TorqCollector
#if canImport(Glibc)
import Glibc
#endif

/// The collector's store sink against a store held by a `torqlog serve`
/// process (the built binary): the events go through the server, counted as
/// written only once the server has said they are durable.
@Suite("Collector on a served store")
struct CollectorServedStoreTests {
    private func configuration(_ store: String) -> TelemetryConfiguration {
        var config = TelemetryConfiguration(storage: .store(directory: store))
        config.logger = quietLogger
        config.fsync = .batch(intervalMilliseconds: 5)
        config.flushInterval = .milliseconds(2)
        config.batchSize = 100
        config.queueCapacity = 1 << 16
        config.overflowPolicy = .wait
        config.shutdownTimeout = .milliseconds(300)
        return config
    }

    /// Records `n` events with fresh ids over a few runs, returning the ids.
    private func record(_ n: Int, to collector: TelemetryCollector, prefix: String) -> [String] {
        (0..<n).map { i in
            var event = toolEvent(run: "\(prefix)-run-\(i % 5)")
            event.header.eventID = "\(prefix)-\(i)"
            collector.record(event)
            return event.header.eventID
        }
    }

    /// The `event_id`s in the store, in store order (read directly: readers need no lock).
    private func storedIDs(_ store: String) throws -> [String] {
        var ids: [String] = []
        try StoreReader(directory: StoreDirectory(store)).forEach { r in
            let object = try JSONSerialization.jsonObject(with: Data(r.payload)) as? [String: Any]
            ids.append(object?["event_id"] as? String ?? "")
            return true
        }
        return ids
    }

    @Test("a collector whose store is held by torqlog serve writes through it: every event stored once, counted as written")
    func eventsGoThroughTheServer() throws {
        try withTemporaryStore { store, _ in
            let server = try ServedStoreProcess(store: store)
            let collector = try TelemetryCollector(configuration: configuration(store))  // the lock is the server's
            let recorded = record(2000, to: collector, prefix: "a")
            collector.flush()
            // Read back directly while the server still holds the store.
            #expect(try collector.events(matching: EventQuery(runID: "a-run-3")).count == 400)
            let stats = collector.shutdown()
            #expect(stats.eventsCollected == 2000 && stats.totalDropped == 0 && stats.sinkFailures == 0, "\(stats)")
            #expect(stats.batchesFlushed >= 20 && stats.bytesWritten > 0, "\(stats)")
            let stopped = try server.terminate()
            #expect(stopped.succeeded, "\(stopped.summary)")
            let stored = try storedIDs(store)
            #expect(stored.count == recorded.count && Set(stored) == Set(recorded), "stored \(stored.count) of \(recorded.count)")
            #expect(try StoreVerifier(directory: StoreDirectory(store)).run().problems.isEmpty)
        }
    }

    @Test("the server killed (SIGKILL) while the store stays locked: sink failures, and what it never acknowledged is dropped, not written")
    func serverKilledAndStoreStillLocked() throws {
        try withTemporaryStore { store, _ in
            let server = try ServedStoreProcess(store: store)
            let collector = try TelemetryCollector(configuration: configuration(store))
            let acknowledged = record(500, to: collector, prefix: "b")
            collector.flush()
            #expect(collector.statistics().eventsCollected == 500)
            _ = try server.kill9()
            // Another writer takes the store at once: the collector can neither reach a server nor open it.
            let holder = try LogWriter(directory: StoreDirectory(store))
            _ = record(300, to: collector, prefix: "c")
            let stats = collector.shutdown()
            try holder.close()
            #expect(stats.sinkFailures >= 1 && stats.lastError != nil, "\(stats)")
            #expect(stats.eventsCollected == 500, "only what the server acknowledged counts as written: \(stats)")
            #expect(stats.dropped(.sinkError) == 300, "\(stats.eventsDropped)")
            let stored = try storedIDs(store)
            #expect(stored == acknowledged, "stored \(stored.count): exactly the acknowledged events, in order")
        }
    }

    @Test("the server killed (SIGKILL) between batches, the store free: the collector writes it directly, nothing lost or doubled")
    func serverKilledBetweenBatches() throws {
        try withTemporaryStore { store, _ in
            let server = try ServedStoreProcess(store: store)
            let collector = try TelemetryCollector(configuration: configuration(store))
            var recorded = record(500, to: collector, prefix: "d")
            collector.flush()
            _ = try server.kill9()
            recorded += record(500, to: collector, prefix: "e")
            let stats = collector.shutdown()
            #expect(stats.sinkFailures >= 1, "the failed send shows: \(stats)")
            #expect(stats.eventsCollected == 1000 && stats.totalDropped == 0, "\(stats)")
            let stored = try storedIDs(store)
            #expect(stored.count == recorded.count && Set(stored) == Set(recorded), "stored \(stored.count) of \(recorded.count)")
            #expect(try StoreVerifier(directory: StoreDirectory(store)).run().problems.isEmpty)
        }
    }

    @Test("the server killed (SIGKILL) while batches are in flight: nothing stored twice, nothing counted as written that is not stored")
    func serverKilledMidFlight() throws {
        try withTemporaryStore { store, _ in
            let server = try ServedStoreProcess(store: store)
            let collector = try TelemetryCollector(configuration: configuration(store))
            let recorder = Recorder()
            let thread = Thread {
                var i = 0
                while !recorder.stop.withLock({ $0 }) {
                    var event = toolEvent(run: "f-run-\(i % 5)")
                    event.header.eventID = "f-\(i)"
                    collector.record(event)
                    recorder.ids.withLock { $0.append(event.header.eventID) }
                    i += 1
                    if i % 20 == 0 { usleep(500) }
                }
                recorder.done.withLock { $0 = true }
            }
            thread.start()
            let deadline = Date().addingTimeInterval(10)
            while collector.statistics().eventsCollected < 1000 && Date() < deadline { usleep(1000) }
            _ = try server.kill9()
            usleep(50_000)
            recorder.stop.withLock { $0 = true }
            while !recorder.done.withLock({ $0 }) { usleep(1000) }
            let recorded = recorder.ids.withLock { $0 }
            let stats = collector.shutdown()
            #expect(stats.sinkFailures >= 1, "\(stats)")
            #expect(stats.eventsCollected + stats.dropped(.sinkError) == recorded.count, "\(stats)")
            let stored = try storedIDs(store)
            #expect(Set(stored).count == stored.count, "an event stored twice")
            #expect(Set(stored).isSubset(of: Set(recorded)))
            #expect(stats.eventsCollected <= stored.count, "counted \(stats.eventsCollected) as written, stored \(stored.count)")
            #expect(try StoreVerifier(directory: StoreDirectory(store)).run().problems.isEmpty)
        }
    }
}

/// What the recording thread shares with the test.
private final class Recorder: Sendable {
    let stop = Mutex(false)
    let done = Mutex(false)
    let ids = Mutex<[String]>([])
}

/// `torqlog --dir STORE serve --listen 127.0.0.1:0`, ready once its store socket listens.
private final class ServedStoreProcess {
    let child: Child

    init(store: String) throws {
        child = try Child(["--dir", store, "serve", "--listen", "127.0.0.1:0"], stdin: .null)
        guard child.waitForStdout(timeout: 30, { $0.contains(0x0A) }) else {
            child.signal(SIGKILL)
            throw HarnessError("torqlog serve did not start: \(String(decoding: child.stderr, as: UTF8.self).prefix(800))")
        }
        // The socket is made 0600 once it listens.
        let deadline = Date().addingTimeInterval(10)
        var info = stat()
        while !(stat(store + "/serve.sock", &info) == 0 && info.st_mode & 0o777 == 0o600) {
            guard Date() < deadline else {
                child.signal(SIGKILL)
                throw HarnessError("torqlog serve's socket \(store)/serve.sock did not appear")
            }
            usleep(2000)
        }
    }

    func terminate() throws -> CommandResult {
        child.signal(SIGTERM)
        return try child.finish(timeout: 30)
    }

    func kill9() throws -> CommandResult {
        child.signal(SIGKILL)
        return try child.finish(timeout: 30)
    }
}
