import TorqLogStore
import TorqJSON
import TorqEvents

/// Writes a ``TraceModel`` as one JSON document (pretty-printed, keys in a
/// fixed order):
///
/// - `run`: `run_id`, `session_ids`, `trace_ids`, `start`, `end` (RFC 3339),
///   `duration_ms`, `records`, `event_counts`, `tokens` {`input`, `output`,
///   `total`}, `tools_used`, `errors` [{`span_id`, `event_type`, `subject`,
///   `message`, `timestamp`}], `spans`, `open_spans`;
/// - `critical_path`: the span ids from the root down;
/// - `spans`: depth-first, each with `span_id`, `parent_span_id` (null for a
///   root), `trace_id`, `depth`, `name`, `kind`, `source` (`span`, `event`,
///   `unrecorded`), `event_type` (event leaves), `start`, `end` (null while
///   open), `start_unix_nano`, `end_unix_nano` (strings), `duration_ms` (null
///   while open), `open`, `start_derived`, `status`, `error_message`,
///   `critical`, `attributes`, `events` [{`name`, `source`, `timestamp`,
///   `event_id`, `duration_ms`, `failure`, `attributes`}];
/// - `unattached_events`: records in no span, like `events`;
/// - `warnings`.
public struct TraceJSONRenderer: Sendable {
    /// A renderer.
    public init() {}

    /// The document, ending with a newline.
    public func render(_ model: TraceModel) -> String {
        document(model).rendered(pretty: true) + "\n"
    }

    /// The run's summary: the `run` object of the document (`GET /api/runs/{id}`).
    package func runDocument(_ model: TraceModel) -> OrderedJSON {
        let s = model.summary
        func time(_ ns: Int64?) -> OrderedJSON { ns.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 9)) } ?? .null }
        func optional(_ v: String?) -> OrderedJSON { v.map(OrderedJSON.string) ?? .null }
        let errors: [OrderedJSON] = s.failures.map { f in
            .object([
                (EventField.spanID.key, optional(f.spanIndex.map { model.spans[$0].spanID.description })),
                (EventField.eventType.key, .string(f.eventType)), ("subject", .string(f.subject)), ("message", .string(f.message)),
                (EventField.timestamp.key, time(f.timestampNanoseconds)),
            ])
        }
        return .object([
            (EventField.runID.key, optional(s.runID)),
            ("session_ids", .array(s.sessionIDs.map(OrderedJSON.string))),
            ("trace_ids", .array(s.traceIDs.map { .string($0.description) })),
            ("start", time(s.startNanoseconds)), ("end", time(s.endNanoseconds)),
            (EventField.durationMs.key, .number(s.durationMs)),
            ("records", .int(s.recordCount)),
            ("event_counts", .object(s.eventCounts.keys.sorted().map { ($0, .int(s.eventCounts[$0] ?? 0)) })),
            ("tokens", .object([("input", .int(s.inputTokens)), ("output", .int(s.outputTokens)), ("total", .int(s.totalTokens))])),
            (EventField.toolsUsed.key, .array(s.toolsUsed.map(OrderedJSON.string))),
            ("errors", .array(errors)),
            ("spans", .int(s.spanCount)), ("open_spans", .int(s.openSpanCount)),
        ])
    }

    func document(_ model: TraceModel) -> OrderedJSON {
        func time(_ ns: Int64?) -> OrderedJSON { ns.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 9)) } ?? .null }
        func optional(_ v: String?) -> OrderedJSON { v.map(OrderedJSON.string) ?? .null }
        let run = runDocument(model)
        let spans: [OrderedJSON] = model.spans.map { span in
            .object([
                (EventField.spanID.key, .string(span.spanID.description)),
                (EventField.parentSpanID.key, optional(span.parentSpanID?.description)),
                (EventField.traceID.key, optional(span.traceID?.description)),
                ("depth", .int(span.depth)),
                (EventField.name.key, .string(span.name)),
                (EventField.kind.key, .string(span.kind.rawValue)),
                ("source", .string(span.source.rawValue)),
                (EventField.eventType.key, optional(span.eventType)),
                ("start", time(span.startNanoseconds)), ("end", time(span.endNanoseconds)),
                ("start_unix_nano", .string(String(span.startNanoseconds))),
                ("end_unix_nano", optional(span.endNanoseconds.map { String($0) })),
                (EventField.durationMs.key, span.durationMs.map(OrderedJSON.number) ?? .null),
                ("open", .bool(span.isOpen)),
                ("start_derived", .bool(!span.hasRecordedStart)),
                (EventField.status.key, .string(span.status.rawValue)),
                (EventField.errorMessage.key, optional(span.errorMessage)),
                ("critical", .bool(span.isOnCriticalPath)),
                (EventField.attributes.key, TraceText.json(.object(span.attributes))),
                ("events", .array(span.events.map { event($0, time) })),
            ])
        }
        return .object([
            ("run", run),
            ("critical_path", .array(model.criticalPath.map { .string(model.spans[$0].spanID.description) })),
            ("spans", .array(spans)),
            ("unattached_events", .array(model.unattachedEvents.map { event($0, time) })),
            ("warnings", .array(model.warnings.map(OrderedJSON.string))),
        ])
    }

    private func event(_ e: TraceSpanEvent, _ time: (Int64?) -> OrderedJSON) -> OrderedJSON {
        .object([
            (EventField.name.key, .string(e.name)), ("source", .string(e.source.rawValue)), (EventField.timestamp.key, time(e.timestampNanoseconds)),
            (EventField.eventID.key, e.eventID.map(OrderedJSON.string) ?? .null),
            (EventField.durationMs.key, e.durationMs.map(OrderedJSON.number) ?? .null),
            ("failure", .bool(e.isFailure)),
            (EventField.attributes.key, TraceText.json(.object(e.attributes))),
        ])
    }
}
