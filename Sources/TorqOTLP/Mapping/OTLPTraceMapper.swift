import Foundation
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqOTLPProto

/// Maps an OTLP traces request into store records, each span the way
/// `TorqTracer` records one, so that `trace`, `replay`, `export`, `tail` and
/// the OTLP export work on them unchanged:
///
/// - `span_start` at the start time: name, kind, trace, span and parent ids
///   (written the first time the span is seen, ``MappedItem/firstSight``);
/// - for a closed span (`end_time_unix_nano` ≠ 0), ``MappedItem/onClose``:
///   `span_end` at the end time (name, status `ok`/`error`/`unset`,
///   `duration_ms`, `error_message`, and `attributes` holding the span's
///   attributes, its events as `events` `[{name, timestamp, attributes}]` and
///   its links as `links` `[{trace_id, span_id, attributes}]`), then the typed
///   event of a GenAI span (``GenAICall``, ``GenAIEventBuilder``);
/// - an open span's `span_start` carries its attributes (there is no end to
///   carry them); a closed span's attributes are on its `span_end` only.
///
/// `run_id` is the span's `torq.run.id` (or `torq.run_id`), else its trace id
/// in hex; `session_id` its `gen_ai.conversation.id` (or `session.id`), else
/// the run id. Every record carries the resource and scope (``OTLPContext``).
/// A span with an invalid trace or span id, a parent id of the wrong length,
/// or an end before its start is rejected, with its position.
///
/// Spans written by torqlog (`export --format otlp-json`, `torqlog forward`)
/// carry markers (``TorqSpanMarkers``) so that store → OTLP → store keeps
/// each record once: a span marked open is stored as open; one whose start
/// was derived gets no `span_start`; the event ids of its `span_start` and
/// `span_end` are kept; a span whose records travel as log records gives no
/// typed event, and one made from those records alone stores nothing.
package struct OTLPTraceMapper: Sendable {
    package init() {}

    package func map(_ request: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest) -> MappedRequest {
        var out = MappedRequest()
        var rejections = RejectionLog()
        for (r, resourceSpans) in request.resourceSpans.enumerated() {
            for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
                let context = OTLPContext(resource: resourceSpans.resource, scope: scopeSpans.scope)
                for (k, span) in scopeSpans.spans.enumerated() {
                    switch Self.map(span, context: context) {
                    case .success(let item): out.items.append(item)
                    case .failure(let problem): rejections.reject("resourceSpans[\(r)].scopeSpans[\(s)].spans[\(k)]", problem.reason)
                    }
                }
            }
        }
        rejections.apply(to: &out)
        return out
    }

    /// Why an item was rejected.
    struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static let eventsKey = "events"
    static let linksKey = "links"
    static let exceptionEvent = "exception"
    static let exceptionMessageKey = "exception.message"

    /// One span's item.
    static func map(_ span: Opentelemetry_Proto_Trace_V1_Span, context: OTLPContext) -> Result<MappedItem, Problem> {
        if let problem = OTLPValues.traceIDProblem(span.traceID, field: OTLPProtoField.traceID) { return .failure(Problem(problem)) }
        if let problem = OTLPValues.spanIDProblem(span.spanID, field: OTLPProtoField.spanID) { return .failure(Problem(problem)) }
        if !span.parentSpanID.isEmpty, span.parentSpanID.count != 8 {
            return .failure(Problem("\(OTLPProtoField.parentSpanID) is \(span.parentSpanID.count) bytes, expected 0 or 8"))
        }
        guard let traceID = OTLPValues.traceID(span.traceID), let spanID = OTLPValues.spanID(span.spanID) else {
            return .failure(Problem("invalid ids"))
        }
        let parentSpanID = OTLPValues.spanID(span.parentSpanID)  // all zero: no parent
        guard span.startTimeUnixNano != 0 else { return .failure(Problem("start_time_unix_nano is 0")) }
        guard let start = OTLPValues.nanoseconds(span.startTimeUnixNano), let end = OTLPValues.nanoseconds(span.endTimeUnixNano) else {
            return .failure(Problem("a time is beyond the year 2262"))
        }
        var ids = AttributeReader(OTLPValues.object(span.attributes), type: nil)
        let runID = ids.string(.runID) ?? traceID.description
        let sessionID = ids.string(.sessionID) ?? runID
        var attributes = ids.remaining
        let markers = TorqSpanMarkers(taking: &attributes)
        let isClosed = end != 0 && !markers.open
        if isClosed, end < start { return .failure(Problem("end_time_unix_nano is before start_time_unix_nano")) }

        let key = ItemKey.span(traceID: traceID, spanID: spanID)
        // A span torqlog made from records that travel alongside as log records: those records rebuild it here.
        if markers.derivedFromLoggedRecords {
            return .success(MappedItem(key: key, isClosed: isClosed, firstSight: [], onClose: []))
        }
        func header(_ role: ItemKey.RecordRole, _ time: Int64, _ attributes: [String: TelemetryValue]) -> EventHeader {
            let given = role == .spanStart ? markers.startEventID : role == .spanEnd ? markers.endEventID : nil
            return EventHeader(eventID: given ?? key.eventID(role), timestamp: time, sessionID: sessionID, runID: runID, attributes: attributes)
        }

        let startEvent = SpanStartEvent(
            header: header(.spanStart, start, isClosed ? context.brief : context.adding(to: attributes)),
            traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, name: span.name, kind: markers.kind ?? kindName(span.kind))
        // An end whose start was not seen where the span was recorded: the start is not invented here either.
        let firstSight = markers.startDerived ? [] : [MappedRecord(.spanStart(startEvent))]
        guard isClosed else {
            return .success(MappedItem(key: key, isClosed: false, firstSight: firstSight, onClose: []))
        }

        let failed = span.status.code == .error
        var errorMessage: String?
        if failed {
            let exception = span.events.last { $0.name == exceptionEvent }
                .flatMap { OTLPValues.object($0.attributes)[exceptionMessageKey] }
            if !span.status.message.isEmpty {
                errorMessage = span.status.message
            } else if case .string(let message)? = exception {
                errorMessage = message
            } else {
                errorMessage = "error"
            }
        }
        let durationMs = Double(end - start) / 1_000_000
        var endAttributes = attributes
        if !span.events.isEmpty { endAttributes[eventsKey] = .array(span.events.map(spanEvent)) }
        if !span.links.isEmpty { endAttributes[linksKey] = .array(span.links.map(link)) }
        let endEvent = SpanEndEvent(
            header: header(.spanEnd, end, context.adding(to: endAttributes)), traceID: traceID, spanID: spanID,
            parentSpanID: parentSpanID, name: span.name, status: statusName(span.status.code), durationMs: durationMs,
            errorMessage: errorMessage)
        var onClose = [MappedRecord(.spanEnd(endEvent))]
        // The records naming this span travel as log records: the typed event is among them.
        if !markers.recordsTravelAsLogs, let call = GenAICall(attributes) {
            var typedHeader = header(.typedEvent, end, [:])
            typedHeader.traceID = traceID
            typedHeader.spanID = spanID
            typedHeader.parentSpanID = parentSpanID
            let builder = GenAIEventBuilder(
                call: call, attributes: attributes, context: context, header: typedHeader, name: span.name,
                durationMs: durationMs, failed: failed, errorMessage: errorMessage)
            onClose.append(MappedRecord(builder.build()))
        }
        return .success(MappedItem(key: key, isClosed: true, firstSight: firstSight, onClose: onClose))
    }

    /// `{name, timestamp (RFC 3339), attributes}`, as the tracer writes a span event.
    static func spanEvent(_ event: Opentelemetry_Proto_Trace_V1_Span.Event) -> TelemetryValue {
        let time = OTLPValues.nanoseconds(event.timeUnixNano) ?? Int64.max
        return .object([
            EventField.name.key: .string(event.name),
            EventField.timestamp.key: .string(OTLPValues.timestamp(time)),
            EventField.attributes.key: .object(OTLPValues.object(event.attributes)),
        ])
    }

    /// `{trace_id, span_id, attributes}`, as the tracer writes a link (ids in hex as given).
    static func link(_ link: Opentelemetry_Proto_Trace_V1_Span.Link) -> TelemetryValue {
        .object([
            EventField.traceID.key: .string(OTLPValues.hex(link.traceID)),
            EventField.spanID.key: .string(OTLPValues.hex(link.spanID)),
            EventField.attributes.key: .object(OTLPValues.object(link.attributes)),
        ])
    }

    /// The tracer's `kind`; nil when unspecified.
    static func kindName(_ kind: Opentelemetry_Proto_Trace_V1_Span.SpanKind) -> String? {
        switch kind {
        case .internal: "internal"
        case .server: "server"
        case .client: "client"
        case .producer: "producer"
        case .consumer: "consumer"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }

    /// The tracer's `status`: `ok`, `error` or `unset`.
    static func statusName(_ code: Opentelemetry_Proto_Trace_V1_Status.StatusCode) -> String {
        switch code {
        case .ok: "ok"
        case .error: "error"
        case .unset, .UNRECOGNIZED: "unset"
        }
    }
}
