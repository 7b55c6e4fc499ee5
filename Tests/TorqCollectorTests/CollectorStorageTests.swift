import Foundation
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqCollector
import TorqEvents

@Suite("Collector storage")
struct CollectorStorageTests {
    /// Records 300 events of 3 runs plus 20 model events, shuts down, and returns the collector.
    func fill(_ storage: TelemetryStorage) throws -> TelemetryCollector {
        var config = TelemetryConfiguration(storage: storage)
        config.batchSize = 50
        config.flushInterval = .milliseconds(5)
        let collector = try TelemetryCollector(configuration: config)
        for i in 0..<300 { collector.record(toolEvent(run: "run-\(i % 3)", name: "tool-\(i)")) }
        for i in 0..<20 {
            collector.record(ModelInteractionEvent(header: EventHeader(eventID: "m\(i)", timestamp: 1_800_000_000_000_000_000 + Int64(i),
                                                                       sessionID: "s", runID: "run-0"),
                                                   modelProvider: "anthropic", modelName: "claude", promptTokens: 10, responseTimeMs: 5))
        }
        let stats = collector.shutdown()
        #expect(stats.eventsCollected == 320)
        #expect(stats.batchesFlushed >= 7)
        #expect(stats.bytesWritten > 320 * 100)
        return collector
    }

    func checkQueries(_ collector: TelemetryCollector) throws {
        #expect(try collector.events().count == 320)
        #expect(try collector.events(matching: EventQuery(runID: "run-1")).count == 100)
        #expect(try collector.events(matching: EventQuery(runID: "run-0")).count == 120)
        #expect(try collector.events(matching: EventQuery(eventType: .modelInteraction)).count == 20)
        let late = try collector.events(matching: EventQuery(since: 1_800_000_000_000_000_010))
        #expect(late.count == 10)
        #expect(try collector.events(matching: EventQuery(runID: "run-2", limit: 7)).count == 7)
        // In recording order within a run.
        let names = try collector.events(matching: EventQuery(runID: "run-1", eventType: .toolExecution)).map { event -> String in
            guard case .toolExecution(let e) = try event.decoded() else { return "?" }
            return e.toolName
        }
        #expect(names == stride(from: 1, to: 300, by: 3).map { "tool-\($0)" })
    }

    @Test("store: events land in the log-structured store, readable by StoreReader and the query API")
    func store() throws {
        let dir = TemporaryDirectory("collector-store")
        let collector = try fill(.store(directory: dir.file("store")))
        try checkQueries(collector)
        var count = 0
        let reader = try StoreReader(directory: StoreDirectory(dir.file("store")))
        try reader.forEach(RecordFilter(runKey: "run-2")) { _ in count += 1; return true }
        #expect(count == 100)
        // The writer lock was released at shutdown: another writer can open the store.
        let writer = try LogWriter(directory: StoreDirectory(dir.file("store")))
        try writer.close()
    }

    @Test("jsonl: one event per line, readable back")
    func jsonl() throws {
        let dir = TemporaryDirectory("collector-jsonl")
        let path = dir.file("events.jsonl")
        let collector = try fill(.jsonl(path: path, gzip: false))
        try checkQueries(collector)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 320 && text.hasSuffix("\n"))
        for line in lines { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
        // A second collector appends to the same file.
        _ = try fill(.jsonl(path: path, gzip: false))
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 640)
    }

    @Test("jsonl gzip: one gzip member per batch, the whole file readable by gzip")
    func jsonlGzip() throws {
        let dir = TemporaryDirectory("collector-gz")
        let path = dir.file("events.jsonl.gz")
        let collector = try fill(.jsonl(path: path, gzip: true))
        try checkQueries(collector)
        let gunzip = try Child.run(executable: "/usr/bin/env", ["gzip", "-dc", path])
        #expect(gunzip.status == 0, "\(gunzip.stderrText)")
        #expect(gunzip.stdoutText.split(separator: "\n").count == 320)
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw.prefix(2) == Data([0x1f, 0x8b]))
    }
}
