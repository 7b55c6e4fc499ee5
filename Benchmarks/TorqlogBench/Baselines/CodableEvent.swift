import Foundation
import TorqTelemetry
import TorqJSON

/// The naive baselines' event: one Codable struct with every field of the
/// five event types (optional ones left nil), encoded by Foundation's
/// `JSONEncoder` — what one writes first in Swift, like the seed's dataclass
/// and `json.dumps`. Keys are snake_case through explicit coding keys (not the
/// slower `convertToSnakeCase`); `timestamp` is a `Date` (the encoder's
/// `.iso8601` strategy, whole seconds); nil fields are left out.
struct CodableEvent: Codable, Sendable {
    var eventID: String
    var eventType: String
    var timestamp: Date
    var sessionID: String
    var runID: String?
    var traceID: String?
    var spanID: String?
    var parentSpanID: String?
    // agent_run
    var agentName: String?
    var agentType: String?
    var status: String?
    var userQuery: String?
    var toolsUsed: [String]?
    // tool_execution
    var toolName: String?
    var toolType: String?
    var executionTimeMs: Double?
    // model_interaction
    var modelProvider: String?
    var modelName: String?
    var promptTokens: Int?
    var completionTokens: Int?
    var totalTokens: Int?
    var responseTimeMs: Double?
    // memory_operation
    var memoryType: String?
    var memoryBackend: String?
    var operationType: String?
    var operationTimeMs: Double?
    var cacheHit: Bool?
    // routing_decision
    var query: String?
    var selectedAgent: String?
    var routingStrategy: String?
    var confidenceScore: Double?
    var routingTimeMs: Double?
    var candidateAgents: [String]?
    // span_start / span_end
    var name: String?
    var kind: String?
    var durationMs: Double?
    var errorMessage: String?
    var success: Bool?
    var attributes: [String: TelemetryValue]?

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", eventType = "event_type", timestamp, sessionID = "session_id", runID = "run_id"
        case traceID = "trace_id", spanID = "span_id", parentSpanID = "parent_span_id"
        case agentName = "agent_name", agentType = "agent_type", status, userQuery = "user_query", toolsUsed = "tools_used"
        case toolName = "tool_name", toolType = "tool_type", executionTimeMs = "execution_time_ms"
        case modelProvider = "model_provider", modelName = "model_name", promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens", totalTokens = "total_tokens", responseTimeMs = "response_time_ms"
        case memoryType = "memory_type", memoryBackend = "memory_backend", operationType = "operation_type"
        case operationTimeMs = "operation_time_ms", cacheHit = "cache_hit"
        case query, selectedAgent = "selected_agent", routingStrategy = "routing_strategy", confidenceScore = "confidence_score"
        case routingTimeMs = "routing_time_ms", candidateAgents = "candidate_agents"
        case name, kind, durationMs = "duration_ms", errorMessage = "error_message", success, attributes
    }

    init(eventID: String, eventType: String, timestamp: Date, sessionID: String, runID: String? = nil) {
        self.eventID = eventID
        self.eventType = eventType
        self.timestamp = timestamp
        self.sessionID = sessionID
        self.runID = runID
    }

    /// The same event as a typed one of the schema (its unknown top-level fields are not carried over).
    init(_ any: AnyTelemetryEvent) {
        let h = any.header
        self.init(eventID: h.eventID, eventType: any.eventType.rawValue,
                  timestamp: Date(timeIntervalSince1970: Double(h.timestamp) / 1e9), sessionID: h.sessionID, runID: h.runID)
        traceID = h.traceID?.description
        spanID = h.spanID?.description
        parentSpanID = h.parentSpanID?.description
        attributes = h.attributes.isEmpty ? nil : h.attributes
        switch any {
        case .agentRun(let e):
            (agentName, agentType, status, userQuery) = (e.agentName, e.agentType, e.status.rawValue, e.userQuery)
            (confidenceScore, toolsUsed, totalTokens) = (e.confidenceScore, e.toolsUsed, e.totalTokens)
        case .toolExecution(let e):
            (toolName, toolType, status, executionTimeMs, success) = (e.toolName, e.toolType.rawValue, e.status.rawValue, e.executionTimeMs, e.success)
        case .modelInteraction(let e):
            (modelProvider, modelName, promptTokens, responseTimeMs) = (e.modelProvider.rawValue, e.modelName, e.promptTokens, e.responseTimeMs)
            (totalTokens, completionTokens, success) = (e.totalTokens, e.completionTokens, e.success)
        case .memoryOperation(let e):
            (memoryType, memoryBackend, operationType, operationTimeMs) = (e.memoryType, e.memoryBackend, e.operationType, e.operationTimeMs)
            (success, cacheHit) = (e.success, e.cacheHit)
        case .routingDecision(let e):
            (query, selectedAgent, routingStrategy, confidenceScore) = (e.query, e.selectedAgent, e.routingStrategy, e.confidenceScore)
            (routingTimeMs, candidateAgents) = (e.routingTimeMs, e.candidateAgents)
        case .spanStart(let e):
            (name, kind) = (e.name, e.kind)
        case .spanEnd(let e):
            (name, status, durationMs, errorMessage) = (e.name, e.status, e.durationMs, e.errorMessage)
        }
    }

    /// The encoder the naive baselines use (one, reused).
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
