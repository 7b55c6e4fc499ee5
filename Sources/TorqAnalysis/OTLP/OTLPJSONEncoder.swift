import TorqEvents
import TorqJSON
/// Turns a stream of stored records into OpenTelemetry Protocol JSON lines
/// (the file format of the Collector's `otlpjsonfile` receiver): each line is
/// either one `ExportTraceServiceRequest` (`{"resourceSpans":[…]}`) or one
/// `ExportLogsServiceRequest` (`{"resourceLogs":[…]}`), never both, with at
/// most ``Options/maxSpansPerLine`` spans or ``Options/maxLogsPerLine`` log
/// records.
///
/// What becomes a span and what a log record is ``OTLPItemStream``'s (the
/// same path as `torqlog forward`): the spans `trace` draws, one per span id
/// whether from span records, from records carrying the span id, or both;
/// every record but `span_start`/`span_end` as a log record. Here they are
/// written as JSON:
///
/// - a span: hex `traceId`/`spanId`/`parentSpanId`, `name`, `kind`
///   (INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5),
///   `startTimeUnixNano` / `endTimeUnixNano` as strings, `status` {`code`
///   UNSET 0 / OK 1 / ERROR 2, `message` from `error_message`}, typed
///   attributes (the start's and the end's, `torq.run.id`,
///   `gen_ai.conversation.id`, `error.type`, the markers of
///   ``OTLPItemStream/Marker``), the span events of `attributes.events` and
///   the links of `attributes.links`. A span still open at the end is written
///   with `endTimeUnixNano` equal to its start and `torq.span.open` = true;
/// - a log record: `timeUnixNano` its timestamp, `eventName`
///   `torq.<event_type>`, severity INFO (9), or ERROR (17) when it reports a
///   failure, the stored record itself as the `body` (a `kvlistValue` of
///   every field, content only with ``Options/includeContent``, so that a
///   receiver maps it back to exactly this event), the `traceId`/`spanId` it
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
    private var stream: OTLPItemStream
    private var sequence: UInt64 = 0
    private var spanBatch = Batch()
    private var logBatch = Batch()
    private var lines: [[UInt8]] = []

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
    public var spanCount: Int { stream.spanCount }
    /// Spans written as open (started, never ended).
    public var openSpanCount: Int { stream.openSpanCount }
    /// Log records written so far.
    public var logCount: Int { stream.logCount }

    /// An encoder with `options`.
    public init(options: Options = Options()) {
        self.options = options
        stream = OTLPItemStream(options: .init(includeContent: options.includeContent, serviceName: options.serviceName))
    }

    /// Adds one stored record. Throws, changing nothing, when the record is
    /// not a JSON object with a string `event_type` and an RFC 3339
    /// `timestamp`, has a malformed id, or is a span record without
    /// `span_id` or `trace_id`.
    public mutating func add(json: UnsafeRawBufferPointer) throws(TraceInputError) {
        try stream.add(json: json, sequence: sequence)
        sequence += 1
        take()
    }

    /// Adds one record given as a string; see ``add(json:)``.
    public mutating func add(json: String) throws(TraceInputError) {
        let bytes = Array(json.utf8)
        let parsed = bytes.withUnsafeBytes { buffer in Result { () throws(TraceInputError) in try add(json: buffer) } }
        try parsed.get()
    }

    private mutating func take() {
        for span in stream.takeSpans() {
            spanBatch.add(Self.json(span), service: span.service)
            if spanBatch.count >= options.maxSpansPerLine { flushSpans() }
        }
        for log in stream.takeLogs() {
            logBatch.add(Self.json(log), service: log.service)
            if logBatch.count >= options.maxLogsPerLine { flushLogs() }
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

    /// Writes the spans still held (open ones with end time = start and
    /// `torq.span.open`) and the partial batches; ``takeLines()`` then returns the last lines.
    public mutating func finish() {
        stream.finish()
        take()
        flushSpans()
        flushLogs()
    }

    // MARK: - Spans

    /// A span as OTLP/JSON.
    static func json(_ span: OTLPSpanItem) -> OrderedJSON {
        var fields: [(String, OrderedJSON)] = [
            ("traceId", .string(span.traceID.description)),
            ("spanId", .string(span.spanID.description)),
        ]
        if let parent = span.parentSpanID { fields.append(("parentSpanId", .string(parent.description))) }
        fields.append((OTLPKey.name, .string(span.name)))
        fields.append((OTLPKey.kind, .int(span.kind.otlpValue)))
        fields.append(("startTimeUnixNano", .string(Self.unixNano(span.startTime))))
        fields.append(("endTimeUnixNano", .string(Self.unixNano(span.endTime))))
        fields.append((OTLPKey.attributes, Self.keyValues(span.attributes)))
        if !span.events.isEmpty {
            fields.append(("events", .array(span.events.map { e in
                .object([("timeUnixNano", .string(Self.unixNano(e.timestampNanoseconds))), (OTLPKey.name, .string(e.name)),
                         (OTLPKey.attributes, Self.keyValues(e.attributes))])
            })))
        }
        if !span.links.isEmpty {
            fields.append(("links", .array(span.links.map { link in
                .object([("traceId", .string(link.traceID.description)), ("spanId", .string(link.spanID.description)),
                         (OTLPKey.attributes, keyValues(link.attributes))])
            })))
        }
        var statusFields: [(String, OrderedJSON)] = []
        if let message = span.statusMessage, !message.isEmpty { statusFields.append(("message", .string(message))) }
        statusFields.append(("code", .int(span.status.otlpCode)))
        fields.append((OTLPKey.status, .object(statusFields)))
        return .object(fields)
    }

    private mutating func flushSpans() {
        guard spanBatch.count > 0 else { return }
        lines.append(spanBatch.line(top: "resourceSpans", scopes: "scopeSpans", items: "spans"))
    }

    // MARK: - Logs

    /// A log record as OTLP/JSON.
    static func json(_ log: OTLPLogItem) -> OrderedJSON {
        var fields: [(String, OrderedJSON)] = [
            ("timeUnixNano", .string(Self.unixNano(log.time))),
            ("observedTimeUnixNano", .string(Self.unixNano(log.time))),
            ("severityNumber", .int(log.severityNumber)),
            ("severityText", .string(log.severityText)),
            ("body", Self.anyValue(.object(log.body))),
            (OTLPKey.attributes, Self.keyValues(log.attributes)),
        ]
        if let trace = log.traceID { fields.append(("traceId", .string(trace.description))) }
        if let span = log.spanID { fields.append(("spanId", .string(span.description))) }
        fields.append(("eventName", .string(log.eventName)))
        return .object(fields)
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
