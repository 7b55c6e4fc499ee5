import TorqEvents
import TorqJSON

/// Stored records in, OTLP spans and log records out: the one path behind
/// `export --format otlp-json` and `torqlog forward`, whatever the encoding.
///
/// - **Spans** are the spans `trace` draws (``SpanAssembler``, built by
///   ``TraceBuilder``'s span makers): one per span id, whether it comes from
///   `span_start`/`span_end` records, from other records that carry the span
///   id, or both. A span is written when it ends; one still open when the
///   stream ends (or, following a store, once it has been open
///   ``release(now:minimumAge:)``'s age) is written with its end equal to its
///   start and `torq.span.open` = true, and written again once it ends. An
///   end without a start gets its start from `duration_ms` and
///   `torq.span.start_derived` = true. A span from records without a
///   `trace_id` cannot be written (OTLP requires one) and is counted in
///   ``spansWithoutTrace``. A parent named by `parent_span_id` of which
///   nothing was recorded is not invented.
/// - **Log records**: every record other than `span_start`/`span_end`, with
///   the stored record itself as its body and the GenAI attributes.
/// - **Markers** for receivers that store records (ours): each span carries the
///   event ids of its own `span_start` and `span_end`
///   (``Marker/startEventID``, ``Marker/endEventID``). When spans and log
///   records travel together, a span that other records name lists their ids
///   (``Marker/eventIDs``): those records travel as log records, so a
///   receiver derives no typed event from the span; and a span made from
///   records alone (``Marker/derived``) is rebuilt by the receiver from those
///   records, so it stores nothing for the span itself. `telemetry` on the
///   far side then counts each event once.
///
/// Each item carries its ``OTLPSpanItem/hold``: the lowest store sequence
/// it answers for.
package struct OTLPItemStream {
    /// What is written.
    package struct Options: Sendable {
        /// Content (`user_query`, routing `query`): opt-in, as the conventions say.
        package var includeContent: Bool
        /// `service.name` for records that name no service.
        package var serviceName: String
        /// Write spans.
        package var traces: Bool
        /// Write log records.
        package var logs: Bool
        /// Leaves (spans from records alone) held while more records may name them.
        package var leafHold: Int

        package init(includeContent: Bool = false, serviceName: String = "torqlog", traces: Bool = true, logs: Bool = true,
                     leafHold: Int = 100_000) {
            self.includeContent = includeContent
            self.serviceName = serviceName
            self.traces = traces
            self.logs = logs
            self.leafHold = leafHold
        }
    }

    /// The attributes torqlog adds to spans (OpenTelemetry has no place for these facts).
    package enum Marker {
        /// true: the span had not ended when written; its end time is its start.
        package static let open = "torq.span.open"
        /// true: no `span_start` was seen; the start is the end minus `duration_ms`.
        package static let startDerived = "torq.span.start_derived"
        /// `event`: the span was made from records that carry its span id, not from span records.
        package static let derived = "torq.span.derived"
        /// The ids of the records naming this span that travel as log records alongside it.
        package static let eventIDs = "torq.event.ids"
        /// `event_id` of the span's `span_start`.
        package static let startEventID = "torq.span.start_event_id"
        /// `event_id` of the span's `span_end`.
        package static let endEventID = "torq.span.end_event_id"
        /// The span's `kind` as recorded, when it is none of OpenTelemetry's.
        package static let kind = "torq.span.kind"
    }

    package let options: Options
    private var assembler: SpanAssembler
    private let scanner = TraceRecordScanner(keepAll: true)
    /// Spans ready, in order.
    package private(set) var spans: [OTLPSpanItem] = []
    /// Log records ready, in order.
    package private(set) var logs: [OTLPLogItem] = []
    /// Spans written (open ones included).
    package private(set) var spanCount = 0
    /// Spans written open.
    package private(set) var openSpanCount = 0
    /// Log records written.
    package private(set) var logCount = 0
    /// Spans not written for want of a `trace_id`.
    package private(set) var spansWithoutTrace = 0

    package init(options: Options = Options()) {
        self.options = options
        assembler = SpanAssembler(leafHold: options.leafHold)
    }

    /// Whether spans list the records that travel alongside as log records.
    private var marked: Bool { options.traces && options.logs }

    /// The lowest store sequence held by a span not written yet.
    package var lowestHold: UInt64? { assembler.lowestHold }

    /// Spans open now (started, not ended).
    package var openSpans: Int { assembler.openCount }

    /// Adds the stored record at `sequence`, seen at `now` (monotonic
    /// nanoseconds, for ``release(now:minimumAge:)``). Throws, changing
    /// nothing, when the record is not a JSON object with a string
    /// `event_type` and an RFC 3339 `timestamp`, has a malformed id, or is a
    /// span record without `span_id` or `trace_id`.
    package mutating func add(json: UnsafeRawBufferPointer, sequence: UInt64, now: Int64 = 0) throws(TraceInputError) {
        let record: TraceRecord
        if let scanner {
            record = try scanner.scan(json)
        } else {
            record = try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self))
        }
        if record.eventType == "span_start" || record.eventType == "span_end" {
            guard record.spanID != nil else { throw TraceInputError(field: EventField.spanID.key, "a \(record.eventType) needs a \(EventField.spanID)") }
            guard record.traceID != nil else { throw TraceInputError(field: EventField.traceID.key, "a \(record.eventType) needs a \(EventField.traceID) for OTLP") }
            if options.traces { assembler.add(record, sequence: sequence, now: now) }
        } else {
            if options.logs {
                logs.append(logItem(record, sequence: sequence))
                logCount += 1
            }
            if options.traces, record.spanID != nil { assembler.add(record, sequence: sequence, now: now) }
        }
        drain()
    }

    /// Writes the leaves and the open spans seen at least `minimumAge` before `now` (see ``SpanAssembler/release(now:minimumAge:)``).
    package mutating func release(now: Int64, minimumAge: Int64) {
        assembler.release(now: now, minimumAge: minimumAge)
        drain()
    }

    /// Writes every span still held: leaves, and open spans as open.
    package mutating func finish() {
        assembler.finish()
        drain()
    }

    /// The spans ready since the last call.
    package mutating func takeSpans() -> [OTLPSpanItem] {
        defer { spans.removeAll(keepingCapacity: true) }
        return spans
    }

    /// The log records ready since the last call.
    package mutating func takeLogs() -> [OTLPLogItem] {
        defer { logs.removeAll(keepingCapacity: true) }
        return logs
    }

    private mutating func drain() {
        for assembled in assembler.takeReady() {
            guard let item = spanItem(assembled) else {
                spansWithoutTrace += 1
                continue
            }
            spans.append(item)
            spanCount += 1
            if item.isOpen { openSpanCount += 1 }
        }
    }

    // MARK: - Spans

    private func spanItem(_ a: SpanAssembler.Assembled) -> OTLPSpanItem? {
        let s = a.span
        guard let traceID = s.traceID else { return nil }
        var attributes: [String: TelemetryValue]
        var links: [OTLPSpanItem.Link] = []
        if s.source == .event {
            attributes = GenAIAttributes.attributes(of: a.first, includeContent: options.includeContent)
            attributes[OTelMapping.commonAttribute(.eventID)] = nil
            attributes[Marker.derived] = .string(TraceSpan.Source.event.rawValue)
        } else {
            attributes = s.attributes
            if let raw = attributes["links"], let parsed = Self.links(raw) {
                links = parsed
                attributes["links"] = nil
            }
            if a.first.eventType == "span_start", let kind = a.first.string(.kind), TraceSpanKind(rawValue: kind.lowercased()) == nil {
                attributes[Marker.kind] = .string(kind)
            }
            if !s.hasRecordedStart { attributes[Marker.startDerived] = .bool(true) }
        }
        let start = s.startNanoseconds
        let end = s.endNanoseconds.map { max($0, start) } ?? start
        if s.isOpen { attributes[Marker.open] = .bool(true) }
        if s.status == .error, let message = s.errorMessage, s.source != .event { attributes["error.type"] = .string(message) }
        if let run = a.first.runID { attributes[OTelMapping.commonAttribute(.runID)] = .string(run) }
        if let session = a.first.sessionID { attributes[OTelMapping.commonAttribute(.sessionID)] = .string(session) }
        if let id = a.startEventID { attributes[Marker.startEventID] = .string(id) }
        if let id = a.endEventID { attributes[Marker.endEventID] = .string(id) }
        if marked, s.source == .event || !a.eventIDs.isEmpty {
            attributes[Marker.eventIDs] = .array(a.eventIDs.map { .string($0) })
        }
        return OTLPSpanItem(
            traceID: traceID, spanID: s.spanID, parentSpanID: s.parentSpanID, name: s.name, kind: s.kind, startTime: start,
            endTime: end, attributes: attributes, events: s.events, links: links, status: s.status,
            statusMessage: s.errorMessage, service: Self.service(a.first, default: options.serviceName), hold: a.hold,
            isOpen: s.isOpen)
    }

    /// Span links from `attributes.links` (`[{trace_id, span_id, attributes}]`, as the tracer writes
    /// them); nil when it is not exactly that, and the attribute is then kept as it is.
    static func links(_ value: TelemetryValue) -> [OTLPSpanItem.Link]? {
        guard case .array(let items) = value else { return nil }
        var out: [OTLPSpanItem.Link] = []
        for item in items {
            guard case .object(let o) = item, case .string(let t)? = o[EventField.traceID.key], let trace = TraceID(hex: t),
                  case .string(let s)? = o[EventField.spanID.key], let span = SpanID(hex: s) else { return nil }
            var attributes: [String: TelemetryValue] = [:]
            switch o[EventField.attributes.key] {
            case nil, .null?: break
            case .object(let a)?: attributes = a
            default: return nil
            }
            out.append(.init(traceID: trace, spanID: span, attributes: attributes))
        }
        return out
    }

    // MARK: - Logs

    private func logItem(_ record: TraceRecord, sequence: UInt64) -> OTLPLogItem {
        let failure = record.isFailure
        return OTLPLogItem(
            time: record.timestamp, severityNumber: failure ? 17 : 9, severityText: failure ? "ERROR" : "INFO",
            body: OTLPJSONEncoder.storedEvent(record, includeContent: options.includeContent),
            attributes: GenAIAttributes.attributes(of: record, includeContent: options.includeContent),
            traceID: record.traceID, spanID: record.spanID, eventName: "torq." + record.eventType,
            service: Self.service(record, default: options.serviceName), hold: sequence)
    }

    /// The service a record names: `service_name` or `service.name`, else `attributes["service.name"]`.
    static func service(_ record: TraceRecord, default fallback: String) -> String {
        for key in ["service_name", "service.name"] { if let s = record.string(key), !s.isEmpty { return s } }
        if case .string(let s)? = record.attributes["service.name"], !s.isEmpty { return s }
        return fallback
    }
}
