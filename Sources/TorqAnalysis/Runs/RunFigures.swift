import TorqEvents
import TorqJSON
import TorqLogStore

/// The figures of one run over some of its records (one segment's, or the
/// whole store's): what the runs list shows. Figures over disjoint sets of
/// records merge (``merge(_:)``) into the figures over their union, as long
/// as they are merged in sequence order (for ``agent`` and ``lastStatus``).
public struct RunFigures: Sendable, Hashable {
    /// The run key (`run_id`).
    public var runID: String
    /// `agent_name` of the first `agent_run` record that has one.
    public var agent: String?
    /// `status` of the last `agent_run` record that has one.
    public var lastStatus: String?
    /// The earliest event time (the store's indexed time), nanoseconds; nil when no record has one.
    public var firstTime: Int64?
    /// The latest event time, nanoseconds; nil when no record has one.
    public var lastTime: Int64?
    /// Records.
    public var events: Int
    /// Sum of `prompt_tokens` of the `model_interaction` records.
    public var inputTokens: Int
    /// Sum of `completion_tokens` of the `model_interaction` records.
    public var outputTokens: Int
    /// `tool_execution` records.
    public var toolCalls: Int
    /// Records that report a failure (`success` false, or a failed `status`, as `trace` counts them).
    public var errors: Int

    /// Figures of no record yet.
    public init(runID: String) {
        self.runID = runID
        events = 0
        inputTokens = 0
        outputTokens = 0
        toolCalls = 0
        errors = 0
    }

    /// The run's status: the last `agent_run` status, else `failed` when a record
    /// reported a failure, else `unknown` (no record says how the run ended).
    public var status: String {
        if let lastStatus { return lastStatus }
        return errors > 0 ? "failed" : "unknown"
    }

    /// From first to last event time, milliseconds (0 without times).
    public var durationMs: Double {
        guard let firstTime, let lastTime else { return 0 }
        return Double(lastTime - firstTime) / 1_000_000
    }

    /// Adds one record: `time` from the store's index, `record` parsed from
    /// its payload (nil when it is not an event the trace reader reads: it is
    /// counted, and adds nothing else).
    mutating func add(time: Int64?, _ record: TraceRecord?) {
        events += 1
        if let time { note(time) }
        guard let record else { return }
        switch record.eventType {
        case ModelInteractionEvent.eventType.rawValue:
            inputTokens += record.integer(.promptTokens) ?? 0
            outputTokens += record.integer(.completionTokens) ?? 0
        case ToolExecutionEvent.eventType.rawValue:
            toolCalls += 1
        case AgentRunEvent.eventType.rawValue:
            if agent == nil, let name = record.string(.agentName) { agent = name }
            if let status = record.string(.status) { lastStatus = status }
        default: break
        }
        if record.isFailure { errors += 1 }
    }

    private mutating func note(_ time: Int64) {
        firstTime = min(firstTime ?? time, time)
        lastTime = max(lastTime ?? time, time)
    }

    /// Adds the figures of `later`, records of the same run that come after these.
    public mutating func merge(_ later: RunFigures) {
        events += later.events
        inputTokens += later.inputTokens
        outputTokens += later.outputTokens
        toolCalls += later.toolCalls
        errors += later.errors
        if agent == nil { agent = later.agent }
        if let s = later.lastStatus { lastStatus = s }
        if let t = later.firstTime { note(t) }
        if let t = later.lastTime { note(t) }
    }
}

/// Figures of every run in a sequence of records, in the order runs first
/// appear, and the records' ``ActivityTimeline`` (every record, with a run key or not).
struct RunFiguresBuilder {
    private(set) var runs: [RunFigures] = []
    private(set) var timeline = ActivityTimeline()
    private var position: [String: Int] = [:]
    private let scanner = TraceRecordScanner()

    /// Adds one store record (to the runs when it has a run key; to the timeline always).
    mutating func add(_ record: RecordView) {
        // A payload the trace reader cannot read is counted, and adds nothing else (RunFigures.add).
        let parsed = try? scanner?.scan(record.payload)
        timeline.add(time: record.time, failure: parsed?.isFailure ?? false)
        guard let key = record.runKeyString else { return }
        let i: Int
        if let at = position[key] {
            i = at
        } else {
            i = runs.count
            position[key] = i
            runs.append(RunFigures(runID: key))
        }
        runs[i].add(time: record.time, parsed)
    }
}
