import TorqEvents
import TorqJSON
/// Turns a stream of stored records into OpenTelemetry Protocol JSON lines
/// (the file format of the Collector's `otlpjsonfile` receiver): each line is
/// either one `ExportTraceServiceRequest` (`{"resourceSpans":[…]}`) or one
/// `ExportLogsServiceRequest` (`{"resourceLogs":[…]}`), never both, with at
/// most ``Options/maxSpansPerLine`` spans or ``Options/maxLogsPerLine`` log
/// records.
///
/// - `span_start` + `span_end` (same `span_id`) become one span: hex
///   `traceId`/`spanId`/`parentSpanId`, `name`, `kind` (INTERNAL 1, SERVER 2,
///   CLIENT 3, PRODUCER 4, CONSUMER 5), `startTimeUnixNano` /
///   `endTimeUnixNano` as strings, `status` {`code` UNSET 0 / OK 1 / ERROR 2,
///   `message` from `error_message`}, typed attributes (the start's and the
///   end's, `torq.run.id`, `gen_ai.conversation.id`, `error.type`), the
///   span events of `attributes.events` and the links of `attributes.links`. A span is written when its end
///   arrives, so memory holds only the spans still open.
/// - A start never ended (still open when the stream ends) is written with
///   `endTimeUnixNano` equal to its start (OTLP requires an end time) and the
///   attribute `torq.span.open` = true. An end without a start gets its start
///   from `duration_ms` (or its end) and `torq.span.start_derived` = true.
/// - Every other record becomes a log record: `timeUnixNano` its timestamp,
///   `eventName` `torq.<event_type>`, severity INFO (9), or ERROR (17) when
///   it reports a failure, the stored record itself as the `body` (a
///   `kvlistValue` of every field, content only with
///   ``Options/includeContent``, so that a receiver maps it back to exactly
///   this event), the `traceId`/`spanId` it
///   carries, and the GenAI attributes of the README's mapping
///   (``GenAIAttributes``).
///
/// The resource's `service.name` is the record's `service_name` or
/// `service.name` field, or its `attributes["service.name"]`, else
/// ``Options/serviceName``; the scope is `torqlog`.
public struct OTLPJSONEncoder {
    /// Batch sizes and content.
    public struct Options: Sendable {
        /// Spans per traces line (at least 1).
        public var maxSpansPerLine: Int
        /// Log records per logs line (at least 1).
        public var maxLogsPerLine: Int
        /// Export content (`user_query` as `gen_ai.input.messages`, routing
        /// `query` as `torq.routing.query`): opt-in, as the conventions say.
        public var includeContent: Bool
        /// `service.name` for records that name no service.
        public var serviceName: String

        /// Options; 512 spans or log records per line, no content, service `torqlog`.
        public init(maxSpansPerLine: Int = 512, maxLogsPerLine: Int = 512, includeContent: Bool = false, serviceName: String = "torqlog") {
            self.maxSpansPerLine = max(maxSpansPerLine, 1)
            self.maxLogsPerLine = max(maxLogsPerLine, 1)
            self.includeContent = includeContent
            self.serviceName = serviceName
        }
    }

    /// The options in force.
    public let options: Options
    private var openSpans: [SpanID: TraceRecord] = [:]
    private var openOrder: [SpanID] = []
    private var spanBatch = Batch()
    private var logBatch = Batch()
    private var lines: [[UInt8]] = []
    private let scanner = TraceRecordScanner(keepAll: true)

    /// Items of one line, already as JSON bytes, grouped by service.
    private struct Batch {
        var services: [String] = []
        var bodies: [String: [UInt8]] = [:]
        var count = 0

        mutating func add(_ item: OrderedJSON, service: String) {
            if bodies[service] == nil {
                services.append(service)
                bodies[service] = []
            }
            if bodies[service]?.isEmpty == false { bodies[service]?.append(UInt8(ascii: ",")) }
            OTLPJSONBytes.write(item, into: &bodies[service, default: []])
            count += 1
        }

        /// `{"<top>":[{"resource":…,"<scopes>":[{"scope":…,"<items>":[…]}]},…]}`, and empties the batch.
        mutating func line(top: String, scopes: String, items: String) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bodies.values.reduce(256) { $0 + $1.count + 160 })
            out.append(contentsOf: "{\"\(top)\":[".utf8)
            for (i, service) in services.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: "{\"resource\":".utf8)
                OTLPJSONBytes.write(OTLPJSONEncoder.resource(service), into: &out)
                out.append(contentsOf: ",\"\(scopes)\":[{\"scope\":{\"\(OTLPKey.name)\":\"torqlog\"},\"\(items)\":[".utf8)
                out.append(contentsOf: bodies[service] ?? [])
                out.append(contentsOf: "]}]}".utf8)
            }
            out.append(contentsOf: "]}".utf8)
            self = Batch()
            return out
        }
    }
    /// Spans written so far (open ones included once ``finish()`` ran).
    public private(set) var spanCount = 0
    /// Spans written as open (started, never ended).
    public private(set) var openSpanCount = 0
    /// Log records written so far.
    public private(set) var logCount = 0

    /// An encoder with `options`.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Adds one stored record. Throws, changing nothing, when the record is
    /// not a JSON object with a string `event_type` and an RFC 3339
    /// `timestamp`, has a malformed id, or is a span record without
    /// `span_id` or `trace_id`.
    public mutating func add(json: UnsafeRawBufferPointer) throws(TraceInputError) {
        if let scanner {
            try add(try scanner.scan(json))
        } else {
            try add(try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// Adds one record given as a string; see ``add(json:)``.
    public mutating func add(json: String) throws(TraceInputError) {
        let bytes = Array(json.utf8)
        let parsed = bytes.withUnsafeBytes { buffer in Result { () throws(TraceInputError) in try add(json: buffer) } }
        try parsed.get()
    }

    private mutating func add(_ record: TraceRecord) throws(TraceInputError) {
        switch record.eventType {
        case "span_start", "span_end":
            guard let id = record.spanID else { throw TraceInputError(field: EventField.spanID.key, "a \(record.eventType) needs a \(EventField.spanID)") }
            guard record.traceID != nil else { throw TraceInputError(field: EventField.traceID.key, "a \(record.eventType) needs a \(EventField.traceID) for OTLP") }
            if record.eventType == "span_start" {
                if openSpans[id] != nil {
                    // A repeated start: the earlier one never ended; write it as open.
                    if let earlier = openSpans[id] { appendSpan(start: earlier, end: nil) }
                    openOrder.removeAll { $0 == id }
                }
                openSpans[id] = record
                openOrder.append(id)
                if openOrder.count > 4 * openSpans.count + 1024 { openOrder = openOrder.filter { openSpans[$0] != nil } }
            } else {
                let start = openSpans.removeValue(forKey: id)
                appendSpan(start: start, end: record)
            }
        default:
            appendLog(record)
        }
    }

    /// The complete lines made since the last call (no newline), in order.
    public mutating func takeLines() -> [String] {
        defer { lines.removeAll(keepingCapacity: true) }
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The complete lines made since the last call, as UTF-8 bytes (no newline): ``takeLines()`` without the conversion.
    public mutating func takeLineBytes() -> [[UInt8]] {
        defer { lines.removeAll(keepingCapacity: true) }
        return lines
    }

    /// Writes the spans still open (end time = start, `torq.span.open`) and
    /// the partial batches; ``takeLines()`` then returns the last lines.
    public mutating func finish() {
        for id in openOrder {
            guard let start = openSpans.removeValue(forKey: id) else { continue }
            appendSpan(start: start, end: nil)
        }
        openOrder.removeAll()
        flushSpans()
        flushLogs()
    }

    // MARK: - Spans

    private mutating func appendSpan(start: TraceRecord?, end: TraceRecord?) {
        guard let any = start ?? end, let traceID = any.traceID, let spanID = any.spanID else { return }
        var attributes = start?.attributes ?? [:]
        for (k, v) in end?.attributes ?? [:] { attributes[k] = v }
        var events: [TraceSpanEvent] = []
        if let raw = attributes["events"], let parsed = TraceBuilder.spanEvents(raw) {
            events = parsed
            attributes["events"] = nil
        }
        var links: [OrderedJSON] = []
        if let raw = attributes["links"], let parsed = Self.links(raw) {
            links = parsed
            attributes["links"] = nil
        }
        let kindText = start?.string(.kind)
        let kind = kindText.flatMap { TraceSpanKind(rawValue: $0.lowercased()) } ?? .internal
        if let kindText, TraceSpanKind(rawValue: kindText.lowercased()) == nil { attributes["torq.span.kind"] = .string(kindText) }
        let startTime: Int64, endTime: Int64
        if let start {
            startTime = start.timestamp
            endTime = end.map { max($0.timestamp, start.timestamp) } ?? start.timestamp
        } else {
            let e = end?.timestamp ?? 0
            startTime = e - (end?.durationMs.map(TraceBuilder.nanoseconds) ?? 0)
            endTime = e
            attributes["torq.span.start_derived"] = .bool(true)
        }
        var status = TraceSpanStatus.unset
        var message: String?
        if let end {
            status = end.string(.status).flatMap { TraceSpanStatus(rawValue: $0.lowercased()) } ?? .unset
            message = end.string(.errorMessage)
            if let message, status == .error { attributes["error.type"] = .string(message) }
        } else {
            attributes["torq.span.open"] = .bool(true)
            openSpanCount += 1
        }
        if let run = any.runID { attributes["torq.run.id"] = .string(run) }
        if let session = any.sessionID { attributes["gen_ai.conversation.id"] = .string(session) }

        var fields: [(String, OrderedJSON)] = [
            ("traceId", .string(traceID.description)),
            ("spanId", .string(spanID.description)),
        ]
        if let parent = start?.parentSpanID ?? end?.parentSpanID { fields.append(("parentSpanId", .string(parent.description))) }
        fields.append((OTLPKey.name, .string(start?.string(.name) ?? end?.string(.name) ?? "span \(spanID)")))
        fields.append((OTLPKey.kind, .int(kind.otlpValue)))
        fields.append(("startTimeUnixNano", .string(Self.unixNano(startTime))))
        fields.append(("endTimeUnixNano", .string(Self.unixNano(endTime))))
        fields.append((OTLPKey.attributes, Self.keyValues(attributes)))
        if !events.isEmpty {
            fields.append(("events", .array(events.map { e in
                .object([("timeUnixNano", .string(Self.unixNano(e.timestampNanoseconds))), (OTLPKey.name, .string(e.name)),
                         (OTLPKey.attributes, Self.keyValues(e.attributes))])
            })))
        }
        if !links.isEmpty { fields.append(("links", .array(links))) }
        var statusFields: [(String, OrderedJSON)] = []
        if let message, !message.isEmpty { statusFields.append(("message", .string(message))) }
        statusFields.append(("code", .int(status.otlpCode)))
        fields.append((OTLPKey.status, .object(statusFields)))
        spanBatch.add(.object(fields), service: Self.service(start ?? any, default: options.serviceName))
        spanCount += 1
        if spanBatch.count >= options.maxSpansPerLine { flushSpans() }
    }

    private mutating func flushSpans() {
        guard spanBatch.count > 0 else { return }
        lines.append(spanBatch.line(top: "resourceSpans", scopes: "scopeSpans", items: "spans"))
    }

    /// OTLP span links from `attributes.links` (`[{trace_id, span_id, attributes}]`, as the tracer writes
    /// them); nil when it is not exactly that, and the attribute is then kept as it is.
    static func links(_ value: TelemetryValue) -> [OrderedJSON]? {
        guard case .array(let items) = value else { return nil }
        var out: [OrderedJSON] = []
        for item in items {
            guard case .object(let o) = item, case .string(let t)? = o[EventField.traceID.key], let trace = TraceID(hex: t),
                  case .string(let s)? = o[EventField.spanID.key], let span = SpanID(hex: s) else { return nil }
            var attributes: [String: TelemetryValue] = [:]
            switch o[EventField.attributes.key] {
            case nil, .null?: break
            case .object(let a)?: attributes = a
            default: return nil
            }
            out.append(.object([("traceId", .string(trace.description)), ("spanId", .string(span.description)),
                                (OTLPKey.attributes, keyValues(attributes))]))
        }
        return out
    }

    // MARK: - Logs

    private mutating func appendLog(_ record: TraceRecord) {
        let failure = record.isFailure
        var fields: [(String, OrderedJSON)] = [
            ("timeUnixNano", .string(Self.unixNano(record.timestamp))),
            ("observedTimeUnixNano", .string(Self.unixNano(record.timestamp))),
            ("severityNumber", .int(failure ? 17 : 9)),
            ("severityText", .string(failure ? "ERROR" : "INFO")),
            ("body", Self.anyValue(.object(Self.storedEvent(record, includeContent: options.includeContent)))),
            (OTLPKey.attributes, Self.keyValues(GenAIAttributes.attributes(of: record, includeContent: options.includeContent))),
        ]
        if let trace = record.traceID { fields.append(("traceId", .string(trace.description))) }
        if let span = record.spanID { fields.append(("spanId", .string(span.description))) }
        fields.append(("eventName", .string("torq." + record.eventType)))
        logBatch.add(.object(fields), service: Self.service(record, default: options.serviceName))
        logCount += 1
        if logBatch.count >= options.maxLogsPerLine { flushLogs() }
    }

    /// The stored record itself, for a log record's body: every field, with
    /// their JSON types (the receiver maps it back to exactly this event); the
    /// content fields (`user_query`, routing `query`) only when `includeContent`.
    static func storedEvent(_ record: TraceRecord, includeContent: Bool) -> [String: TelemetryValue] {
        var out: [String: TelemetryValue] = [:]
        for (key, value) in record.fields {
            if !includeContent, let field = EventField(key: key), Self.isContent(field, of: record.eventType) { continue }
            out[key] = value
        }
        if let id = record.eventID { out[EventField.eventID.key] = .string(id) }
        out[EventField.eventType.key] = .string(record.eventType)
        let ns = record.timestamp
        out[EventField.timestamp.key] = .string(RFC3339.format(nanoseconds: ns, fractionDigits: ns % 1000 == 0 ? 6 : 9))
        if let session = record.sessionID { out[EventField.sessionID.key] = .string(session) }
        if let run = record.runID { out[EventField.runID.key] = .string(run) }
        if let trace = record.traceID { out[EventField.traceID.key] = .string(trace.description) }
        if let span = record.spanID { out[EventField.spanID.key] = .string(span.description) }
        if let parent = record.parentSpanID { out[EventField.parentSpanID.key] = .string(parent.description) }
        if !record.attributes.isEmpty { out[EventField.attributes.key] = .object(record.attributes) }
        return out
    }

    /// Whether `field` of an event of `type` is content (exported only on request).
    static func isContent(_ field: EventField, of type: String) -> Bool {
        (field == .userQuery && type == EventType.agentRun.rawValue) || (field == .query && type == EventType.routingDecision.rawValue)
    }

    private mutating func flushLogs() {
        guard logBatch.count > 0 else { return }
        lines.append(logBatch.line(top: "resourceLogs", scopes: "scopeLogs", items: "logRecords"))
    }

    // MARK: - Values

    static func resource(_ service: String) -> OrderedJSON {
        .object([(OTLPKey.attributes, keyValues(["service.name": .string(service)]))])
    }

    /// The service a record names: `service_name` or `service.name`, else `attributes["service.name"]`.
    static func service(_ record: TraceRecord, default fallback: String) -> String {
        for key in ["service_name", "service.name"] { if let s = record.string(key), !s.isEmpty { return s } }
        if case .string(let s)? = record.attributes["service.name"], !s.isEmpty { return s }
        return fallback
    }

    /// Nanoseconds since the epoch as OTLP's decimal string (never negative: fixed64).
    static func unixNano(_ ns: Int64) -> String { String(max(ns, 0)) }

    /// A `KeyValue` list, keys sorted.
    static func keyValues(_ attributes: [String: TelemetryValue]) -> OrderedJSON {
        .array(attributes.keys.sorted().map { key in
            .object([("key", .string(key)), ("value", anyValue(attributes[key] ?? .null))])
        })
    }

    /// An `AnyValue`: `stringValue`, `boolValue`, `intValue` (a string),
    /// `doubleValue`, `arrayValue`, `kvlistValue`; null is the empty value.
    static func anyValue(_ value: TelemetryValue) -> OrderedJSON {
        switch value {
        case .null: return .object([])
        case .bool(let b): return .object([("boolValue", .bool(b))])
        case .int(let i): return .object([("intValue", .string(String(i)))])
        case .double(let d): return d.isFinite ? .object([("doubleValue", .number(d))]) : .object([])
        case .string(let s): return .object([("stringValue", .string(s))])
        case .array(let a): return .object([("arrayValue", .object([("values", .array(a.map(anyValue)))]))])
        case .object(let o): return .object([("kvlistValue", .object([("values", keyValues(o))]))])
        }
    }
}
