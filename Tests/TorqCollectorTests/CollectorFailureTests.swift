import Foundation
import Logging
import Synchronization
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqCollector
#if canImport(Glibc)
import Glibc
import TorqEvents
#endif

/// A sink that fails while `failing` is set (each failed commit writes nothing).
final class FlakySink: EventSink, @unchecked Sendable {
    let memory: MemorySink
    let failing = Atomic<Bool>(true)
    let failures = Atomic<Int>(0)

    init() throws { memory = try MemorySink(capacity: 1 << 20) }

    var pendingCount: Int { memory.pendingCount }
    func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws {
        try memory.add(json: json, runID: runID, type: type, time: time)
    }
    func commit() throws -> Int {
        if failing.load(ordering: .relaxed) {
            failures.add(1, ordering: .relaxed)
            throw TelemetryError(.io, path: "/flaky", "write failed: No space left on device")
        }
        return try memory.commit()
    }
    func discardPending() { memory.discardPending() }
    func close() throws {}
    func events(matching query: EventQuery) throws -> [StoredEvent] { try memory.events(matching: query) }
}

/// The failure tests expect errors: keep them out of the test output.
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

@Suite("Collector failures")
struct CollectorFailureTests {
    @Test("a failing sink keeps events queued up to capacity, reports the error, and resumes when it recovers")
    func sinkRecovers() throws {
        let sink = try FlakySink()
        var config = TelemetryConfiguration(storage: .memory(capacity: 1))
        config.logger = quietLogger
        config.queueCapacity = 100
        config.batchSize = 10
        config.flushInterval = .milliseconds(2)
        let collector = try TelemetryCollector(configuration: config, sink: sink)
        for i in 0..<500 { collector.record(toolEvent(run: "r\(i)")) }
        // Wait for the flusher to have failed at least twice.
        // (The collector's own count: the sink counts a failure before the collector has caught it.)
        for _ in 0..<500 where collector.statistics().sinkFailures < 2 { usleep(2_000) }
        let failing = collector.statistics()
        #expect(failing.sinkFailures >= 2)
        #expect(failing.lastError?.contains("No space left") == true)
        #expect(failing.eventsCollected == 0)
        #expect(failing.dropped(.queueFull) > 0)
        // Accounting holds while failing: nothing vanishes.
        #expect(failing.eventsRecorded == failing.eventsCollected + failing.totalDropped + failing.queueSize + failing.eventsInFlight)
        sink.failing.store(false, ordering: .relaxed)
        let stats = collector.shutdown()
        #expect(stats.lastError == nil)
        #expect(stats.eventsCollected == 500 - stats.dropped(.queueFull))
        #expect(stats.eventsCollected >= 100)
        #expect(try collector.events().count == stats.eventsCollected)
    }

    @Test("a sink still failing at shutdown: the rest is counted as sink_error after the timeout")
    func sinkNeverRecovers() throws {
        let sink = try FlakySink()
        var config = TelemetryConfiguration(storage: .memory(capacity: 1))
        config.logger = quietLogger
        config.queueCapacity = 1000
        config.shutdownTimeout = .milliseconds(100)
        let collector = try TelemetryCollector(configuration: config, sink: sink)
        for i in 0..<300 { collector.record(toolEvent(run: "r\(i)")) }
        let stats = collector.shutdown()
        #expect(stats.eventsCollected == 0)
        #expect(stats.dropped(.sinkError) == 300)
        #expect(stats.eventsRecorded == 300 && stats.queueSize == 0 && stats.eventsInFlight == 0)
    }

    @Test("a real full filesystem: writes fail, nothing half-written is visible, writing resumes when space returns",
          .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func fullFilesystem() throws {
        let dir = TemporaryDirectory("collector-full")
        let mountPoint = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try Child.run(executable: "/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint])
        guard mounted.status == 0 else {
            // Containers without CAP_SYS_ADMIN cannot mount even as root.
            print("skipping the full-filesystem test: mount failed: \(mounted.stderrText)")
            return
        }
        defer { _ = try? Child.run(executable: "/usr/bin/env", ["umount", "-l", mountPoint]) }
        // Leave about 96 KiB free.
        let filler = mountPoint + "/filler"
        let fill = try Child.run(executable: "/usr/bin/env", ["dd", "if=/dev/zero", "of=\(filler)", "bs=4096", "count=\((1024 - 96) / 4)"])
        #expect(fill.status == 0)
        var config = TelemetryConfiguration(storage: .store(directory: mountPoint + "/store"))
        config.batchSize = 100
        config.queueCapacity = 10_000
        config.flushInterval = .milliseconds(2)
        config.compression = false
        config.logger = quietLogger
        let collector = try TelemetryCollector(configuration: config)
        for i in 0..<2_000 { collector.record(toolEvent(run: "r\(i % 20)", name: String(repeating: "x", count: 100))) }
        var failing = collector.statistics()
        for _ in 0..<1000 where failing.sinkFailures == 0 {
            usleep(2_000)
            failing = collector.statistics()
        }
        #expect(failing.sinkFailures > 0)
        #expect(failing.lastError?.contains("No space left") == true, "\(failing.lastError ?? "no error")")
        // What is in the store now is whole: every record reads back with its checksum.
        var visible = 0
        try StoreReader(directory: StoreDirectory(mountPoint + "/store")).forEach { _ in visible += 1; return true }
        #expect(visible < 2_000)
        try FileManager.default.removeItem(atPath: filler)
        let stats = collector.shutdown()
        #expect(stats.eventsCollected == 2_000)
        #expect(stats.totalDropped == 0)
        var count = 0
        try StoreReader(directory: StoreDirectory(mountPoint + "/store")).forEach { _ in count += 1; return true }
        #expect(count == 2_000)
        let report = try StoreVerifier(directory: StoreDirectory(mountPoint + "/store")).run()
        #expect(!report.isDamaged && report.problems.isEmpty, "\(report.problems)")
        #expect(report.records == 2_000)
    }
}
