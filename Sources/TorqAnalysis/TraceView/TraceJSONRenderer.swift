import TorqLogStore
import TorqJSON

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

    func document(_ model: TraceModel) -> OrderedJSON {
        let s = model.summary
        func time(_ ns: Int64?) -> OrderedJSON { ns.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 9)) } ?? .null }
        func optional(_ v: String?) -> OrderedJSON { v.map(OrderedJSON.string) ?? .null }
        let errors: [OrderedJSON] = s.failures.map { f in
            .object([
                ("span_id", optional(f.spanIndex.map { model.spans[$0].spanID.description })),
                ("event_type", .string(f.eventType)), ("subject", .string(f.subject)), ("message", .string(f.message)),
                ("timestamp", time(f.timestampNanoseconds)),
            ])
        }
        let run: OrderedJSON = .object([
            ("run_id", optional(s.runID)),
            ("session_ids", .array(s.sessionIDs.map(OrderedJSON.string))),
            ("trace_ids", .array(s.traceIDs.map { .string($0.description) })),
            ("start", time(s.startNanoseconds)), ("end", time(s.endNanoseconds)),
            ("duration_ms", .number(s.durationMs)),
            ("records", .int(s.recordCount)),
            ("event_counts", .object(s.eventCounts.keys.sorted().map { ($0, .int(s.eventCounts[$0] ?? 0)) })),
            ("tokens", .object([("input", .int(s.inputTokens)), ("output", .int(s.outputTokens)), ("total", .int(s.totalTokens))])),
            ("tools_used", .array(s.toolsUsed.map(OrderedJSON.string))),
            ("errors", .array(errors)),
            ("spans", .int(s.spanCount)), ("open_spans", .int(s.openSpanCount)),
        ])
        let spans: [OrderedJSON] = model.spans.map { span in
            .object([
                ("span_id", .string(span.spanID.description)),
                ("parent_span_id", optional(span.parentSpanID?.description)),
                ("trace_id", optional(span.traceID?.description)),
                ("depth", .int(span.depth)),
                ("name", .string(span.name)),
                ("kind", .string(span.kind.rawValue)),
                ("source", .string(span.source.rawValue)),
                ("event_type", optional(span.eventType)),
                ("start", time(span.startNanoseconds)), ("end", time(span.endNanoseconds)),
                ("start_unix_nano", .string(String(span.startNanoseconds))),
                ("end_unix_nano", optional(span.endNanoseconds.map { String($0) })),
                ("duration_ms", span.durationMs.map(OrderedJSON.number) ?? .null),
                ("open", .bool(span.isOpen)),
                ("start_derived", .bool(!span.hasRecordedStart)),
                ("status", .string(span.status.rawValue)),
                ("error_message", optional(span.errorMessage)),
                ("critical", .bool(span.isOnCriticalPath)),
                ("attributes", TraceText.json(.object(span.attributes))),
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
            ("name", .string(e.name)), ("source", .string(e.source.rawValue)), ("timestamp", time(e.timestampNanoseconds)),
            ("event_id", e.eventID.map(OrderedJSON.string) ?? .null),
            ("duration_ms", e.durationMs.map(OrderedJSON.number) ?? .null),
            ("failure", .bool(e.isFailure)),
            ("attributes", TraceText.json(.object(e.attributes))),
        ])
    }
}
