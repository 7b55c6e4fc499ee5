import Foundation
import Testing
import TorqTestSupport
import TorqLogStore
@testable import TorqCollector
import TorqEvents

/// A tool event of run `run` (empty id and time: the collector stamps them).
func toolEvent(run: String?, session: String = "sess-1", name: String = "web_search") -> ToolExecutionEvent {
    ToolExecutionEvent(header: EventHeader(eventID: "", timestamp: 0, sessionID: session, runID: run),
                       toolName: name, toolType: "search", status: .completed, executionTimeMs: 12.5, success: true)
}

func memoryConfiguration(capacity: Int = 1 << 20) -> TelemetryConfiguration {
    var config = TelemetryConfiguration(storage: .memory(capacity: capacity))
    config.flushInterval = .milliseconds(5)
    return config
}

@Suite("Collector")
struct CollectorTests {
    @Test("every recorded event is collected or counted as dropped, with many tasks recording while flushing")
    func exactAccountingUnderConcurrency() async throws {
        var config = memoryConfiguration()
        config.queueCapacity = 512
        config.batchSize = 64
        let collector = try TelemetryCollector(configuration: config)
        let tasks = 8, perTask = 20_000
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask { collector.record(toolEvent(run: "run-\(t)-\(i % 50)")) }
                }
            }
        }
        let stats = collector.shutdown()
        #expect(stats.eventsRecorded == tasks * perTask)
        #expect(stats.eventsCollected + stats.totalDropped == stats.eventsRecorded)
        #expect(stats.queueSize == 0 && stats.eventsInFlight == 0)
        #expect(Set(stats.eventsDropped.keys).isSubset(of: [.queueFull]))
        let stored = try collector.events()
        #expect(stored.count == stats.eventsCollected)
        // The flusher stamped a unique UUID and a timestamp on each event.
        let decoded = try stored.map { try $0.decoded() }
        #expect(Set(decoded.map(\.header.eventID)).count == decoded.count)
        #expect(decoded.allSatisfy { $0.header.eventID.count == 36 && $0.header.timestamp > 1_700_000_000_000_000_000 })
    }

    @Test("the wait policy blocks instead of dropping: everything recorded is written")
    func waitPolicyLosesNothing() async throws {
        var config = memoryConfiguration()
        config.queueCapacity = 16
        config.batchSize = 8
        config.overflowPolicy = .wait
        let collector = try TelemetryCollector(configuration: config)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask { for i in 0..<5_000 { collector.record(toolEvent(run: "r\(t)-\(i % 7)")) } }
            }
        }
        let stats = collector.shutdown()
        #expect(stats.eventsRecorded == 20_000)
        #expect(stats.eventsCollected == 20_000)
        #expect(stats.totalDropped == 0)
        #expect(try collector.events().count == 20_000)
    }

    @Test("sampling keeps whole runs, the same runs in every collector, near the configured rate")
    func samplingIsPerRunAndDeterministic() throws {
        func keptRuns() throws -> [String: Int] {
            var config = memoryConfiguration()
            config.samplingRate = 0.3
            let collector = try TelemetryCollector(configuration: config)
            for run in 0..<2_000 {
                for _ in 0..<5 { collector.record(toolEvent(run: "run-\(run)")) }
            }
            let stats = collector.shutdown()
            #expect(stats.eventsCollected + stats.dropped(.sampled) == 10_000)
            var counts: [String: Int] = [:]
            for e in try collector.events() { counts[try e.decoded().header.runID ?? "", default: 0] += 1 }
            return counts
        }
        let first = try keptRuns(), second = try keptRuns()
        #expect(first == second)
        #expect(first.values.allSatisfy { $0 == 5 })
        #expect((480...720).contains(first.count), "kept \(first.count) of 2000 runs at rate 0.3")
        // Events without a run sample by event id: kept or dropped independently.
        let sampler = RunSampler(rate: 0.5)
        #expect(sampler.keeps("run-7") == RunSampler(rate: 0.5).keeps("run-7"))
        #expect(RunSampler(rate: 0).keeps("anything") == false)
        #expect(RunSampler(rate: 1).keeps("anything"))
    }

    @Test("the rate limit admits exactly the limit in any sliding hour")
    func rateLimitBoundaries() throws {
        var limiter = HourlyRateLimiter(limit: 100)
        for _ in 0..<100 { do { let ok = limiter.admit(atSecond: 10); #expect(ok) } }
        do { let ok = limiter.admit(atSecond: 10); #expect(!ok) }
        do { let ok = limiter.admit(atSecond: 3609); #expect(!ok) }  // second 10 is still within the hour ending at 3609
        do { let ok = limiter.admit(atSecond: 3610); #expect(ok) }   // ... and no longer in the one ending at 3610
        // Spread admissions: 50 at t=100, 50 at t=2000; at t=3700 the first 50 have left the window.
        var spread = HourlyRateLimiter(limit: 100)
        for _ in 0..<50 { do { let ok = spread.admit(atSecond: 100); #expect(ok) } }
        for _ in 0..<50 { do { let ok = spread.admit(atSecond: 2000); #expect(ok) } }
        do { let ok = spread.admit(atSecond: 3699); #expect(!ok) }
        do { let n = spread.admitted(atSecond: 3700); #expect(n == 50) }
        for _ in 0..<50 { do { let ok = spread.admit(atSecond: 3700); #expect(ok) } }
        do { let ok = spread.admit(atSecond: 3700); #expect(!ok) }
        // A jump of more than an hour forgets everything.
        #expect(spread.admitted(atSecond: 100_000) == 0)

        var config = memoryConfiguration()
        config.maxEventsPerHour = 250
        let collector = try TelemetryCollector(configuration: config)
        for i in 0..<1_000 { collector.record(toolEvent(run: "r\(i)")) }
        let stats = collector.shutdown()
        #expect(stats.eventsCollected == 250)
        #expect(stats.dropped(.rateLimited) == 750)
    }

    @Test("a disabled collector writes nothing and counts what it was given")
    func disabled() throws {
        var config = TelemetryConfiguration(storage: .store(directory: "/nonexistent/never-created"))
        config.enabled = false
        let collector = try TelemetryCollector(configuration: config)
        #expect(collector.record(toolEvent(run: "r")) == .dropped(.disabled))
        let stats = collector.shutdown()
        #expect(stats.eventsRecorded == 1 && stats.dropped(.disabled) == 1 && stats.eventsCollected == 0)
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/never-created"))
    }

    @Test("records after shutdown are refused and counted")
    func afterShutdown() throws {
        let collector = try TelemetryCollector(configuration: memoryConfiguration())
        #expect(collector.record(toolEvent(run: "r")) == .accepted)
        collector.shutdown()
        #expect(collector.record(toolEvent(run: "r")) == .dropped(.shutdown))
        let stats = collector.statistics()
        #expect(stats.eventsCollected == 1 && stats.dropped(.shutdown) == 1 && stats.eventsRecorded == 2)
    }

    @Test("invalid configurations are refused with the field named")
    func invalidConfiguration() {
        var config = memoryConfiguration()
        config.samplingRate = 1.5
        #expect(throws: TelemetryError.self) { try TelemetryCollector(configuration: config) }
        config = memoryConfiguration()
        config.batchSize = 0
        do {
            _ = try TelemetryCollector(configuration: config)
            Issue.record("batchSize 0 accepted")
        } catch {
            #expect("\(error)".contains("batchSize"))
        }
    }

    @Test("the memory storage keeps the newest events and counts evictions")
    func memoryEviction() throws {
        let collector = try TelemetryCollector(configuration: memoryConfiguration(capacity: 10))
        for i in 0..<25 { collector.record(toolEvent(run: "r\(i)")) }
        let stats = collector.shutdown()
        #expect(stats.eventsCollected == 25 && stats.eventsEvicted == 15)
        let runs = try collector.events().map { try $0.decoded().header.runID ?? "" }
        #expect(runs == (15..<25).map { "r\($0)" })
        #expect(try collector.events(matching: EventQuery(runID: "r20")).count == 1)
    }
}

@Suite("Collector PII filtering")
struct CollectorPIITests {
    func runEvent(query: String) -> AgentRunEvent {
        AgentRunEvent(header: EventHeader(eventID: "", timestamp: 0, sessionID: "s", runID: "r",
                                          attributes: ["user_query": .string("call me at +44 20 7946 0958")]),
                      agentName: "a", agentType: "t", status: .completed, userQuery: query)
    }

    @Test("the configured fields are redacted before anything is written, and counted by kind")
    func redactsConfiguredFields() throws {
        let collector = try TelemetryCollector(configuration: memoryConfiguration())
        collector.record(runEvent(query: "mail jane.doe@example.com about card 4111 1111 1111 1111"))
        collector.record(runEvent(query: "nothing to hide"))
        let stats = collector.shutdown()
        #expect(stats.redactions[.email] == 1)
        #expect(stats.redactions[.card] == 1)
        #expect(stats.redactions[.phone] == 2)
        let lines = try collector.events().map(\.jsonString)
        #expect(lines.count == 2)
        #expect(!lines[0].contains("jane.doe@example.com") && !lines[0].contains("4111"))
        #expect(lines[0].contains("[REDACTED:EMAIL]") && lines[0].contains("[REDACTED:CARD]"))
        #expect(lines[1].contains("nothing to hide"))
        // The event id and trace-like ids are not mistaken for personal data.
        let decoded = try collector.events().map { try $0.decoded() }
        #expect(decoded.allSatisfy { $0.header.eventID.count == 36 })
    }

    @Test("filtering off writes the event as given")
    func off() throws {
        var config = memoryConfiguration()
        config.piiFiltering.enabled = false
        let collector = try TelemetryCollector(configuration: config)
        collector.record(runEvent(query: "jane.doe@example.com"))
        let stats = collector.shutdown()
        #expect(stats.redactions.isEmpty)
        #expect(try collector.events()[0].jsonString.contains("jane.doe@example.com"))
    }
}
