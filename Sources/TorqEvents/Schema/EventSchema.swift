/// The schema of one event type: the fields it adds to the common ones, and
/// its place in OpenTelemetry.
///
/// This table is the single source of truth: the validator, the compliance
/// scanner, `torqlog schema` (JSON Schema) and the README's OpenTelemetry
/// mapping are all derived from it. Its fields are named by ``EventField``
/// (at the end of this file), where every field name is spelled once.
public struct EventSchema: Sendable, Hashable {
    /// The `event_type` this schema describes.
    public let eventType: EventType
    /// One sentence saying what an event of this type records.
    public let summary: String
    /// The fields of this type, besides ``commonFields``: required first, then
    /// recommended, then optional, each group in a fixed order (the order of
    /// `torqlog schema` and of the README's OpenTelemetry mapping table).
    public let fields: [FieldDefinition]
    /// The `gen_ai.operation.name` an OpenTelemetry span of this event carries.
    public let openTelemetryOperation: String
    /// The recording call of the telemetry API that sets these fields, named
    /// in recommendations (e.g. `recordToolExecution`).
    public let recordedBy: String

    /// The names of the common fields the store indexes and the scanners filter on.
    package static let typeField = EventField.eventType.key
    package static let runField = EventField.runID.key
    package static let timeField = EventField.timestamp.key

    /// The fields every event has, first in every event.
    public static let commonFields: [FieldDefinition] = [
        FieldDefinition(.eventID, .string, .required, "Unique id of the event (a UUID by convention).",
                        openTelemetry: "`torq.event.id`"),
        FieldDefinition(.eventType, .eventType, .required, "Which of the event types this is.",
                        openTelemetry: "`gen_ai.operation.name` (per type, see below)"),
        FieldDefinition(.timestamp, .timestamp, .required, "When the operation ended, RFC 3339 (written in UTC).",
                        openTelemetry: "span end time (start = end − the type's duration)"),
        FieldDefinition(.sessionID, .string, .required, "The user session or conversation the event belongs to.",
                        openTelemetry: "`gen_ai.conversation.id`"),
        FieldDefinition(.runID, .string, .optional, "The agent run the event belongs to; the store indexes it.",
                        openTelemetry: "`torq.run.id`"),
        FieldDefinition(.traceID, .traceID, .optional, "W3C trace id: 32 lowercase hex digits.",
                        openTelemetry: "span `trace_id`"),
        FieldDefinition(.spanID, .spanID, .optional, "W3C span id of the operation: 16 lowercase hex digits.",
                        openTelemetry: "span `span_id`"),
        FieldDefinition(.parentSpanID, .spanID, .optional, "Span id of the enclosing operation.",
                        openTelemetry: "span `parent_span_id`"),
        FieldDefinition(.attributes, .object, .optional, "Free-form attributes.",
                        openTelemetry: "span attributes, key for key"),
    ]

    /// The five event types of the compliance rule, in the order reports list
    /// them: `agent_run`, `tool_execution`, `model_interaction`,
    /// `memory_operation`, `routing_decision`.
    public static let complianceSchemas: [EventSchema] = [agentRun, toolExecution, modelInteraction, memoryOperation, routingDecision]

    /// The span events of tracing (`span_start`, `span_end`). They are typed
    /// events of this schema, but not event types of the compliance rule.
    public static let spanSchemas: [EventSchema] = [spanStart, spanEnd]

    /// The schema of `type` (one of the five, or a span event), nil for any other type.
    public static func named(_ type: EventType) -> EventSchema? {
        (complianceSchemas + spanSchemas).first { $0.eventType == type }
    }

    /// The required fields: the common ones, then this type's.
    public var requiredFields: [FieldDefinition] {
        Self.commonFields.filter { $0.requirement == .required } + fields.filter { $0.requirement == .required }
    }

    /// This type's recommended fields.
    public var recommendedFields: [FieldDefinition] {
        fields.filter { $0.requirement == .recommended }
    }

    // MARK: - The five event types

    /// `agent_run`.
    public static let agentRun = EventSchema(
        eventType: .agentRun, summary: "One run of an agent, from the user's query to its answer.",
        fields: [
            FieldDefinition(.agentName, .string, .required, "The agent's name, e.g. `code_generation_agent`.",
                            openTelemetry: "`gen_ai.agent.name`"),
            FieldDefinition(.agentType, .string, .required, "The agent's kind or framework, e.g. `marvin_agent`.",
                            openTelemetry: "`torq.agent.type`"),
            FieldDefinition(.status, .string, .required, "`started`, `completed`, `failed`, … (open set).",
                            openTelemetry: "span status (`error.type` when failed)"),
            FieldDefinition(.userQuery, .string, .recommended, "The query the run answers.",
                            openTelemetry: "`gen_ai.input.messages` (opt-in content)"),
            FieldDefinition(.confidenceScore, .score, .recommended, "The agent's confidence in its answer, 0–1.",
                            openTelemetry: "`torq.agent.confidence_score`"),
            FieldDefinition(.toolsUsed, .array, .recommended, "Names of the tools the run called.",
                            openTelemetry: "`torq.agent.tools_used`"),
            FieldDefinition(.totalTokens, .tokenCount, .recommended, "Tokens used by the whole run.",
                            openTelemetry: "`torq.usage.total_tokens` (the conventions count input and output tokens only)"),
        ],
        openTelemetryOperation: "invoke_agent", recordedBy: "startAgentRun/completeAgentRun")

    /// `tool_execution`.
    public static let toolExecution = EventSchema(
        eventType: .toolExecution, summary: "One call of a tool by an agent.",
        fields: [
            FieldDefinition(.toolName, .string, .required, "The tool's name, e.g. `file_writer`.",
                            openTelemetry: "`gen_ai.tool.name`"),
            FieldDefinition(.toolType, .string, .required, "`read`, `write`, `search`, `execute`, … (open set).",
                            openTelemetry: "`gen_ai.tool.type`"),
            FieldDefinition(.status, .string, .required, "`completed`, `failed`, `timeout`, … (open set).",
                            openTelemetry: "span status (`error.type` when failed)"),
            FieldDefinition(.executionTimeMs, .milliseconds, .recommended, "How long the tool ran.",
                            openTelemetry: "span duration"),
            FieldDefinition(.success, .boolean, .recommended, "Whether the call succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
        ],
        openTelemetryOperation: "execute_tool", recordedBy: "recordToolExecution")

    /// `model_interaction`.
    public static let modelInteraction = EventSchema(
        eventType: .modelInteraction, summary: "One request to a model and its response.",
        fields: [
            FieldDefinition(.modelProvider, .string, .required, "`anthropic`, `openai`, … (open set).",
                            openTelemetry: "`gen_ai.provider.name`"),
            FieldDefinition(.modelName, .string, .required, "The model requested, e.g. `claude-3-5-sonnet`.",
                            openTelemetry: "`gen_ai.request.model`"),
            FieldDefinition(.promptTokens, .tokenCount, .required, "Tokens in the prompt.",
                            openTelemetry: "`gen_ai.usage.input_tokens`"),
            FieldDefinition(.responseTimeMs, .milliseconds, .required, "Time from request to full response.",
                            openTelemetry: "span duration; metric `gen_ai.client.operation.duration` (s)"),
            FieldDefinition(.totalTokens, .tokenCount, .recommended, "Prompt plus completion tokens.",
                            openTelemetry: "`torq.usage.total_tokens` (the conventions count input and output tokens only)"),
            FieldDefinition(.completionTokens, .tokenCount, .recommended, "Tokens in the response.",
                            openTelemetry: "`gen_ai.usage.output_tokens`"),
            FieldDefinition(.success, .boolean, .recommended, "Whether the request succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
        ],
        openTelemetryOperation: "chat", recordedBy: "recordModelInteraction")

    /// `memory_operation`.
    public static let memoryOperation = EventSchema(
        eventType: .memoryOperation, summary: "One read, write or search of an agent's memory.",
        fields: [
            FieldDefinition(.memoryType, .string, .required, "`short_term`, `long_term`, `episodic`, … (open set).",
                            openTelemetry: "`torq.memory.type`"),
            FieldDefinition(.memoryBackend, .string, .required, "Where the memory lives: `redis`, `pgvector`, …",
                            openTelemetry: "`db.system.name`; `gen_ai.memory.store.id`"),
            FieldDefinition(.operationType, .string, .required, "`read`, `write`, `search`, `update`, `delete` (open set).",
                            openTelemetry: "`gen_ai.operation.name`: search/read → `search_memory`, write → `create_memory`, update → `update_memory`, delete → `delete_memory`"),
            FieldDefinition(.operationTimeMs, .milliseconds, .required, "How long the operation took.",
                            openTelemetry: "span duration"),
            FieldDefinition(.success, .boolean, .recommended, "Whether the operation succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
            FieldDefinition(.cacheHit, .boolean, .recommended, "Whether a cache answered.",
                            openTelemetry: "`torq.memory.cache_hit`"),
        ],
        openTelemetryOperation: "search_memory", recordedBy: "recordMemoryOperation")

    /// `routing_decision`. OpenTelemetry has no convention for routing: its
    /// fields go to the `torq.routing.*` namespace.
    public static let routingDecision = EventSchema(
        eventType: .routingDecision, summary: "One choice of the agent that handles a query.",
        fields: [
            FieldDefinition(.query, .string, .required, "The query being routed.",
                            openTelemetry: "`torq.routing.query` (opt-in content)"),
            FieldDefinition(.selectedAgent, .string, .required, "The agent chosen.",
                            openTelemetry: "`torq.routing.selected_agent`"),
            FieldDefinition(.routingStrategy, .string, .required, "`semantic`, `keyword`, `llm`, … (open set).",
                            openTelemetry: "`torq.routing.strategy`"),
            FieldDefinition(.confidenceScore, .score, .required, "Confidence in the choice, 0–1.",
                            openTelemetry: "`torq.routing.confidence_score`"),
            FieldDefinition(.routingTimeMs, .milliseconds, .recommended, "How long the decision took.",
                            openTelemetry: "span duration"),
            FieldDefinition(.candidateAgents, .array, .recommended, "The agents considered.",
                            openTelemetry: "`torq.routing.candidate_agents`"),
        ],
        openTelemetryOperation: "torq.route", recordedBy: "recordRoutingDecision")

    // MARK: - Span events

    /// `span_start`: a span of a trace begins (`trace_id` and `span_id` are set).
    public static let spanStart = EventSchema(
        eventType: .spanStart, summary: "A tracing span begins.",
        fields: [
            FieldDefinition(.name, .string, .required, "The span's name, e.g. `invoke_agent research_agent`.",
                            openTelemetry: "span name"),
            FieldDefinition(.kind, .string, .optional, "`internal`, `client`, `server`, `producer`, `consumer`.",
                            openTelemetry: "span kind"),
        ],
        openTelemetryOperation: "", recordedBy: "startSpan")

    /// `span_end`: a span of a trace ends (`trace_id` and `span_id` are set).
    public static let spanEnd = EventSchema(
        eventType: .spanEnd, summary: "A tracing span ends.",
        fields: [
            FieldDefinition(.name, .string, .required, "The span's name, as at its start.",
                            openTelemetry: "span name"),
            FieldDefinition(.status, .string, .required, "`ok`, `error` or `unset`.",
                            openTelemetry: "span status code"),
            FieldDefinition(.durationMs, .milliseconds, .recommended, "Time since the span's start.",
                            openTelemetry: "span end − start"),
            FieldDefinition(.errorMessage, .string, .optional, "What went wrong, when status is `error`.",
                            openTelemetry: "span status message; `error.type`"),
        ],
        openTelemetryOperation: "", recordedBy: "endSpan")
}

/// The name of every field of the schema, each spelled once: here, in the
/// ``staticMember`` table below. The field table above, the encoder and
/// decoder, the analytics, the trace views, the OTLP export, the tracer and
/// the command-line views all take their names from it (a test fails on a
/// field name spelled as a string literal anywhere else under `Sources`).
///
/// A name is spelled in the form the encoder writes, `,"name":`, so that
/// writing a member stays one copy of static bytes (the encoder's hot path);
/// ``utf8`` is the name's bytes within it (the scanners compare them), and
/// ``key`` the name as a `String`, made once per field.
public enum EventField: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // The common fields
    case eventID, eventType, timestamp, sessionID, runID, traceID, spanID, parentSpanID, attributes
    // `agent_run` (besides the fields named before)
    case agentName, agentType, status, userQuery, confidenceScore, toolsUsed, totalTokens
    // `tool_execution` (besides the fields named before)
    case toolName, toolType, executionTimeMs, success
    // `model_interaction` (besides the fields named before)
    case modelProvider, modelName, promptTokens, responseTimeMs, completionTokens
    // `memory_operation` (besides the fields named before)
    case memoryType, memoryBackend, operationType, operationTimeMs, cacheHit
    // `routing_decision` (besides the fields named before)
    case query, selectedAgent, routingStrategy, routingTimeMs, candidateAgents
    // The span events
    case name, kind, durationMs, errorMessage

    /// `,"name":`, as static UTF-8: what the encoder writes before the
    /// field's value. A constant wherever the case is known.
    @inlinable @inline(__always)
    public var staticMember: StaticString {
        switch self {
        case .eventID: #","event_id":"#
        case .eventType: #","event_type":"#
        case .timestamp: #","timestamp":"#
        case .sessionID: #","session_id":"#
        case .runID: #","run_id":"#
        case .traceID: #","trace_id":"#
        case .spanID: #","span_id":"#
        case .parentSpanID: #","parent_span_id":"#
        case .attributes: #","attributes":"#
        case .agentName: #","agent_name":"#
        case .agentType: #","agent_type":"#
        case .status: #","status":"#
        case .userQuery: #","user_query":"#
        case .confidenceScore: #","confidence_score":"#
        case .toolsUsed: #","tools_used":"#
        case .totalTokens: #","total_tokens":"#
        case .toolName: #","tool_name":"#
        case .toolType: #","tool_type":"#
        case .executionTimeMs: #","execution_time_ms":"#
        case .success: #","success":"#
        case .modelProvider: #","model_provider":"#
        case .modelName: #","model_name":"#
        case .promptTokens: #","prompt_tokens":"#
        case .responseTimeMs: #","response_time_ms":"#
        case .completionTokens: #","completion_tokens":"#
        case .memoryType: #","memory_type":"#
        case .memoryBackend: #","memory_backend":"#
        case .operationType: #","operation_type":"#
        case .operationTimeMs: #","operation_time_ms":"#
        case .cacheHit: #","cache_hit":"#
        case .query: #","query":"#
        case .selectedAgent: #","selected_agent":"#
        case .routingStrategy: #","routing_strategy":"#
        case .routingTimeMs: #","routing_time_ms":"#
        case .candidateAgents: #","candidate_agents":"#
        case .name: #","name":"#
        case .kind: #","kind":"#
        case .durationMs: #","duration_ms":"#
        case .errorMessage: #","error_message":"#
        }
    }

    /// The UTF-8 bytes of the JSON key (static memory, inside ``staticMember``).
    @inlinable @inline(__always)
    public var utf8: UnsafeRawBufferPointer {
        let member = staticMember
        return UnsafeRawBufferPointer(start: member.utf8Start + 2, count: member.utf8CodeUnitCount - 4)
    }

    /// The JSON key.
    @inlinable
    public var key: String { Self.keys[rawValue] }

    /// The JSON key.
    public var description: String { key }

    /// The field whose JSON key is `key`; nil for a key that is not a field of the schema.
    public init?(key: String) {
        guard let field = Self.byKey[key] else { return nil }
        self = field
    }

    /// ``key`` of every case, by raw value: each `String` made once, so
    /// reading a key neither allocates nor copies.
    @usableFromInline
    static let keys: [String] = allCases.map { String(decoding: $0.utf8, as: UTF8.self) }

    private static let byKey: [String: EventField] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.key, $0) })
}
