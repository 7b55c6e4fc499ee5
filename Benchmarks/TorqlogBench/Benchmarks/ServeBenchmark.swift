import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// serve: OTLP/HTTP into `torqlog serve` (release binary, a child process),
/// against `torqlog ingest` of the same records, in one run:
///
/// 1. throughput: 8 clients post OTLP/protobuf trace requests (50 GenAI spans,
///    one trace each) back to back into a server with `--fsync batch`; spans/s
///    and stored records/s, 200 meaning durable;
/// 2. the same records: the server's store exported as JSONL and piped into
///    `torqlog ingest --fsync batch` (process wall time), records/s;
/// 3. latency at half the throughput of (1), open loop over 8 connections:
///    p50/p99 from each request's due time to its 200;
/// 4. overload: the server's capacity measured first (closed loop, 32
///    connections), then twice that offered over 128 connections, open loop:
///    the server's peak RSS (VmHWM) and how many requests were answered 503;
/// 5. /v1/events: the workload's JSONL lines in requests of 1,000 from 8
///    clients, against `torqlog ingest` of the same file.
enum ServeBenchmark: Benchmark {
    static let name = "serve"
    static let abstract = "OTLP/HTTP and JSONL into torqlog serve from concurrent clients, vs torqlog ingest of the same records"
    static let defaultRuns = 1

    static let clients = 8
    static let spansPerRequest = 50

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        guard let binary = context.torqlogBinary else {
            throw BenchError("serve needs the release torqlog executable (swift build -c release --product torqlog, or --torqlog PATH)")
        }
        let requests = min(max(context.workload.events / 250, 160), 4000)
        var report = BenchmarkReport(name: name,
                                     title: "\(requests) OTLP/protobuf requests of \(spansPerRequest) GenAI spans from \(clients) clients, --fsync batch",
                                     repeats: context.repeats, runs: 1)
        context.log("serve: encoding \(requests * 3) request bodies")
        let bodies = try OTLPLoad.traceBodies(count: requests, spans: spansPerRequest, seed: 1)
        let halfBodies = try OTLPLoad.traceBodies(count: requests, spans: spansPerRequest, seed: 2)
        let probeBodies = try OTLPLoad.traceBodies(count: requests, spans: spansPerRequest, seed: 3)
        let overBodies = try OTLPLoad.traceBodies(count: requests * 3, spans: spansPerRequest, seed: 4)
        let bodyBytes = bodies.reduce(0) { $0 + $1.count }

        var serveRow = ResultRow(system: "torqlog serve", operation: "OTLP/HTTP protobuf, \(clients) clients, 200 = durable (fsync batch)", isBaseline: false)
        var ingestRow = ResultRow(system: "torqlog CLI", operation: "torqlog ingest --fsync batch < the same records (process wall time)", isBaseline: true)
        var eventsRow = ResultRow(system: "torqlog serve", operation: "POST /v1/events, 1,000 lines a request, \(clients) clients", isBaseline: false)
        var eventsIngestRow = ResultRow(system: "torqlog CLI", operation: "torqlog ingest --fsync batch < the same lines", isBaseline: true)
        var latencyNote = "", overloadNote = ""
        var ratios: [Double] = [], p99s: [Double] = [], peaks: [Int64] = []

        for rep in 0..<context.repeats {
            // 1. Throughput.
            let store = context.newPath("serve")
            let server = try ServerProcess(binary: binary, store: store, arguments: ["--fsync", "batch"], scratch: store + "-server")
            let url = "http://127.0.0.1:\(server.port)/v1/traces"
            let cpuBefore = server.cpuSeconds
            let load = OTLPLoad.blocking { await OTLPLoad.closedLoop(url: url, contentType: "application/x-protobuf", bodies: bodies, clients: clients) }
            let serverCPU = server.cpuSeconds - cpuBefore
            guard load.ok == bodies.count else {
                server.stop()
                throw BenchError("serve: \(load.ok) of \(bodies.count) requests answered 200 (\(load.unavailable) 503, \(load.other) other, \(load.failures) failed: \(load.firstError ?? "?"))")
            }
            // 3. Latency at half the load, into the same server.
            let rate = Double(bodies.count) / load.seconds
            let half = OTLPLoad.blocking { await OTLPLoad.openLoop(url: url, contentType: "application/x-protobuf", bodies: halfBodies, rate: rate / 2, clients: clients) }
            // 4. Overload: twice the server's capacity (closed loop over 32 connections), over 128.
            let probe = OTLPLoad.blocking { await OTLPLoad.closedLoop(url: url, contentType: "application/x-protobuf", bodies: probeBodies, clients: 32) }
            let capacity = Double(probe.ok) / probe.seconds
            let over = OTLPLoad.blocking { await OTLPLoad.openLoop(url: url, contentType: "application/x-protobuf", bodies: overBodies, rate: capacity * 2, clients: 128) }
            let peak = server.peakRSS
            let status = server.stop()
            guard status == 0 else { throw BenchError("serve: the server exited with status \(status) on SIGTERM") }

            // 2. The same records through ingest: export the server's store, ingest it anew.
            let exported = store + "-records.jsonl"
            _ = try Subprocess(executable: binary, arguments: ["--dir", store, "export", "--format", "jsonl", "-o", exported]).runChecked("torqlog export")
            let records = try countLines(exported)
            // The records of step 1 only: the first ones exported (steps 3 and 4 came after).
            let firstRecords = records * bodies.count / max(bodies.count + half.ok + probe.ok + over.ok, 1)
            let ingestStore = context.newPath("serve-ingest")
            let ingest = try Subprocess(executable: binary, arguments: ["--dir", ingestStore, "ingest", "--fsync", "batch", "--quiet"],
                                        stdin: exported).runChecked("torqlog ingest")
            let ingestRate = Double(records) / ingest.seconds
            let serveRate = Double(firstRecords) / load.seconds
            ratios.append(serveRate / ingestRate)
            serveRow.seconds.append(load.seconds)
            serveRow.events = firstRecords
            serveRow.bytes = Int64(bodyBytes)
            serveRow.extra["spans/s"] = Fmt.count(Int(Double(bodies.count * spansPerRequest) / load.seconds))
            serveRow.extra["requests/s"] = Fmt.count(Int(rate))
            serveRow.extra["server CPU s"] = String(format: "%.2f", serverCPU)
            serveRow.latency = load.latency.summary
            ingestRow.seconds.append(ingest.seconds * Double(firstRecords) / Double(max(records, 1)))
            ingestRow.events = firstRecords
            ingestRow.extra["records ingested"] = Fmt.count(records)
            if let s = half.latency.summary { p99s.append(s.p99) }
            peaks.append(peak)
            latencyNote = "half load (\(Fmt.count(Int(rate / 2))) requests/s = \(Fmt.count(Int(rate / 2) * spansPerRequest)) spans/s, open loop, \(clients) connections): "
                + "\(half.ok) answered 200, \(half.unavailable) 503; p50 \(ms(half.latency.summary?.p50)), p99 \(ms(half.latency.summary?.p99)), max \(ms(half.latency.summary?.max))"
            overloadNote = "2× overload (capacity \(Fmt.count(Int(capacity))) requests/s over 32 connections; \(Fmt.count(Int(capacity * 2))) offered over 128): \(over.ok) answered 200, \(over.unavailable) answered 503, "
                + "\(over.other) other, \(over.failures) failed; server peak RSS \(Fmt.bytes(peak))"
            context.remove(exported)
            context.log("serve: repeat \(rep + 1): \(Fmt.count(Int(serveRate))) records/s served vs \(Fmt.count(Int(ingestRate))) ingested")

            // 5. /v1/events against ingest of the same lines.
            let lines = try eventBodies(context.workload.path, linesPerRequest: 1000)
            let eventsStore = context.newPath("serve-events")
            let eventsServer = try ServerProcess(binary: binary, store: eventsStore, arguments: ["--fsync", "batch"], scratch: eventsStore + "-server")
            let eventsURL = "http://127.0.0.1:\(eventsServer.port)/v1/events"
            let events = OTLPLoad.blocking { await OTLPLoad.closedLoop(url: eventsURL, contentType: "application/x-ndjson", bodies: lines.bodies, clients: clients) }
            eventsServer.stop()
            guard events.ok == lines.bodies.count else {
                throw BenchError("serve: /v1/events: \(events.ok) of \(lines.bodies.count) requests answered 200 (\(events.firstError ?? "?"))")
            }
            eventsRow.seconds.append(events.seconds)
            eventsRow.events = lines.count
            eventsRow.bytes = context.workload.fileBytes
            eventsRow.latency = events.latency.summary
            let eventsIngest = try Subprocess(executable: binary, arguments: ["--dir", context.newPath("serve-events-ingest"), "ingest", "--fsync", "batch", "--quiet"],
                                              stdin: context.workload.path).runChecked("torqlog ingest")
            eventsIngestRow.seconds.append(eventsIngest.seconds)
            eventsIngestRow.events = context.workload.events
            eventsIngestRow.bytes = context.workload.fileBytes
        }
        report.rows = [serveRow, ingestRow, eventsRow, eventsIngestRow]
        let ratio = ratios.sorted()[ratios.count / 2]
        let p99 = p99s.isEmpty ? .nan : p99s.sorted()[p99s.count / 2]
        let peak = peaks.max() ?? 0
        report.goals.append(.init(description: "serve ≥ 50% of torqlog ingest's rate for the same records", met: ratio >= 0.5, actual: String(format: "%.0f%%", ratio * 100)))
        report.goals.append(.init(description: "p99 < 10 ms at half that load", met: p99 < 0.010, actual: ms(p99)))
        report.goals.append(.init(description: "peak RSS < 128 MiB under 2× overload", met: peak < 128 << 20, actual: Fmt.bytes(peak)))
        report.notes.append(latencyNote)
        report.notes.append(overloadNote)
        return report
    }

    private static func ms(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "?" }
        return String(format: "%.2f ms", seconds * 1000)
    }

    private static func countLines(_ path: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// The workload file cut into JSONL bodies of `linesPerRequest` lines.
    private static func eventBodies(_ path: String, linesPerRequest: Int) throws -> (bodies: [[UInt8]], count: Int) {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        var bodies: [[UInt8]] = []
        var current: [UInt8] = []
        var inBody = 0, count = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            current.append(contentsOf: line)
            current.append(0x0A)
            inBody += 1
            count += 1
            if inBody == linesPerRequest {
                bodies.append(current)
                current = []
                inBody = 0
            }
        }
        if !current.isEmpty { bodies.append(current) }
        return (bodies, count)
    }
}
