import TorqLogStore
import TorqJSON
import TorqEvents

/// What a stream of telemetry events adds up to, as computed by
/// ``TelemetryAggregator``: counts by event type, distinct runs and
/// sessions, error rates, per-tool and per-model call counts and duration
/// percentiles, tokens by model and provider, memory operations with their
/// cache-hit rate, and routing strategies with their mean confidence.
///
/// Definitions:
/// - A **record** is one JSON text given to the aggregator; an **event** is a
///   record that is a JSON object. Every other record is **unparsable**
///   (counted, by reason, never skipped silently).
/// - An event **has a status** when its `status` is a string or its
///   `success` a boolean; it is an **error** when `status` is `error`,
///   `failed`, `failure` or `timeout` (ASCII case-insensitive) or `success`
///   is `false`. An error rate is errors ÷ events with a status.
/// - **Runs** and **sessions** are distinct `run_id` and `session_id`
///   strings (see ``DistinctCount`` for when they are estimates).
/// - The **time range** is the earliest and latest `timestamp` (RFC 3339).
/// - **Tools** are `tool_execution` events by `tool_name`, timed by
///   `execution_time_ms`; **models** are `model_interaction` events by
///   `model_provider` and `model_name`, timed by `response_time_ms`;
///   **memory** rows are `memory_operation` events by `memory_type` and
///   `operation_type`, timed by `operation_time_ms`; **routing** rows are
///   `routing_decision` events by `routing_strategy`, with the mean of their
///   `confidence_score`.
/// - Tokens: `prompt_tokens` and `completion_tokens` are summed as given;
///   the total is `total_tokens` when given, else prompt + completion.
/// - A name that is missing or not a string is `nil` (shown as `(none)`).
///   Names are cut to 256 bytes (marked with `…`). Each table keeps at most
///   a bounded number of distinct names (``TelemetryAggregator/Limits``); the
///   rest are added up in one row whose `isOther` is true (`(other)`).
/// - A field of the wrong type or out of range (a negative duration, a
///   fractional token count, a confidence outside [0, 1], an unparsable
///   timestamp…) is ignored for its statistic and counted in ``invalidFields``.
public struct TelemetrySummary: Sendable {
    /// Records given to the aggregator.
    public let records: Int
    /// Records that are JSON objects.
    public let events: Int
    /// Records that are not JSON objects (invalid JSON, another JSON value, too long…).
    public var unparsable: Int { records - events }
    /// Unparsable records by reason (`invalid JSON`, `not a JSON object`, …).
    public let unparsableReasons: [String: Int]
    /// Distinct `run_id` strings.
    public let runs: DistinctCount
    /// Events without a string `run_id`.
    public let eventsWithoutRunID: Int
    /// Distinct `session_id` strings.
    public let sessions: DistinctCount
    /// Events without a string `session_id`.
    public let eventsWithoutSessionID: Int
    /// The earliest `timestamp`, in nanoseconds since the epoch; nil when no event has one.
    public let firstTimestamp: Int64?
    /// The latest `timestamp`, in nanoseconds since the epoch.
    public let lastTimestamp: Int64?
    /// Events without a valid `timestamp`.
    public let eventsWithoutTimestamp: Int
    /// Events with a status (see the definitions).
    public let eventsWithStatus: Int
    /// Events that are errors.
    public let errors: Int
    /// errors ÷ events with a status; nil when none has a status.
    public var errorRate: Double? { Self.rate(errors, eventsWithStatus) }
    /// Events by `event_type`, most frequent first.
    public let eventTypes: [EventTypeRow]
    /// Tool calls by `tool_name`, most frequent first.
    public let tools: [ToolRow]
    /// Model calls by provider and model, most frequent first.
    public let models: [ModelRow]
    /// Tokens by `model_provider`, most tokens first.
    public let providers: [ProviderRow]
    /// Memory operations by `memory_type` and `operation_type`, most frequent first.
    public let memory: [MemoryRow]
    /// Routing decisions by `routing_strategy`, most frequent first.
    public let routing: [RoutingRow]
    /// Values ignored because of their type or range, by field name.
    public let invalidFields: [String: Int]

    /// Events of one `event_type`.
    public struct EventTypeRow: Sendable, Hashable {
        /// The `event_type`; nil when missing or not a string.
        public let name: String?
        /// True for the row adding up the types past the table's limit.
        public let isOther: Bool
        /// Events.
        public let events: Int
        /// Events with a status.
        public let eventsWithStatus: Int
        /// Errors.
        public let errors: Int
        /// errors ÷ events with a status; nil when none has one.
        public var errorRate: Double? { TelemetrySummary.rate(errors, eventsWithStatus) }
    }

    /// `tool_execution` events of one `tool_name`.
    public struct ToolRow: Sendable, Hashable {
        /// The `tool_name`; nil when missing or not a string.
        public let name: String?
        /// True for the row adding up the tools past the table's limit.
        public let isOther: Bool
        /// Calls (events).
        public let calls: Int
        /// Calls with a status.
        public let callsWithStatus: Int
        /// Errors.
        public let errors: Int
        /// `execution_time_ms`; nil when no call has one.
        public let executionTime: DurationStats?
        /// errors ÷ calls with a status; nil when none has one.
        public var errorRate: Double? { TelemetrySummary.rate(errors, callsWithStatus) }
    }

    /// `model_interaction` events of one provider and model.
    public struct ModelRow: Sendable, Hashable {
        /// The `model_provider`; nil when missing or not a string.
        public let provider: String?
        /// The `model_name`; nil when missing or not a string.
        public let model: String?
        /// True for the row adding up the models past the table's limit.
        public let isOther: Bool
        /// Calls (events).
        public let calls: Int
        /// Calls with a status.
        public let callsWithStatus: Int
        /// Errors.
        public let errors: Int
        /// Sum of `prompt_tokens`.
        public let promptTokens: Int
        /// Sum of `completion_tokens`.
        public let completionTokens: Int
        /// Sum of the totals (`total_tokens`, else prompt + completion).
        public let totalTokens: Int
        /// `response_time_ms`; nil when no call has one.
        public let responseTime: DurationStats?
        /// errors ÷ calls with a status; nil when none has one.
        public var errorRate: Double? { TelemetrySummary.rate(errors, callsWithStatus) }
    }

    /// Tokens of the `model_interaction` events of one provider.
    public struct ProviderRow: Sendable, Hashable {
        /// The `model_provider`; nil when missing or not a string.
        public let provider: String?
        /// True for the row adding up the providers past the table's limit.
        public let isOther: Bool
        /// Calls (events).
        public let calls: Int
        /// Sum of `prompt_tokens`.
        public let promptTokens: Int
        /// Sum of `completion_tokens`.
        public let completionTokens: Int
        /// Sum of the totals (`total_tokens`, else prompt + completion).
        public let totalTokens: Int
    }

    /// `memory_operation` events of one memory type and operation.
    public struct MemoryRow: Sendable, Hashable {
        /// The `memory_type`; nil when missing or not a string.
        public let memoryType: String?
        /// The `operation_type`; nil when missing or not a string.
        public let operationType: String?
        /// True for the row adding up the pairs past the table's limit.
        public let isOther: Bool
        /// Operations (events).
        public let operations: Int
        /// Operations with a status.
        public let operationsWithStatus: Int
        /// Errors.
        public let errors: Int
        /// Operations with `cache_hit` true.
        public let cacheHits: Int
        /// Operations with a boolean `cache_hit`.
        public let cacheKnown: Int
        /// `operation_time_ms`; nil when no operation has one.
        public let operationTime: DurationStats?
        /// errors ÷ operations with a status; nil when none has one.
        public var errorRate: Double? { TelemetrySummary.rate(errors, operationsWithStatus) }
        /// cache hits ÷ operations with a boolean `cache_hit`; nil when none has one.
        public var cacheHitRate: Double? { TelemetrySummary.rate(cacheHits, cacheKnown) }
    }

    /// `routing_decision` events of one strategy.
    public struct RoutingRow: Sendable, Hashable {
        /// The `routing_strategy`; nil when missing or not a string.
        public let strategy: String?
        /// True for the row adding up the strategies past the table's limit.
        public let isOther: Bool
        /// Decisions (events).
        public let decisions: Int
        /// Decisions with a valid `confidence_score`.
        public let scoredDecisions: Int
        /// The mean `confidence_score` of those; nil when there are none.
        public let meanConfidence: Double?
    }

    // The memberwise initializer stays internal: summaries come from the aggregator.
    init(records: Int, events: Int, unparsableReasons: [String: Int], runs: DistinctCount, eventsWithoutRunID: Int,
         sessions: DistinctCount, eventsWithoutSessionID: Int, firstTimestamp: Int64?, lastTimestamp: Int64?,
         eventsWithoutTimestamp: Int, eventsWithStatus: Int, errors: Int, eventTypes: [EventTypeRow], tools: [ToolRow],
         models: [ModelRow], providers: [ProviderRow], memory: [MemoryRow], routing: [RoutingRow], invalidFields: [String: Int]) {
        self.records = records
        self.events = events
        self.unparsableReasons = unparsableReasons
        self.runs = runs
        self.eventsWithoutRunID = eventsWithoutRunID
        self.sessions = sessions
        self.eventsWithoutSessionID = eventsWithoutSessionID
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.eventsWithoutTimestamp = eventsWithoutTimestamp
        self.eventsWithStatus = eventsWithStatus
        self.errors = errors
        self.eventTypes = eventTypes
        self.tools = tools
        self.models = models
        self.providers = providers
        self.memory = memory
        self.routing = routing
        self.invalidFields = invalidFields
    }

    /// `part ÷ whole`, nil when `whole` is 0.
    static func rate(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }

    // MARK: - JSON

    /// The summary as one JSON document (two-space indentation, or compact
    /// with `pretty` false). Keys, in this order: `records`, `events`,
    /// `unparsable`, `unparsable_reasons`, `runs` and `sessions` (each
    /// `{"count", "exact"}`), `events_without_run_id`,
    /// `events_without_session_id`, `first_timestamp`, `last_timestamp`
    /// (RFC 3339 with microseconds, or null), `events_without_timestamp`,
    /// `events_with_status`, `errors`, `error_rate`, `event_types`, `tools`,
    /// `models`, `tokens_by_provider`, `memory`, `routing` (arrays of row
    /// objects), `invalid_fields`, and — when `compliance` is given —
    /// `compliance`, the report of `torqlog compliance --format json`.
    ///
    /// Rates are in [0, 1] (6 decimals) or null; durations are in
    /// milliseconds (3 decimals) as `{"count", "mean", "min", "max", "p50",
    /// "p95", "p99"}` or null. A missing name is null; the row adding up the
    /// names past a table's limit has the name `(other)` and `"other": true`.
    public func json(pretty: Bool = true, compliance: ComplianceReport? = nil) -> String {
        let text = document.rendered(pretty: pretty)
        guard let compliance else { return text }
        // Splice the report's own rendering in as the last member.
        guard text.hasSuffix("}") else { return text }
        var head = String(text.dropLast())
        if pretty {
            while head.last == "\n" { head.removeLast() }
            let report = compliance.json(pretty: true).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
            return head + ",\n  \"compliance\": " + report + "\n}"
        }
        return head + ",\"compliance\":" + compliance.json(pretty: false) + "}"
    }

    private var document: OrderedJSON {
        func rate(_ r: Double?) -> OrderedJSON { r.map { .number(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null }
        func ms(_ x: Double) -> OrderedJSON { .number((x * 1000).rounded() / 1000) }
        func name(_ n: String?, other: Bool) -> OrderedJSON { other ? .string("(other)") : n.map(OrderedJSON.string) ?? .null }
        func durations(_ d: DurationStats?) -> OrderedJSON {
            guard let d else { return .null }
            return .object([("count", .int(d.count)), ("mean", ms(d.mean)), ("min", ms(d.min)), ("max", ms(d.max)),
                            ("p50", ms(d.p50)), ("p95", ms(d.p95)), ("p99", ms(d.p99))])
        }
        func row(_ members: [(String, OrderedJSON)], other: Bool) -> OrderedJSON {
            .object(other ? members + [("other", .bool(true))] : members)
        }
        func distinct(_ d: DistinctCount) -> OrderedJSON {
            .object([("count", .int(d.value)), ("exact", .bool(d.isExact))])
        }
        func time(_ t: Int64?) -> OrderedJSON {
            t.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 6)) } ?? .null
        }
        let types = eventTypes.map { t in
            row([(EventField.eventType.key, name(t.name, other: t.isOther)), ("events", .int(t.events)),
                 ("events_with_status", .int(t.eventsWithStatus)), ("errors", .int(t.errors)), ("error_rate", rate(t.errorRate))],
                other: t.isOther)
        }
        let toolRows = tools.map { t in
            row([(EventField.toolName.key, name(t.name, other: t.isOther)), ("calls", .int(t.calls)), ("calls_with_status", .int(t.callsWithStatus)),
                 ("errors", .int(t.errors)), ("error_rate", rate(t.errorRate)), (EventField.executionTimeMs.key, durations(t.executionTime))],
                other: t.isOther)
        }
        let modelRows = models.map { m in
            row([(EventField.modelProvider.key, name(m.provider, other: m.isOther)), (EventField.modelName.key, name(m.model, other: m.isOther)),
                 ("calls", .int(m.calls)), ("calls_with_status", .int(m.callsWithStatus)), ("errors", .int(m.errors)),
                 ("error_rate", rate(m.errorRate)), (EventField.promptTokens.key, .int(m.promptTokens)),
                 (EventField.completionTokens.key, .int(m.completionTokens)), (EventField.totalTokens.key, .int(m.totalTokens)),
                 (EventField.responseTimeMs.key, durations(m.responseTime))],
                other: m.isOther)
        }
        let providerRows = providers.map { p in
            row([(EventField.modelProvider.key, name(p.provider, other: p.isOther)), ("calls", .int(p.calls)),
                 (EventField.promptTokens.key, .int(p.promptTokens)), (EventField.completionTokens.key, .int(p.completionTokens)),
                 (EventField.totalTokens.key, .int(p.totalTokens))],
                other: p.isOther)
        }
        let memoryRows = memory.map { m in
            row([(EventField.memoryType.key, name(m.memoryType, other: m.isOther)), (EventField.operationType.key, name(m.operationType, other: m.isOther)),
                 ("operations", .int(m.operations)), ("operations_with_status", .int(m.operationsWithStatus)),
                 ("errors", .int(m.errors)), ("error_rate", rate(m.errorRate)), ("cache_hits", .int(m.cacheHits)),
                 ("cache_known", .int(m.cacheKnown)), ("cache_hit_rate", rate(m.cacheHitRate)),
                 (EventField.operationTimeMs.key, durations(m.operationTime))],
                other: m.isOther)
        }
        let routingRows = routing.map { r in
            row([(EventField.routingStrategy.key, name(r.strategy, other: r.isOther)), ("decisions", .int(r.decisions)),
                 ("scored_decisions", .int(r.scoredDecisions)),
                 ("mean_confidence", r.meanConfidence.map { .number(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null)],
                other: r.isOther)
        }
        return .object([
            ("records", .int(records)),
            ("events", .int(events)),
            ("unparsable", .int(unparsable)),
            ("unparsable_reasons", .object(unparsableReasons.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("runs", distinct(runs)),
            ("sessions", distinct(sessions)),
            ("events_without_run_id", .int(eventsWithoutRunID)),
            ("events_without_session_id", .int(eventsWithoutSessionID)),
            ("first_timestamp", time(firstTimestamp)),
            ("last_timestamp", time(lastTimestamp)),
            ("events_without_timestamp", .int(eventsWithoutTimestamp)),
            ("events_with_status", .int(eventsWithStatus)),
            ("errors", .int(errors)),
            ("error_rate", rate(errorRate)),
            ("event_types", .array(types)),
            ("tools", .array(toolRows)),
            ("models", .array(modelRows)),
            ("tokens_by_provider", .array(providerRows)),
            ("memory", .array(memoryRows)),
            ("routing", .array(routingRows)),
            ("invalid_fields", .object(invalidFields.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
        ])
    }
}
