import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqLogStore

/// The read-only JSON API of `torqlog serve` (`GET /api/…`), for the web
/// viewer and for scripts. Every answer is read from the store as it is on
/// disk, by the same readers as the commands (`trace`, `replay`,
/// `telemetry`, `tail -f`), on NIO's blocking thread pool, never on the
/// threads that answer requests:
///
/// - `GET /api/runs?limit=&before=&before_run=&agent=&status=&q=&since=&until=` →
///   `{"runs":[…],"next_before":…,"next_before_run":…}`: the runs, newest first,
///   from the per-segment run summaries (``RunIndex``), never every event;
/// - `GET /api/runs/{id}` → the run's summary (the `run` object of `trace --format json`);
/// - `GET /api/runs/{id}/trace[?format=json|svg|html]` → what `trace --format F`
///   prints (json by default); the HTML page links its style and script
///   (`/assets/trace.css`, `/assets/trace.js`) instead of carrying them inline;
/// - `GET /api/runs/{id}/events` → the run's events, JSONL, byte for byte as stored;
/// - `GET /api/runs/{id}/otlp` → the run as OTLP/JSON lines, as `export --run ID --format otlp-json`
///   prints them (a record the encoder refuses is left out);
/// - `GET /api/summary` → what `telemetry --format json` prints;
/// - `GET /api/timeline?buckets=&since=&until=` → the records and failures over
///   event time, in at most `buckets` (default 60, at most 1,000) buckets of
///   equal width, from the run summaries (``RunIndex/timeline(_:)``), never every event:
///   `{"bucket_seconds":…,"buckets":[{"start":…,"events":…,"errors":…}],"untimed":…}`;
/// - `GET /api/tail?run=&type=` → `text/event-stream`: each event written from
///   now on, one `data:` line of its stored JSON, byte for byte (a comment
///   line every 15 s keeps the connection open); at most ``maxTailStreams``
///   at once.
struct ViewerAPI: Sendable {
    let store: StoreDirectory
    let streams: ByteBudget
    static let maxTailStreams = 16

    init(store: StoreDirectory) {
        self.store = store
        self.streams = ByteBudget(limit: Self.maxTailStreams)
    }

    /// The answer to `GET path`, or nil when `path` is not the API's.
    func respond(path: String, query: [String: String]) async throws -> Response? {
        guard path.hasPrefix("/api/") else { return nil }
        let parts = path.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1 where parts[0] == "summary":
            return try await summary()
        case 1 where parts[0] == "runs":
            return try await runs(query)
        case 1 where parts[0] == "timeline":
            return try await timeline(query)
        case 1 where parts[0] == "store":
            return try await storeFacts()
        case 1 where parts[0] == "compliance":
            return try await compliance()
        case 1 where parts[0] == "tail":
            return tail(run: query["run"], type: query["type"])
        case 2 where parts[0] == "runs":
            return try await run(Self.percentDecoded(parts[1]), .summary)
        case 3 where parts[0] == "runs" && parts[2] == "trace":
            switch query["format"] ?? "json" {
            case "json": return try await run(Self.percentDecoded(parts[1]), .trace)
            case "svg": return try await run(Self.percentDecoded(parts[1]), .svg)
            case "html": return try await run(Self.percentDecoded(parts[1]), .html)
            case let other: return ReceiverResponder.plain(.badRequest, "format must be json, svg or html, not \(other)")
            }
        case 3 where parts[0] == "runs" && parts[2] == "events":
            return try await events(Self.percentDecoded(parts[1]))
        case 3 where parts[0] == "runs" && parts[2] == "otlp":
            return try await otlp(Self.percentDecoded(parts[1]))
        default:
            return ReceiverResponder.plain(.notFound, "no such API endpoint: \(path)")
        }
    }

    /// The time parameter `name` in nanoseconds: `.some(nil)` when absent, nil when not RFC 3339.
    private static func time(_ parameters: [String: String], _ name: String) -> Int64?? {
        guard let text = parameters[name] else { return .some(nil) }
        guard let t = RFC3339.parseNanoseconds(text) else { return nil }
        return .some(t)
    }

    private func runs(_ parameters: [String: String]) async throws -> Response {
        var query = RunQuery()
        func time(_ name: String) -> Int64?? { Self.time(parameters, name) }
        func text(_ name: String) -> String? { parameters[name] }  // the query is decoded already
        if let limit = parameters["limit"] {
            guard let n = Int(limit), n >= 1 else { return ReceiverResponder.plain(.badRequest, "limit must be a positive integer") }
            query.limit = min(n, RunQuery.maxLimit)
        }
        for (name, keyPath) in [("before", \RunQuery.before), ("since", \RunQuery.since), ("until", \RunQuery.until)] {
            guard let t = time(name) else { return ReceiverResponder.plain(.badRequest, "\(name) must be an RFC 3339 time") }
            query[keyPath: keyPath] = t
        }
        query.beforeRun = text("before_run")
        query.agent = text("agent")
        query.status = text(EventField.status.key)  // the parameter is named after the field
        query.text = text("q")
        let store = self.store
        let finalQuery = query
        let body: String = try await NIOThreadPool.singleton.runIfActive {
            RunQuery.json(finalQuery.page(try RunIndex.runs(store)))
        }
        return Self.json(body)
    }

    private enum RunView { case summary, trace, svg, html }

    private func run(_ runID: String?, _ view: RunView) async throws -> Response {
        guard let runID, !runID.isEmpty else { return ReceiverResponder.plain(.badRequest, "a run id is needed") }
        let store = self.store
        let text: String? = try await NIOThreadPool.singleton.runIfActive {
            let reader = try StoreReader(directory: store)
            var builder = TraceBuilder(runID: runID, detail: .full)
            var seen = 0
            try reader.forEach(RecordFilter(runKey: runID)) { record in
                seen += 1
                do throws(TraceInputError) {
                    try builder.add(json: record.payload)
                } catch {
                    builder.noteLeftOut(sequence: record.sequence, error)  // left out, as `trace` does, and said in the warnings
                }
                return true
            }
            guard seen > 0 else { return nil }
            let model = builder.build()
            switch view {
            case .trace: return TraceJSONRenderer().render(model)
            case .summary: return TraceJSONRenderer().runDocument(model).rendered(pretty: false) + "\n"
            case .svg: return TraceSVGRenderer().render(model)
            case .html: return TraceHTMLRenderer(assets: .linked(prefix: "/assets")).render(model)
            }
        }
        guard let text else { return ReceiverResponder.plain(.notFound, "no events for run \(runID)") }
        switch view {
        case .summary, .trace: return Self.json(text)
        case .svg: return ViewerPages.response(contentType: "image/svg+xml", ByteBuffer(string: text), policy: ViewerPages.drawingSecurityPolicy)
        case .html: return ViewerPages.response(contentType: "text/html; charset=utf-8", ByteBuffer(string: text))
        }
    }

    private func events(_ runID: String?) async throws -> Response {
        guard let runID, !runID.isEmpty else { return ReceiverResponder.plain(.badRequest, "a run id is needed") }
        let store = self.store
        let body: [UInt8] = try await NIOThreadPool.singleton.runIfActive {
            var out: [UInt8] = []
            try StoreReader(directory: store).forEach(RecordFilter(runKey: runID)) { record in
                out.append(contentsOf: record.payload)
                out.append(0x0A)
                return true
            }
            return out
        }
        guard !body.isEmpty else { return ReceiverResponder.plain(.notFound, "no events for run \(runID)") }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func otlp(_ runID: String?) async throws -> Response {
        guard let runID, !runID.isEmpty else { return ReceiverResponder.plain(.badRequest, "a run id is needed") }
        let store = self.store
        let body: [UInt8]? = try await NIOThreadPool.singleton.runIfActive {
            var encoder = OTLPJSONEncoder()
            var out: [UInt8] = []
            var seen = 0
            func take() {
                for line in encoder.takeLineBytes() {
                    out.append(contentsOf: line)
                    out.append(0x0A)
                }
            }
            try StoreReader(directory: store).forEach(RecordFilter(runKey: runID)) { record in
                seen += 1
                try? encoder.add(json: record.payload)  // refused records are left out, as `export` does (it also says so on stderr)
                take()
                return true
            }
            encoder.finish()
            take()
            return seen > 0 ? out : nil
        }
        guard let body else { return ReceiverResponder.plain(.notFound, "no events for run \(runID)") }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The store's facts, with the keys of `info --format json`: events, runs,
    /// bytes on disk, first and last event, types, retention, sealed bytes and
    /// their JSONL size, the compression ratio, and the segments.
    static let defaultTimelineBuckets = 60
    static let maxTimelineBuckets = 1_000

    private func timeline(_ parameters: [String: String]) async throws -> Response {
        var count = Self.defaultTimelineBuckets
        if let text = parameters["buckets"] {
            guard let n = Int(text), (1...Self.maxTimelineBuckets).contains(n) else {
                return ReceiverResponder.plain(.badRequest, "buckets must be an integer from 1 to \(Self.maxTimelineBuckets)")
            }
            count = n
        }
        guard let since = Self.time(parameters, "since") else { return ReceiverResponder.plain(.badRequest, "since must be an RFC 3339 time") }
        guard let until = Self.time(parameters, "until") else { return ReceiverResponder.plain(.badRequest, "until must be an RFC 3339 time") }
        let store = self.store
        let limit = count
        let body: String = try await NIOThreadPool.singleton.runIfActive {
            let timeline = try RunIndex.timeline(store)
            let (width, buckets) = timeline.buckets(count: limit, since: since, until: until)
            return OrderedJSON.object([
                ("bucket_seconds", .int(Int(width) * 60)),
                ("buckets", .array(buckets.map { b in
                    .object([
                        ("start", .string(RFC3339.format(nanoseconds: b.startMinute * 60_000_000_000, fractionDigits: 0))),
                        ("events", .int(b.counts.events)),
                        ("errors", .int(b.counts.errors)),
                    ])
                })),
                ("untimed", .int(timeline.untimed)),
            ]).rendered(pretty: false) + "\n"
        }
        return Self.json(body)
    }

    private func storeFacts() async throws -> Response {
        let store = self.store
        let text: String = try await NIOThreadPool.singleton.runIfActive {
            let s = try StoreStatistics(StoreReader(directory: store))
            let retention = try RetentionPolicy.load(store)
            func time(_ ns: Int64?) -> OrderedJSON { ns.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 6)) } ?? .null }
            let ratio: OrderedJSON = s.sealedJSONLBytes > 0 ? .number(Double(s.sealedBytes) / Double(s.sealedJSONLBytes)) : .null
            let segments: [OrderedJSON] = s.segments.map { segment in
                var fields: [(String, OrderedJSON)] = [
                    ("name", .string(segment.name)), ("kind", .string(segment.isSealed ? "sealed" : "wal")), ("active", .bool(segment.isActive)),
                    ("base_sequence", .int(Int(segment.baseSequence))), ("events", .int(segment.records)), ("bytes", .int(Int(segment.bytes))),
                ]
                if segment.isSealed { fields.append(("jsonl_bytes", .int(Int(segment.jsonlBytes)))) }
                return .object(fields)
            }
            return OrderedJSON.object([
                ("directory", .string(store.path)), ("events", .int(s.records)), ("runs", .int(s.runs)),
                ("events_without_run", .int(s.recordsWithoutRun)),
                ("bytes_on_disk", .int(Int(s.bytesOnDisk))), ("payload_bytes", .int(Int(s.payloadBytes))),
                ("first_event_time", time(s.firstTime)), ("last_event_time", time(s.lastTime)),
                ("types", .object(s.types.keys.sorted().map { ($0, .int(s.types[$0] ?? 0)) })),
                ("retention_days", retention?.maxAgeNanoseconds.map { .number(Double($0) / 86_400e9) } ?? .null),
                ("retention_max_bytes", retention?.maxBytes.map { .int(Int($0)) } ?? .null),
                ("sealed_bytes", .int(Int(s.sealedBytes))), ("sealed_jsonl_bytes", .int(Int(s.sealedJSONLBytes))),
                ("compression_ratio", ratio), ("segments", .array(segments)),
            ]).rendered(pretty: false) + "\n"
        }
        return Self.json(text)
    }

    /// What `compliance --format json` prints for the store.
    private func compliance() async throws -> Response {
        let store = self.store
        let text: String = try await NIOThreadPool.singleton.runIfActive {
            try ComplianceScanner(filter: RecordFilter()).scan([.store(store.path)]).json() + "\n"
        }
        return Self.json(text)
    }

    private func summary() async throws -> Response {
        let store = self.store
        let text: String = try await NIOThreadPool.singleton.runIfActive {
            var aggregator = try TelemetryAggregator()
            try StoreReader(directory: store).forEach { record in
                aggregator.add(json: record.payload)
                return true
            }
            return aggregator.summary().json(compliance: nil) + "\n"
        }
        return Self.json(text)
    }

    private func tail(run: String?, type: String?) -> Response {
        guard streams.take(1) else {
            var response = ReceiverResponder.plain(.serviceUnavailable, "\(Self.maxTailStreams) live tails are open already: retry later")
            response.headers[.retryAfter] = "5"
            return response
        }
        var wanted = RecordFilter()
        if let run { wanted.runKey = Array(run.utf8) }
        if let type { wanted.type = Array(type.utf8) }
        let filter = wanted
        let store = self.store
        let streams = self.streams
        let body = ResponseBody { writer in
            defer { streams.give(1) }
            let live = try await NIOThreadPool.singleton.runIfActive {
                LiveBox(try LiveReader(directory: store, from: try StoreReader(directory: store).endPosition()))
            }
            try await writer.write(ByteBuffer(string: ": torqlog tail\n\n"))
            var quiet = 0
            // A graceful shutdown (SIGTERM) ends the stream, so that the server does not wait for it.
            let stopping = StopFlag()
            try await withGracefulShutdownHandler {
                while !Task.isCancelled && !stopping.isSet {
                    // Up to 1,000 events or half a second: the page's buffer is bounded, and so is this one.
                    let batch: [[UInt8]] = try await NIOThreadPool.singleton.runIfActive {
                        var got: [[UInt8]] = []
                        _ = try live.reader.readAvailable(limit: 1000) { record in
                            if filter.matches(record) { got.append(Array(record.payload)) }
                        }
                        if got.isEmpty { _ = live.reader.waitForChange(timeoutMilliseconds: 500) }
                        return got
                    }
                    if batch.isEmpty {
                        quiet += 1
                        if quiet >= 30 {
                            quiet = 0
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        }
                        continue
                    }
                    quiet = 0
                    var buffer = ByteBuffer()
                    for payload in batch {
                        buffer.writeString("data: ")
                        buffer.writeBytes(payload)
                        buffer.writeString("\n\n")
                    }
                    try await writer.write(buffer)
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `%XX` escapes decoded (a run id may hold any character); nil when malformed.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(),
                      let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Set once, read from anywhere.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A live reader handed between the thread pool's threads, one call at a time.
private final class LiveBox: @unchecked Sendable {
    // @unchecked: used by one pool job at a time (the tail's loop awaits each).
    let reader: LiveReader
    init(_ reader: LiveReader) { self.reader = reader }
}
