/// One run as a trace: its spans as a tree (depth-first, children by start
/// time), the critical path, the records attached to no span, and the
/// summary. Made by ``TraceBuilder``; drawn by the renderers.
public struct TraceModel: Sendable, Hashable {
    /// The run's figures.
    public var summary: TraceRunSummary
    /// Every span, depth-first: a parent comes before its children, siblings by start time.
    public var spans: [TraceSpan]
    /// The roots' indices, by start time.
    public var rootIndices: [Int]
    /// The chain from a root that determines when the run's spans end: the
    /// root finishing last, then at each level its child finishing last (an
    /// open span counts as finishing at the trace's end). Indices into ``spans``.
    public var criticalPath: [Int]
    /// Records that name no span (no `span_id`, and no known `parent_span_id`), in record order.
    public var unattachedEvents: [TraceSpanEvent]
    /// Oddities found while building (a repeated `span_start`, a parent
    /// cycle, an unknown kind or status, malformed span events): each says what and where.
    public var warnings: [String]
    /// How much of the records was read: with ``TraceDetail/tree``, attributes and span events are empty.
    public var detail: TraceDetail

    /// A model; every field is given.
    public init(summary: TraceRunSummary, spans: [TraceSpan], rootIndices: [Int], criticalPath: [Int],
                unattachedEvents: [TraceSpanEvent], warnings: [String], detail: TraceDetail = .full) {
        self.detail = detail
        self.summary = summary
        self.spans = spans
        self.rootIndices = rootIndices
        self.criticalPath = criticalPath
        self.unattachedEvents = unattachedEvents
        self.warnings = warnings
    }

    /// The earliest instant to draw: the run's start, or 0 for an empty trace.
    public var startNanoseconds: Int64 { summary.startNanoseconds ?? 0 }

    /// The latest instant to draw: the run's end (where open spans are drawn to).
    public var endNanoseconds: Int64 { max(summary.endNanoseconds ?? startNanoseconds, startNanoseconds) }
}
