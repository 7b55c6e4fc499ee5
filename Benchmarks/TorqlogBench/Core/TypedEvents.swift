import TorqLogStore
import TorqTelemetry
import TorqJSON
import TorqTestSupport

/// Typed events for the collector benchmarks: made before the timed part
/// (so generation is not timed) by TorqTelemetry's `SampleWorkload`, the
/// seed's five event types in the runs an agent system emits.
enum TypedEvents {
    /// The attribute the e2e benchmark stamps with the producer's CLOCK_MONOTONIC nanoseconds.
    static let sentKey = "bench_sent_ns"

    /// `count` events from `SampleWorkload(seed:)`.
    static func generate(_ count: Int, seed: UInt64) -> [AnyTelemetryEvent] {
        var workload = SampleWorkload(seed: seed)
        var events: [AnyTelemetryEvent] = []
        events.reserveCapacity(count)
        for _ in 0..<count { events.append(workload.nextEvent()) }
        return events
    }

    /// `events` dealt into `parts` contiguous slices of (nearly) equal size.
    static func split<T>(_ events: [T], into parts: Int) -> [[T]] {
        (0..<parts).map { p in
            let lower = events.count * p / parts, upper = events.count * (p + 1) / parts
            return Array(events[lower..<upper])
        }
    }

    /// Bytes of JSON of `events`, as torqlog's encoder writes them (no newlines).
    static func jsonBytes(_ events: [AnyTelemetryEvent]) -> Int64 {
        var buffer: [UInt8] = []
        var total: Int64 = 0
        for e in events {
            buffer.removeAll(keepingCapacity: true)
            e.encodeJSON(into: &buffer)
            total += Int64(buffer.count)
        }
        return total
    }

    /// The integer value of `"bench_sent_ns":` in an encoded event, if there is one.
    static func sentNanoseconds(in json: UnsafeRawBufferPointer) -> UInt64? {
        let key = sentKeyBytes
        guard json.count > key.count else { return nil }
        var i = 0
        let last = json.count - key.count
        search: while i <= last {
            for (offset, byte) in key.enumerated() where json[i + offset] != byte {
                i += 1
                continue search
            }
            var j = i + key.count
            var value: UInt64 = 0
            var digits = 0
            while j < json.count, json[j] >= 0x30, json[j] <= 0x39 {
                value = value &* 10 &+ UInt64(json[j] - 0x30)
                j += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        return nil
    }

    private static let sentKeyBytes = Array("\"\(sentKey)\":".utf8)
}

extension AnyTelemetryEvent {
    /// The same event with `attributes[key] = value`.
    func setting(attribute key: String, _ value: TelemetryValue) -> AnyTelemetryEvent {
        switch self {
        case .agentRun(var e): e.header.attributes[key] = value; return .agentRun(e)
        case .toolExecution(var e): e.header.attributes[key] = value; return .toolExecution(e)
        case .modelInteraction(var e): e.header.attributes[key] = value; return .modelInteraction(e)
        case .memoryOperation(var e): e.header.attributes[key] = value; return .memoryOperation(e)
        case .routingDecision(var e): e.header.attributes[key] = value; return .routingDecision(e)
        case .spanStart(var e): e.header.attributes[key] = value; return .spanStart(e)
        case .spanEnd(var e): e.header.attributes[key] = value; return .spanEnd(e)
        }
    }
}

/// Records in a store (the count check of the collector benchmarks).
func storedRecords(in store: String) throws -> Int {
    try StoreStatistics(StoreReader(directory: StoreDirectory(store))).records
}
