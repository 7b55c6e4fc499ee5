import TorqCollector
import TorqEvents
/// What one agent run did, computed from its events as stored
/// (``TelemetryIntegration/runSummary(_:)``).
///
/// ```swift
/// let summary = try telemetry.runSummary(run)
/// print("\(summary.durationMs) ms, \(summary.eventCount) events, \(summary.totalTokens) tokens, tools \(summary.toolsUsed)")
/// for failure in summary.errors { print(failure.eventType, failure.subject, failure.message ?? "") }
/// ```
public struct RunSummary: Sendable, Equatable {
    /// One failure in the run: a failed run, tool, model call or memory
    /// operation, or a span ending in error that no such event already reports.
    public struct Failure: Sendable, Equatable {
        /// The event that reports it.
        public var eventType: EventType
        /// The agent, tool, model, memory type or span name.
        public var subject: String
        /// Its `error_message`, when it has one.
        public var message: String?
        /// When it was recorded, in nanoseconds since the epoch.
        public var timestampNanoseconds: Int64
    }

    /// The run.
    public var runID: RunID
    /// Events of the run in the storage.
    public var eventCount: Int
    /// Events by `event_type`.
    public var eventCounts: [EventType: Int]
    /// The earliest event time, in nanoseconds since the epoch.
    public var startNanoseconds: Int64
    /// The latest event time, in nanoseconds since the epoch.
    public var endNanoseconds: Int64
    /// From the earliest to the latest event, in milliseconds.
    public var durationMs: Double
    /// The agent (`agent_name` of the run's `agent_run` events).
    public var agentName: String?
    /// The agent's type.
    public var agentType: String?
    /// The status of the run's last `agent_run` event (`started` while it is open).
    public var status: EventStatus?
    /// Prompt tokens of the run's model interactions.
    public var inputTokens: Int
    /// Completion tokens of the run's model interactions.
    public var outputTokens: Int
    /// Total tokens of the run's model interactions (`total_tokens`, else prompt plus completion).
    public var totalTokens: Int
    /// Tools executed (and named in `tools_used`), in first-use order.
    public var toolsUsed: [String]
    /// The failures, in event order.
    public var errors: [Failure]
    /// The traces the run's events belong to, in first-seen order.
    public var traceIDs: [TraceID]
    /// The sessions the run's events belong to, in first-seen order.
    public var sessionIDs: [String]
    /// Spans of the run that started and did not end (still running, or cut off).
    public var openSpans: Int
    /// Events with this `run_id` that are not events of the schema (counted
    /// in ``eventCount``, otherwise not read).
    public var unreadableEvents: Int

    /// Events of `type` (0 when none).
    public func count(_ type: EventType) -> Int { eventCounts[type] ?? 0 }

    /// The summary of `events`, the stored events of run `runID` in store order.
    init(runID: RunID, events: [StoredEvent]) {
        self.runID = runID
        eventCount = events.count
        eventCounts = [:]
        startNanoseconds = 0
        endNanoseconds = 0
        durationMs = 0
        inputTokens = 0
        outputTokens = 0
        totalTokens = 0
        toolsUsed = []
        errors = []
        traceIDs = []
        sessionIDs = []
        openSpans = 0
        unreadableEvents = 0

        var first: Int64?, last: Int64?
        var tools: Set<String> = []
        var traces: Set<TraceID> = []
        var sessions: Set<String> = []
        var openSpanIDs: Set<SpanID> = []
        var failedSpanIDs: Set<SpanID> = []
        var spanErrors: [(SpanID, Failure)] = []
        func addTool(_ name: String) { if tools.insert(name).inserted { toolsUsed.append(name) } }
        func message(_ header: EventHeader) -> String? {
            if case .string(let text)? = header.extraFields[EventField.errorMessage.key] { return text }
            return nil
        }
        func fail(_ type: EventType, _ subject: String, _ header: EventHeader, _ text: String? = nil) {
            errors.append(Failure(eventType: type, subject: subject, message: text ?? message(header), timestampNanoseconds: header.timestamp))
            if let span = header.spanID { failedSpanIDs.insert(span) }
        }

        for stored in events {
            guard let event = try? stored.decoded() else {
                unreadableEvents += 1
                continue
            }
            let header = event.header
            eventCounts[event.eventType, default: 0] += 1
            first = min(first ?? header.timestamp, header.timestamp)
            last = max(last ?? header.timestamp, header.timestamp)
            if let trace = header.traceID, traces.insert(trace).inserted { traceIDs.append(trace) }
            if sessions.insert(header.sessionID).inserted { sessionIDs.append(header.sessionID) }
            switch event {
            case .agentRun(let e):
                agentName = e.agentName
                agentType = e.agentType
                status = e.status
                for tool in e.toolsUsed ?? [] { addTool(tool) }
                if [EventStatus.failed, .timeout, .cancelled].contains(e.status) { fail(.agentRun, e.agentName, header) }
            case .toolExecution(let e):
                addTool(e.toolName)
                if e.success == false || [EventStatus.failed, .timeout, .cancelled].contains(e.status) { fail(.toolExecution, e.toolName, header) }
            case .modelInteraction(let e):
                inputTokens += e.promptTokens
                outputTokens += e.completionTokens ?? 0
                totalTokens += e.totalTokens ?? (e.promptTokens + (e.completionTokens ?? 0))
                if e.success == false { fail(.modelInteraction, e.modelName, header) }
            case .memoryOperation(let e):
                if e.success == false { fail(.memoryOperation, e.memoryType, header) }
            case .routingDecision:
                break
            case .spanStart:
                if let span = header.spanID { openSpanIDs.insert(span) }
            case .spanEnd(let e):
                if let span = header.spanID {
                    openSpanIDs.remove(span)
                    if e.status == "error" {
                        spanErrors.append((span, Failure(eventType: .spanEnd, subject: e.name, message: e.errorMessage,
                                                         timestampNanoseconds: header.timestamp)))
                    }
                }
            }
        }
        // A span's error that its own typed event already reports is not counted twice.
        errors += spanErrors.filter { !failedSpanIDs.contains($0.0) }.map(\.1)
        errors.sort { $0.timestampNanoseconds < $1.timestampNanoseconds }
        openSpans = openSpanIDs.count
        startNanoseconds = first ?? 0
        endNanoseconds = last ?? 0
        durationMs = Double(endNanoseconds - startNanoseconds) / 1_000_000
    }
}
