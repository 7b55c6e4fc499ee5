import AsyncHTTPClient
import Foundation
import NIOCore
import SwiftProtobuf
import Synchronization
import TorqOTLPProto

/// Request bodies and HTTP load for the serve benchmark.
enum OTLPLoad {
    typealias TraceRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest

    /// `count` OTLP/protobuf trace requests of `spans` GenAI spans each, every
    /// one a trace of its own (an `invoke_agent` root, then `chat` and
    /// `execute_tool` children in turn), the shape an instrumented agent exports.
    static func traceBodies(count: Int, spans: Int, seed: UInt64) throws -> [[UInt8]] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        func id(_ words: Int) -> Data {
            var data = Data()
            for _ in 0..<words { withUnsafeBytes(of: next() | 1) { data.append(contentsOf: $0) } }
            return data
        }
        func attribute(_ key: String, _ value: String) -> Opentelemetry_Proto_Common_V1_KeyValue {
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value.stringValue = value
            return kv
        }
        func attribute(_ key: String, _ value: Int64) -> Opentelemetry_Proto_Common_V1_KeyValue {
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value.intValue = value
            return kv
        }
        let models = ["gpt-4o", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.1-70b"]
        let tools = ["web_search", "calculator", "code_interpreter", "file_reader", "sql_query"]
        var bodies: [[UInt8]] = []
        bodies.reserveCapacity(count)
        let base: UInt64 = 1_780_000_000_000_000_000
        for r in 0..<count {
            let traceID = id(2)
            let rootID = id(1)
            var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            scope.scope.name = "bench.agent"
            scope.scope.version = "1.0"
            let start = base + UInt64(r) * 10_000_000_000
            var root = Opentelemetry_Proto_Trace_V1_Span()
            root.traceID = traceID
            root.spanID = rootID
            root.name = "invoke_agent research_agent"
            root.kind = .internal
            root.startTimeUnixNano = start
            root.endTimeUnixNano = start + UInt64(spans) * 20_000_000 + 5_000_000
            root.attributes = [attribute("gen_ai.operation.name", "invoke_agent"), attribute("gen_ai.agent.name", "research_agent"),
                               attribute("session.id", "session-\(r % 97)")]
            root.status.code = .ok
            scope.spans.append(root)
            for s in 1..<max(spans, 1) {
                var span = Opentelemetry_Proto_Trace_V1_Span()
                span.traceID = traceID
                span.spanID = id(1)
                span.parentSpanID = rootID
                span.kind = .client
                span.startTimeUnixNano = start + UInt64(s) * 20_000_000
                span.endTimeUnixNano = span.startTimeUnixNano + 5_000_000 + next() % 10_000_000
                if s % 2 == 1 {
                    let model = models[Int(next() % UInt64(models.count))]
                    span.name = "chat " + model
                    span.attributes = [attribute("gen_ai.operation.name", "chat"), attribute("gen_ai.request.model", model),
                                       attribute("gen_ai.provider.name", "openai"),
                                       attribute("gen_ai.usage.input_tokens", Int64(100 + next() % 2000)),
                                       attribute("gen_ai.usage.output_tokens", Int64(20 + next() % 500)),
                                       attribute("server.address", "api.example.com")]
                } else {
                    let tool = tools[Int(next() % UInt64(tools.count))]
                    span.name = "execute_tool " + tool
                    span.attributes = [attribute("gen_ai.operation.name", "execute_tool"), attribute("gen_ai.tool.name", tool),
                                       attribute("gen_ai.tool.call.id", "call_\(next() % 1_000_000)")]
                    if next() % 20 == 0 {
                        span.status.code = .error
                        span.status.message = "tool timed out"
                    }
                }
                scope.spans.append(span)
            }
            var resource = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            resource.resource.attributes = [attribute("service.name", "bench-agent-\(r % 8)"), attribute("telemetry.sdk.language", "python")]
            resource.scopeSpans = [scope]
            var request = TraceRequest()
            request.resourceSpans = [resource]
            bodies.append(try request.serializedBytes())
        }
        return bodies
    }

    /// What a load run saw.
    struct Outcome: Sendable {
        var ok = 0
        var unavailable = 0
        var other = 0
        var failures = 0
        var seconds = 0.0
        var latency = LatencyRecorder(operation: "request → 200")
        var firstError: String?

        mutating func add(_ o: Outcome) {
            ok += o.ok
            unavailable += o.unavailable
            other += o.other
            failures += o.failures
            latency.merge(o.latency)
            if firstError == nil { firstError = o.firstError }
        }
    }

    static func client(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// One POST; its status code and latency into `outcome`.
    static func post(_ client: HTTPClient, url: String, contentType: String, body: [UInt8], since start: ContinuousClock.Instant,
                     into outcome: inout Outcome) async {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            switch response.status.code {
            case 200:
                outcome.ok += 1
                let elapsed = ContinuousClock.now - start
                outcome.latency.record(nanoseconds: UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
            case 503, 429: outcome.unavailable += 1
            default:
                outcome.other += 1
                if outcome.firstError == nil { outcome.firstError = "status \(response.status.code)" }
            }
        } catch {
            outcome.failures += 1
            if outcome.firstError == nil { outcome.firstError = "\(error)" }
        }
    }

    /// `clients` connections posting `bodies` back to back (each body once), as fast as answered.
    static func closedLoop(url: String, contentType: String, bodies: [[UInt8]], clients: Int) async -> Outcome {
        let client = Self.client(connections: clients)
        let next = Counter()
        let start = ContinuousClock.now
        var total = Outcome()
        await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var outcome = Outcome()
                    while true {
                        let i = next.value.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard i < bodies.count else { break }
                        await post(client, url: url, contentType: contentType, body: bodies[i], since: .now, into: &outcome)
                    }
                    return outcome
                }
            }
            for await o in group { total.add(o) }
        }
        total.seconds = (ContinuousClock.now - start).seconds
        try? await client.shutdown()
        return total
    }

    /// `bodies` sent at a fixed `rate` (requests per second) over `clients`
    /// connections, open loop: each request's latency counts from the moment
    /// it was due, so a server that falls behind is not hidden by the clients
    /// waiting for it (coordinated omission).
    static func openLoop(url: String, contentType: String, bodies: [[UInt8]], rate: Double, clients: Int) async -> Outcome {
        let client = Self.client(connections: clients)
        let interval = Duration.nanoseconds(Int64(1e9 / max(rate, 1)))
        let start = ContinuousClock.now + .milliseconds(50)
        var total = Outcome()
        await withTaskGroup(of: Outcome.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var outcome = Outcome()
                    var i = worker
                    while i < bodies.count {
                        let due = start + interval * i
                        if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
                        await post(client, url: url, contentType: contentType, body: bodies[i], since: due, into: &outcome)
                        i += clients
                    }
                    return outcome
                }
            }
            for await o in group { total.add(o) }
        }
        total.seconds = (ContinuousClock.now - start).seconds
        try? await client.shutdown()
        return total
    }

    /// Runs `body` to completion from synchronous code (the benchmarks' threads are not the cooperative pool's).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            box.value.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        guard let value = box.value.withLock({ $0 }) else { preconditionFailure("the task signalled without a value") }
        return value
    }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private final class Box<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
