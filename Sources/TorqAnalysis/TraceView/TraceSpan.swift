import TorqEvents
import TorqJSON
/// One span of a trace, with its place in the tree.
///
/// A span comes from its `span_start` and `span_end` records; from telemetry
/// records carrying a `span_id` for which no span record exists (a leaf
/// whose interval ends at the record's timestamp and lasts its duration
/// field, or is an instant); or stands for a parent that records name in
/// `parent_span_id` but that was never recorded (its interval is then the
/// envelope of its children, and it is drawn as such).
public struct TraceSpan: Sendable, Hashable {
    /// Where a span comes from.
    public enum Source: String, Sendable, Hashable {
        /// A `span_start` and/or a `span_end` record.
        case span
        /// Telemetry records (`tool_execution`, …) with this `span_id` and no span records.
        case event
        /// Named only as a parent: nothing recorded about it.
        case unrecorded
    }

    /// Position in ``TraceModel/spans`` (depth-first order).
    public var index: Int
    /// `trace_id`, when recorded.
    public var traceID: TraceID?
    /// `span_id`.
    public var spanID: SpanID
    /// `parent_span_id` as recorded (nil for a root).
    public var parentSpanID: SpanID?
    /// The parent's index in ``TraceModel/spans``; nil for a root.
    public var parentIndex: Int?
    /// The children's indices, by start time.
    public var childIndices: [Int]
    /// 0 for a root.
    public var depth: Int
    /// The span's name; for an event leaf, the GenAI operation and target
    /// (`execute_tool web_search`, `chat gpt-4o`).
    public var name: String
    /// `kind` of `span_start` (internal when absent); event leaves of
    /// `model_interaction` are client spans, the others internal.
    public var kind: TraceSpanKind
    /// Where the span comes from.
    public var source: Source
    /// The event type of an event leaf's first record (nil for the other sources).
    public var eventType: String?
    /// Start, nanoseconds since the Unix epoch: the `span_start` timestamp;
    /// without one, the end minus `duration_ms` (or the end itself).
    public var startNanoseconds: Int64
    /// End, nanoseconds since the Unix epoch; nil while the span is open.
    public var endNanoseconds: Int64?
    /// Whether a `span_start` (or, for an event leaf, a duration) gave the start.
    public var hasRecordedStart: Bool
    /// Whether the end was recorded (a `span_end`, or an event leaf's record).
    public var hasRecordedEnd: Bool
    /// The status: `status` of `span_end`; for an event leaf, error when a
    /// record reports a failure, ok when one reports success, else unset.
    public var status: TraceSpanStatus
    /// `error_message` of `span_end` (or of a failed record of an event leaf).
    public var errorMessage: String?
    /// The start's attributes with the end's added (the end wins on a
    /// repeated key); `events` moves to ``events``. For an event leaf, the
    /// record's attributes and fields.
    public var attributes: [String: TelemetryValue]
    /// What happened in the span, by time: span events and the records attached to it.
    public var events: [TraceSpanEvent]
    /// Whether the span lies on the critical path.
    public var isOnCriticalPath: Bool

    /// A span started (`span_start`) but never ended: still running, or cut off.
    public var isOpen: Bool { endNanoseconds == nil }

    /// The end to draw: the recorded end, or `traceEnd` for an open span.
    public func displayEnd(traceEnd: Int64) -> Int64 { endNanoseconds ?? max(traceEnd, startNanoseconds) }

    /// The duration in milliseconds; nil while open.
    public var durationMs: Double? { endNanoseconds.map { Double($0 - startNanoseconds) / 1_000_000 } }

    /// A span; every field is given (the builder makes them).
    public init(index: Int, traceID: TraceID?, spanID: SpanID, parentSpanID: SpanID?, parentIndex: Int?, childIndices: [Int],
                depth: Int, name: String, kind: TraceSpanKind, source: Source, eventType: String?, startNanoseconds: Int64,
                endNanoseconds: Int64?, hasRecordedStart: Bool, hasRecordedEnd: Bool, status: TraceSpanStatus,
                errorMessage: String?, attributes: [String: TelemetryValue], events: [TraceSpanEvent], isOnCriticalPath: Bool) {
        self.index = index
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.parentIndex = parentIndex
        self.childIndices = childIndices
        self.depth = depth
        self.name = name
        self.kind = kind
        self.source = source
        self.eventType = eventType
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.hasRecordedStart = hasRecordedStart
        self.hasRecordedEnd = hasRecordedEnd
        self.status = status
        self.errorMessage = errorMessage
        self.attributes = attributes
        self.events = events
        self.isOnCriticalPath = isOnCriticalPath
    }
}
