import TorqEvents
import TorqJSON

/// The GenAI call a span (or a span-less log record) describes, from its
/// `gen_ai.operation.name` or, for OpenInference (Phoenix) instrumentation,
/// its `openinference.span.kind`; nil for anything else (a CHAIN, a plain span).
struct GenAICall: Equatable {
    static let operationNameKey = "gen_ai.operation.name"
    static let openInferenceKindKey = "openinference.span.kind"

    /// The typed event it gives.
    let eventType: EventType
    /// The operation as written (`chat`, `search_memory`, `LLM`, `RETRIEVER`, …).
    let operation: String

    /// The call of `attributes`; `gen_ai.operation.name` is read first.
    init?(_ attributes: [String: TelemetryValue]) {
        if case .string(let operation)? = attributes[Self.operationNameKey], let type = Self.operations[operation] {
            self.eventType = type
            self.operation = operation
        } else if case .string(let kind)? = attributes[Self.openInferenceKindKey], let type = Self.openInferenceKinds[kind.uppercased()] {
            self.eventType = type
            self.operation = kind
        } else {
            return nil
        }
    }

    /// Whether `attributes` name an operation at all (a known one or not).
    static func namesOperation(_ attributes: [String: TelemetryValue]) -> Bool {
        if case .string? = attributes[operationNameKey] { return true }
        return false
    }

    /// `gen_ai.operation.name` values of the GenAI semantic conventions.
    static let operations: [String: EventType] = [
        "chat": .modelInteraction, "text_completion": .modelInteraction, "generate_content": .modelInteraction,
        "embeddings": .modelInteraction,
        "execute_tool": .toolExecution,
        "invoke_agent": .agentRun, "create_agent": .agentRun, "invoke_workflow": .agentRun,
        "create_memory": .memoryOperation, "search_memory": .memoryOperation, "update_memory": .memoryOperation,
        "upsert_memory": .memoryOperation, "delete_memory": .memoryOperation, "retrieval": .memoryOperation,
    ]

    /// `openinference.span.kind` values that give a typed event (CHAIN,
    /// RERANKER, GUARDRAIL, EVALUATOR, … give none).
    static let openInferenceKinds: [String: EventType] = [
        "LLM": .modelInteraction, "EMBEDDING": .modelInteraction, "TOOL": .toolExecution, "AGENT": .agentRun,
        "RETRIEVER": .memoryOperation,
    ]

    /// `operation_type` of a memory operation named only by its operation.
    var memoryOperationType: String {
        switch operation {
        case "create_memory": "write"
        case "update_memory": "update"
        case "upsert_memory": "upsert"
        case "delete_memory": "delete"
        default: "search"  // search_memory, retrieval, RETRIEVER
        }
    }
}
