import TorqEvents
/// The figures of one run: who, when, how much, what went wrong.
public struct TraceRunSummary: Sendable, Hashable {
    /// A failure in the run: a span that ended with status error, or a
    /// record that reports one (`success` false, `status` failed/error/timeout).
    public struct Failure: Sendable, Hashable {
        /// The span it belongs to (index in ``TraceModel/spans``), if any.
        public var spanIndex: Int?
        /// `span_end`, or the record's event type.
        public var eventType: String
        /// The span's name, or the record's subject (tool, model, agent).
        public var subject: String
        /// `error_message`, else what the status said.
        public var message: String
        /// When, nanoseconds since the Unix epoch.
        public var timestampNanoseconds: Int64

        /// A failure; every field is given.
        public init(spanIndex: Int?, eventType: String, subject: String, message: String, timestampNanoseconds: Int64) {
            self.spanIndex = spanIndex
            self.eventType = eventType
            self.subject = subject
            self.message = message
            self.timestampNanoseconds = timestampNanoseconds
        }
    }

    /// `run_id` (as asked for, else the first record's).
    public var runID: String?
    /// The `session_id`s, in order of first appearance.
    public var sessionIDs: [String]
    /// The `trace_id`s, in order of first appearance.
    public var traceIDs: [TraceID]
    /// The earliest instant of the run (record timestamps and span starts); nil without records.
    public var startNanoseconds: Int64?
    /// The latest instant of the run (record timestamps and span ends); nil without records.
    public var endNanoseconds: Int64?
    /// Records read into the trace.
    public var recordCount: Int
    /// Records by `event_type` (span events and unknown types included).
    public var eventCounts: [String: Int]
    /// Sum of `prompt_tokens` of the `model_interaction` records.
    public var inputTokens: Int
    /// Sum of `completion_tokens` of the `model_interaction` records.
    public var outputTokens: Int
    /// Sum of `total_tokens` of the `model_interaction` records (prompt +
    /// completion for a record without it).
    public var totalTokens: Int
    /// Tool names of `tool_execution` records and `agent_run.tools_used`, in order of first appearance.
    public var toolsUsed: [String]
    /// The failures, in record order.
    public var failures: [Failure]
    /// Spans of every source.
    public var spanCount: Int
    /// Spans started and never ended.
    public var openSpanCount: Int

    /// The first session id.
    public var sessionID: String? { sessionIDs.first }

    /// From start to end in milliseconds (0 without records).
    public var durationMs: Double {
        guard let start = startNanoseconds, let end = endNanoseconds else { return 0 }
        return Double(end - start) / 1_000_000
    }

    /// A summary; every field is given.
    public init(runID: String?, sessionIDs: [String], traceIDs: [TraceID], startNanoseconds: Int64?, endNanoseconds: Int64?,
                recordCount: Int, eventCounts: [String: Int], inputTokens: Int, outputTokens: Int, totalTokens: Int,
                toolsUsed: [String], failures: [Failure], spanCount: Int, openSpanCount: Int) {
        self.runID = runID
        self.sessionIDs = sessionIDs
        self.traceIDs = traceIDs
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.recordCount = recordCount
        self.eventCounts = eventCounts
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
        self.toolsUsed = toolsUsed
        self.failures = failures
        self.spanCount = spanCount
        self.openSpanCount = openSpanCount
    }
}
