import Foundation
import TorqTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// event_creation: make one typical event and encode it to JSON, N times.
///
/// An event is what an agent's instrumentation makes per operation,
/// alternately a tool_execution and a model_interaction with the seed's
/// fields (SampleWorkload's): a fresh random event_id, the wall-clock
/// timestamp, session, run, trace, a fresh span id and the parent span, and
/// the type's own fields; then encoded into a reused buffer.
///
/// - torqlog: the typed structs of TorqTelemetry and their `encodeJSON(into:)`.
/// - naive: an equivalent Codable struct (`CodableEvent`, `UUID()`, `Date()`)
///   and one reused Foundation `JSONEncoder`.
/// - JSONSerialization: a `[String: Any]` dictionary of the same fields
///   (timestamp by a shared ISO8601DateFormatter) and `JSONSerialization.data`.
///
/// The latency histogram times batches of 100 events and records the batch
/// time ÷ 100 per batch, so the clock's own cost (~20 ns a read) stays out.
enum EventCreationBenchmark: Benchmark {
    static let name = "event_creation"
    static let abstract = "create + encode one typical event (tool_execution / model_interaction), vs JSONEncoder and JSONSerialization"
    /// One: JSONSerialization takes over 100 µs an event, and --repeat gives the samples.
    static let defaultRuns = 1
    static let batch = 100

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        let n = context.workload.events
        let runs = context.runs(default: defaultRuns)
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(n)) events created and encoded, one thread",
                                     repeats: context.repeats, runs: runs)
        var torq = ResultRow(system: "torqlog", operation: "typed struct + encodeJSON(into:) (reused buffer)", isBaseline: false, events: n)
        var naive = ResultRow(system: "naive", operation: "Codable struct + JSONEncoder (reused encoder)", isBaseline: true, events: n)
        var dict = ResultRow(system: "JSONSerialization", operation: "[String: Any] + JSONSerialization.data", isBaseline: true, events: n)
        let op = "event (batches of \(batch) ÷ \(batch))"
        var latencies = [LatencyRecorder](repeating: LatencyRecorder(operation: op), count: 3)
        var bytes: [Int64] = [0, 0, 0]

        // What each system writes for the first two events (a tool_execution, a model_interaction): the same fields.
        let makers: [(Int) throws -> [UInt8]] = [Maker.torqlog, Maker.codable, Maker.dictionary]
        let samples = try makers.map { maker in
            try (0..<2).map { i in try fieldCount(maker(i)) }
        }
        for i in 0..<2 {
            try context.requireAgreement("event_creation, fields of a \(i == 0 ? "tool_execution" : "model_interaction")",
                                         [("torqlog", samples[0][i]), ("naive", samples[1][i]), ("JSONSerialization", samples[2][i])])
        }

        for rep in 0..<context.repeats {
            context.log("event_creation: repeat \(rep + 1)/\(context.repeats)")
            var repeatSamples = [RepeatSamples](repeating: RepeatSamples(), count: 3)
            for _ in 0..<runs {
                for system in 0..<3 {
                    let ((made, written), cost) = try measured { () throws -> (Int, Int64) in
                        switch system {
                        case 0: return runTorqlog(n, latency: &latencies[0])
                        case 1: return try runCodable(n, latency: &latencies[1])
                        default: return try runDictionary(n, latency: &latencies[2])
                        }
                    }
                    repeatSamples[system].add(cost)
                    bytes[system] = written
                    try context.requireAgreement("event_creation, \(["torqlog", "naive", "JSONSerialization"][system])",
                                                 [("asked", n), ("encoded", made)])
                }
            }
            repeatSamples[0].fold(into: &torq)
            repeatSamples[1].fold(into: &naive)
            repeatSamples[2].fold(into: &dict)
        }
        for (i, row) in [torq, naive, dict].enumerated() {
            var r = row
            r.bytes = bytes[i]
            r.latency = latencies[i].summary
            r.extra["mean per event"] = "\(Fmt.seconds(r.medianSeconds / Double(n))) (median run ÷ \(Fmt.count(n))); "
                + "\(Fmt.count(Int(Double(bytes[i]) / Double(n)))) B of JSON per event"
            switch i {
            case 0: torq = r
            case 1: naive = r
            default: dict = r
            }
        }
        report.rows = [torq, naive, dict]
        report.checks.append("every system encoded \(Fmt.count(n)) events on every run, and writes the same fields "
                             + "(\(samples[0][0]) for a tool_execution, \(samples[0][1]) for a model_interaction)")
        let mean = torq.medianSeconds / Double(n)
        report.goals.append(.init(description: "< 1 µs mean per event (torqlog)", met: mean < 1e-6,
                                  actual: "\(Fmt.seconds(mean)) mean, p99 \(torq.latency.map { Fmt.seconds($0.p99) } ?? "—") per event"))
        let naiveMean = naive.medianSeconds / Double(n)
        report.goals.append(.init(description: "< 1 ms mean per event (the seed's goal; naive JSONEncoder)", met: naiveMean < 1e-3,
                                  actual: "\(Fmt.seconds(naiveMean)) mean"))
        report.notes.append("MB/s counts the JSON written; the naive Codable encoding writes the timestamp to whole seconds "
                            + "(JSONEncoder's .iso8601), torqlog to microseconds")
        report.notes.append("latency: each batch of \(batch) events timed with CLOCK_MONOTONIC and divided by \(batch), "
                            + "to keep the clock's cost (~\(Fmt.seconds(Double(ClockOverhead.nanoseconds) / 1e9)) per read here) out")
        return report
    }

    // MARK: The three ways

    private static let tools: [(String, ToolType)] = [("web_search", .search), ("file_writer", .write), ("code_executor", .execute),
                                                      ("sql_query", "database"), ("file_reader", .read)]
    private static let models: [(ModelProvider, String)] = [(.anthropic, "claude-3-5-sonnet"), (.openAI, "gpt-4o"),
                                                            (.anthropic, "claude-3-5-haiku"), (.mistral, "mistral-large")]
    private static let session = "sess-4f2a9c1e7b3d"
    private static let runID = "run-9c1e7b3d4f2a"

    /// Makers of the i-th event's JSON, for the field check.
    private enum Maker {
        static func torqlog(_ i: Int) -> [UInt8] {
            var state = TypedWay(seed: 1)
            var out: [UInt8] = []
            state.make(i, into: &out)
            return out
        }
        static func codable(_ i: Int) throws -> [UInt8] {
            var state = CodableWay(seed: 1)
            return Array(try state.make(i))
        }
        static func dictionary(_ i: Int) throws -> [UInt8] {
            var state = DictionaryWay(seed: 1)
            return Array(try state.make(i))
        }
    }

    private struct TypedWay {
        var rng: SplitMix64
        let trace: TraceID
        let root: SpanID
        init(seed: UInt64) {
            rng = SplitMix64(seed: seed)
            trace = TraceID.random(using: &rng)
            root = SpanID.random(using: &rng)
        }

        @inline(__always)
        mutating func make(_ i: Int, into out: inout [UInt8]) {
            let header = EventHeader(eventID: EventHeader.randomEventID(using: &rng), timestamp: wallClockNanoseconds(),
                                     sessionID: session, runID: runID, traceID: trace, spanID: SpanID.random(using: &rng),
                                     parentSpanID: root)
            if i & 1 == 0 {
                let (tool, type) = tools[i % tools.count]
                ToolExecutionEvent(header: header, toolName: tool, toolType: type, status: .completed,
                                   executionTimeMs: Double(20 + i % 900), success: true).encodeJSON(into: &out)
            } else {
                let (provider, model) = models[i % models.count]
                let prompt = 200 + i % 1800, completion = 50 + i % 600
                ModelInteractionEvent(header: header, modelProvider: provider, modelName: model, promptTokens: prompt,
                                      responseTimeMs: Double(300 + i % 2500), totalTokens: prompt + completion,
                                      completionTokens: completion, success: true).encodeJSON(into: &out)
            }
        }
    }

    private struct CodableWay {
        var rng: SplitMix64
        let trace: String
        let root: String
        let encoder = CodableEvent.makeEncoder()
        init(seed: UInt64) {
            rng = SplitMix64(seed: seed)
            trace = TraceID.random(using: &rng).description
            root = SpanID.random(using: &rng).description
        }

        @inline(__always)
        mutating func make(_ i: Int) throws -> Data {
            var e = CodableEvent(eventID: UUID().uuidString.lowercased(), eventType: i & 1 == 0 ? "tool_execution" : "model_interaction",
                                 timestamp: Date(), sessionID: session, runID: runID)
            e.traceID = trace
            e.spanID = SpanID.random(using: &rng).description
            e.parentSpanID = root
            if i & 1 == 0 {
                let (tool, type) = tools[i % tools.count]
                (e.toolName, e.toolType, e.status, e.executionTimeMs, e.success) = (tool, type.rawValue, "completed", Double(20 + i % 900), true)
            } else {
                let (provider, model) = models[i % models.count]
                let prompt = 200 + i % 1800, completion = 50 + i % 600
                (e.modelProvider, e.modelName, e.promptTokens, e.responseTimeMs) = (provider.rawValue, model, prompt, Double(300 + i % 2500))
                (e.totalTokens, e.completionTokens, e.success) = (prompt + completion, completion, true)
            }
            return try encoder.encode(e)
        }
    }

    private struct DictionaryWay {
        var rng: SplitMix64
        let trace: String
        let root: String
        let formatter: ISO8601DateFormatter = {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return f
        }()
        init(seed: UInt64) {
            rng = SplitMix64(seed: seed)
            trace = TraceID.random(using: &rng).description
            root = SpanID.random(using: &rng).description
        }

        @inline(__always)
        mutating func make(_ i: Int) throws -> Data {
            var d: [String: Any] = [
                "event_id": UUID().uuidString.lowercased(), "timestamp": formatter.string(from: Date()),
                "session_id": session, "run_id": runID, "trace_id": trace,
                "span_id": SpanID.random(using: &rng).description, "parent_span_id": root,
            ]
            if i & 1 == 0 {
                let (tool, type) = tools[i % tools.count]
                d["event_type"] = "tool_execution"
                d["tool_name"] = tool
                d["tool_type"] = type.rawValue
                d["status"] = "completed"
                d["execution_time_ms"] = Double(20 + i % 900)
                d["success"] = true
            } else {
                let (provider, model) = models[i % models.count]
                let prompt = 200 + i % 1800, completion = 50 + i % 600
                d["event_type"] = "model_interaction"
                d["model_provider"] = provider.rawValue
                d["model_name"] = model
                d["prompt_tokens"] = prompt
                d["response_time_ms"] = Double(300 + i % 2500)
                d["total_tokens"] = prompt + completion
                d["completion_tokens"] = completion
                d["success"] = true
            }
            return try JSONSerialization.data(withJSONObject: d)
        }
    }

    private static func runTorqlog(_ n: Int, latency: inout LatencyRecorder) -> (Int, Int64) {
        var state = TypedWay(seed: 7)
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        var made = 0
        var bytes: Int64 = 0
        while made < n {
            let count = min(batch, n - made)
            let start = monotonicNanoseconds()
            for k in 0..<count {
                out.removeAll(keepingCapacity: true)
                state.make(made + k, into: &out)
                bytes += Int64(out.count)
            }
            latency.record(nanoseconds: (monotonicNanoseconds() - start) / UInt64(count))
            made += count
        }
        return (made, bytes)
    }

    private static func runCodable(_ n: Int, latency: inout LatencyRecorder) throws -> (Int, Int64) {
        var state = CodableWay(seed: 7)
        var made = 0
        var bytes: Int64 = 0
        while made < n {
            let count = min(batch, n - made)
            let start = monotonicNanoseconds()
            for k in 0..<count { bytes += Int64(try state.make(made + k).count) }
            latency.record(nanoseconds: (monotonicNanoseconds() - start) / UInt64(count))
            made += count
        }
        return (made, bytes)
    }

    private static func runDictionary(_ n: Int, latency: inout LatencyRecorder) throws -> (Int, Int64) {
        var state = DictionaryWay(seed: 7)
        var made = 0
        var bytes: Int64 = 0
        while made < n {
            let count = min(batch, n - made)
            let start = monotonicNanoseconds()
            for k in 0..<count { bytes += Int64(try state.make(made + k).count) }
            latency.record(nanoseconds: (monotonicNanoseconds() - start) / UInt64(count))
            made += count
        }
        return (made, bytes)
    }

    /// The number of top-level fields of a JSON object (a clear error if it is not one).
    private static func fieldCount(_ json: [UInt8]) throws -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw BenchError("event_creation: an encoder wrote something that is not a JSON object: \(String(decoding: json.prefix(200), as: UTF8.self))")
        }
        return object.count
    }
}

/// Nanoseconds since the epoch (CLOCK_REALTIME): an event's timestamp.
@inline(__always)
func wallClockNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// What reading CLOCK_MONOTONIC costs here: the median of 10,000 back-to-back reads' differences.
enum ClockOverhead {
    static let nanoseconds: UInt64 = {
        var samples: [UInt64] = []
        samples.reserveCapacity(10_000)
        for _ in 0..<10_000 {
            let a = monotonicNanoseconds()
            samples.append(monotonicNanoseconds() - a)
        }
        samples.sort()
        return samples[samples.count / 2]
    }()
}
