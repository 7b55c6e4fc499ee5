/// The schema of one event type: the fields it adds to the common ones, and
/// its place in OpenTelemetry.
///
/// This table is the single source of truth: the validator, the compliance
/// scanner, `torqlog schema` (JSON Schema) and the README's OpenTelemetry
/// mapping are all derived from it.
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
    package static let typeField = "event_type"
    package static let runField = "run_id"
    package static let timeField = "timestamp"

    /// The fields every event has, first in every event.
    public static let commonFields: [FieldDefinition] = [
        FieldDefinition("event_id", .string, .required, "Unique id of the event (a UUID by convention).",
                        openTelemetry: "`torq.event.id`"),
        FieldDefinition("event_type", .eventType, .required, "Which of the event types this is.",
                        openTelemetry: "`gen_ai.operation.name` (per type, see below)"),
        FieldDefinition("timestamp", .timestamp, .required, "When the operation ended, RFC 3339 (written in UTC).",
                        openTelemetry: "span end time (start = end − the type's duration)"),
        FieldDefinition("session_id", .string, .required, "The user session or conversation the event belongs to.",
                        openTelemetry: "`gen_ai.conversation.id`"),
        FieldDefinition("run_id", .string, .optional, "The agent run the event belongs to; the store indexes it.",
                        openTelemetry: "`torq.run.id`"),
        FieldDefinition("trace_id", .traceID, .optional, "W3C trace id: 32 lowercase hex digits.",
                        openTelemetry: "span `trace_id`"),
        FieldDefinition("span_id", .spanID, .optional, "W3C span id of the operation: 16 lowercase hex digits.",
                        openTelemetry: "span `span_id`"),
        FieldDefinition("parent_span_id", .spanID, .optional, "Span id of the enclosing operation.",
                        openTelemetry: "span `parent_span_id`"),
        FieldDefinition("attributes", .object, .optional, "Free-form attributes.",
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
            FieldDefinition("agent_name", .string, .required, "The agent's name, e.g. `code_generation_agent`.",
                            openTelemetry: "`gen_ai.agent.name`"),
            FieldDefinition("agent_type", .string, .required, "The agent's kind or framework, e.g. `marvin_agent`.",
                            openTelemetry: "`torq.agent.type`"),
            FieldDefinition("status", .string, .required, "`started`, `completed`, `failed`, … (open set).",
                            openTelemetry: "span status (`error.type` when failed)"),
            FieldDefinition("user_query", .string, .recommended, "The query the run answers.",
                            openTelemetry: "`gen_ai.input.messages` (opt-in content)"),
            FieldDefinition("confidence_score", .score, .recommended, "The agent's confidence in its answer, 0–1.",
                            openTelemetry: "`torq.agent.confidence_score`"),
            FieldDefinition("tools_used", .array, .recommended, "Names of the tools the run called.",
                            openTelemetry: "`torq.agent.tools_used`"),
            FieldDefinition("total_tokens", .tokenCount, .recommended, "Tokens used by the whole run.",
                            openTelemetry: "`torq.usage.total_tokens` (the conventions count input and output tokens only)"),
        ],
        openTelemetryOperation: "invoke_agent", recordedBy: "startAgentRun/completeAgentRun")

    /// `tool_execution`.
    public static let toolExecution = EventSchema(
        eventType: .toolExecution, summary: "One call of a tool by an agent.",
        fields: [
            FieldDefinition("tool_name", .string, .required, "The tool's name, e.g. `file_writer`.",
                            openTelemetry: "`gen_ai.tool.name`"),
            FieldDefinition("tool_type", .string, .required, "`read`, `write`, `search`, `execute`, … (open set).",
                            openTelemetry: "`gen_ai.tool.type`"),
            FieldDefinition("status", .string, .required, "`completed`, `failed`, `timeout`, … (open set).",
                            openTelemetry: "span status (`error.type` when failed)"),
            FieldDefinition("execution_time_ms", .milliseconds, .recommended, "How long the tool ran.",
                            openTelemetry: "span duration"),
            FieldDefinition("success", .boolean, .recommended, "Whether the call succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
        ],
        openTelemetryOperation: "execute_tool", recordedBy: "recordToolExecution")

    /// `model_interaction`.
    public static let modelInteraction = EventSchema(
        eventType: .modelInteraction, summary: "One request to a model and its response.",
        fields: [
            FieldDefinition("model_provider", .string, .required, "`anthropic`, `openai`, … (open set).",
                            openTelemetry: "`gen_ai.provider.name`"),
            FieldDefinition("model_name", .string, .required, "The model requested, e.g. `claude-3-5-sonnet`.",
                            openTelemetry: "`gen_ai.request.model`"),
            FieldDefinition("prompt_tokens", .tokenCount, .required, "Tokens in the prompt.",
                            openTelemetry: "`gen_ai.usage.input_tokens`"),
            FieldDefinition("response_time_ms", .milliseconds, .required, "Time from request to full response.",
                            openTelemetry: "span duration; metric `gen_ai.client.operation.duration` (s)"),
            FieldDefinition("total_tokens", .tokenCount, .recommended, "Prompt plus completion tokens.",
                            openTelemetry: "`torq.usage.total_tokens` (the conventions count input and output tokens only)"),
            FieldDefinition("completion_tokens", .tokenCount, .recommended, "Tokens in the response.",
                            openTelemetry: "`gen_ai.usage.output_tokens`"),
            FieldDefinition("success", .boolean, .recommended, "Whether the request succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
        ],
        openTelemetryOperation: "chat", recordedBy: "recordModelInteraction")

    /// `memory_operation`.
    public static let memoryOperation = EventSchema(
        eventType: .memoryOperation, summary: "One read, write or search of an agent's memory.",
        fields: [
            FieldDefinition("memory_type", .string, .required, "`short_term`, `long_term`, `episodic`, … (open set).",
                            openTelemetry: "`torq.memory.type`"),
            FieldDefinition("memory_backend", .string, .required, "Where the memory lives: `redis`, `pgvector`, …",
                            openTelemetry: "`db.system.name`; `gen_ai.memory.store.id`"),
            FieldDefinition("operation_type", .string, .required, "`read`, `write`, `search`, `update`, `delete` (open set).",
                            openTelemetry: "`gen_ai.operation.name`: search/read → `search_memory`, write → `create_memory`, update → `update_memory`, delete → `delete_memory`"),
            FieldDefinition("operation_time_ms", .milliseconds, .required, "How long the operation took.",
                            openTelemetry: "span duration"),
            FieldDefinition("success", .boolean, .recommended, "Whether the operation succeeded.",
                            openTelemetry: "span status (ERROR when false)"),
            FieldDefinition("cache_hit", .boolean, .recommended, "Whether a cache answered.",
                            openTelemetry: "`torq.memory.cache_hit`"),
        ],
        openTelemetryOperation: "search_memory", recordedBy: "recordMemoryOperation")

    /// `routing_decision`. OpenTelemetry has no convention for routing: its
    /// fields go to the `torq.routing.*` namespace.
    public static let routingDecision = EventSchema(
        eventType: .routingDecision, summary: "One choice of the agent that handles a query.",
        fields: [
            FieldDefinition("query", .string, .required, "The query being routed.",
                            openTelemetry: "`torq.routing.query` (opt-in content)"),
            FieldDefinition("selected_agent", .string, .required, "The agent chosen.",
                            openTelemetry: "`torq.routing.selected_agent`"),
            FieldDefinition("routing_strategy", .string, .required, "`semantic`, `keyword`, `llm`, … (open set).",
                            openTelemetry: "`torq.routing.strategy`"),
            FieldDefinition("confidence_score", .score, .required, "Confidence in the choice, 0–1.",
                            openTelemetry: "`torq.routing.confidence_score`"),
            FieldDefinition("routing_time_ms", .milliseconds, .recommended, "How long the decision took.",
                            openTelemetry: "span duration"),
            FieldDefinition("candidate_agents", .array, .recommended, "The agents considered.",
                            openTelemetry: "`torq.routing.candidate_agents`"),
        ],
        openTelemetryOperation: "torq.route", recordedBy: "recordRoutingDecision")

    // MARK: - Span events

    /// `span_start`: a span of a trace begins (`trace_id` and `span_id` are set).
    public static let spanStart = EventSchema(
        eventType: .spanStart, summary: "A tracing span begins.",
        fields: [
            FieldDefinition("name", .string, .required, "The span's name, e.g. `invoke_agent research_agent`.",
                            openTelemetry: "span name"),
            FieldDefinition("kind", .string, .optional, "`internal`, `client`, `server`, `producer`, `consumer`.",
                            openTelemetry: "span kind"),
        ],
        openTelemetryOperation: "", recordedBy: "startSpan")

    /// `span_end`: a span of a trace ends (`trace_id` and `span_id` are set).
    public static let spanEnd = EventSchema(
        eventType: .spanEnd, summary: "A tracing span ends.",
        fields: [
            FieldDefinition("name", .string, .required, "The span's name, as at its start.",
                            openTelemetry: "span name"),
            FieldDefinition("status", .string, .required, "`ok`, `error` or `unset`.",
                            openTelemetry: "span status code"),
            FieldDefinition("duration_ms", .milliseconds, .recommended, "Time since the span's start.",
                            openTelemetry: "span end − start"),
            FieldDefinition("error_message", .string, .optional, "What went wrong, when status is `error`.",
                            openTelemetry: "span status message; `error.type`"),
        ],
        openTelemetryOperation: "", recordedBy: "endSpan")
}
