import Logging
import Testing
import TorqEvents
import TorqLogStore
import TorqPrivacy
import TorqTestSupport
@testable import TorqCollector

/// One record as the pipeline delivered it.
struct Delivered: Equatable {
    var payload: [UInt8]
    var run: [UInt8]?
    var type: [UInt8]?
    var time: Int64?
}

@Suite("Encode pipeline")
struct EncodePipelineTests {
    /// Events of three types; every seventh carries personal data in a
    /// sanitized field, every eleventh has no event id (stamped by the encoder).
    func events(_ n: Int) -> [AnyTelemetryEvent] {
        (0..<n).map { i -> AnyTelemetryEvent in
            let id = i % 11 == 0 ? "" : "ev-\(i)"
            let header = EventHeader(eventID: id, timestamp: 1_700_000_000_000_000_000 + Int64(i), sessionID: "s\(i % 3)",
                                     runID: i % 13 == 0 ? nil : "run-\(i % 5)")
            switch i % 3 {
            case 0:
                return AnyTelemetryEvent(AgentRunEvent(header: header, agentName: "a", agentType: "t", status: .completed,
                                                       userQuery: i % 7 == 0 ? "mail jane.doe@example.com, call +44 20 7946 0958" : "plain text \(i)"))!
            case 1:
                return AnyTelemetryEvent(ToolExecutionEvent(header: header, toolName: "web_search", toolType: "search", status: .completed,
                                                            executionTimeMs: Double(i), success: true))!
            default:
                var h = header
                if i % 7 == 0 { h.attributes = ["query": .string("card 4111 1111 1111 1111")] }
                return AnyTelemetryEvent(ToolExecutionEvent(header: h, toolName: "fetch", toolType: "api", status: .failed))!
            }
        }
    }

    /// Runs `events` through a pipeline of `width` and returns what it delivered, chunk by chunk.
    func run(_ events: [AnyTelemetryEvent], width: Int, batchSize: Int) -> (records: [Delivered], chunks: [Int], unwritable: Int, redactions: RedactionCounts) {
        var events = events
        let filter = PIIFilter(PIIFilteringConfiguration())
        var pipeline = EncodePipeline(filter: filter, width: width, logger: Logger(label: "test"))
        var records: [Delivered] = []
        var chunks: [Int] = []
        var unwritable = 0
        var redactions = RedactionCounts()
        events.withUnsafeMutableBufferPointer { buffer in
            pipeline.encode(buffer, batchSize: batchSize) { chunk in
                chunks.append(chunk.batch.count + chunk.unwritable)
                unwritable += chunk.unwritable
                redactions += chunk.redactions
                chunk.batch.forEachRecord { payload, run, type, time in
                    records.append(Delivered(payload: Array(payload), run: run.map { Array($0) }, type: type.map { Array($0) }, time: time))
                }
                chunk.batch.removeAll()
            }
        }
        pipeline.stop()
        return (records, chunks, unwritable, redactions)
    }

    @Test("any width delivers the same records in the same order, in chunks of at most a batch",
          arguments: [1, 2, 3, 5, 8])
    func widthsAgree(width: Int) throws {
        for (n, batchSize) in [(1, 1000), (63, 1000), (64, 1000), (65, 10), (1000, 1000), (2_501, 100), (4_000, 1000)] {
            let given = events(n)
            let one = run(given, width: 1, batchSize: batchSize)
            let many = run(given, width: width, batchSize: batchSize)
            #expect(one.records.count == n)
            #expect(many.chunks.reduce(0, +) == n)
            #expect(many.chunks.allSatisfy { $0 <= batchSize })
            #expect(many.redactions == one.redactions)
            #expect(one.redactions[.email] == (n + 20) / 21)  // every 21st event: user_query with an email
            // Stamped ids are random: compare with them cut out, and check them apart.
            func unstamped(_ r: [Delivered]) -> [Delivered] {
                r.map { d in
                    var d = d
                    let text = String(decoding: d.payload, as: UTF8.self)
                    if let range = text.range(of: #""event_id":"[0-9a-f-]{36}""#, options: .regularExpression) {
                        d.payload = Array(text.replacingCharacters(in: range, with: #""event_id":"""#).utf8)
                    }
                    return d
                }
            }
            #expect(unstamped(many.records) == unstamped(one.records), "width \(width), \(n) events, batch \(batchSize)")
            let ids = try many.records.map { try StoredEvent(json: $0.payload).decoded().header.eventID }
            #expect(Set(ids).count == n && ids.allSatisfy { !$0.isEmpty })
            #expect(!many.records.contains { String(decoding: $0.payload, as: UTF8.self).contains("jane.doe@example.com") })
        }
    }

    @Test("threads start when a take first has chunks for them, at most one per core wanted")
    func threadsOnDemand() {
        var pipeline = EncodePipeline(filter: nil, width: 3, logger: Logger(label: "test"))
        var small = events(40), large = events(1_000)
        var delivered = 0
        small.withUnsafeMutableBufferPointer { pipeline.encode($0, batchSize: 1000) { delivered += $0.batch.count; $0.batch.removeAll() } }
        #expect(pipeline.threads == 0, "one chunk: encoded on the calling thread")
        large.withUnsafeMutableBufferPointer { pipeline.encode($0, batchSize: 100) { delivered += $0.batch.count; $0.batch.removeAll() } }
        #expect(pipeline.threads == 3)
        #expect(delivered == 1_040)
        pipeline.stop()
        var one = EncodePipeline(filter: nil, width: 1, logger: Logger(label: "test"))
        large.withUnsafeMutableBufferPointer { one.encode($0, batchSize: 100) { $0.batch.removeAll() } }
        #expect(one.threads == 0, "one core: no thread")
        one.stop()
    }

    @Test("an event over the store's record limit is counted as unwritable, and the others of its chunk are delivered", arguments: [1, 3])
    func oversized(width: Int) {
        var given = events(300)
        let huge = ToolExecutionEvent(header: EventHeader(eventID: "huge", timestamp: 1, sessionID: "s", runID: "r",
                                                          attributes: ["blob": .string(String(repeating: "x", count: FrameHeader.maxPayloadLength + 1))]),
                                      toolName: "t", toolType: "api", status: .completed)
        given[150] = AnyTelemetryEvent(huge)!
        let result = run(given, width: width, batchSize: 100)
        #expect(result.unwritable == 1)
        #expect(result.records.count == 299)
        #expect(result.chunks.reduce(0, +) == 300)
    }
}
