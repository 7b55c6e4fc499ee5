import Foundation
import Testing
import TorqTestSupport
@testable import TorqEvents
import TorqTelemetry
import TorqJSON

@Suite("Event schema")
struct SchemaTests {
    @Test("the five types and their required fields are the seed's")
    func requiredFields() {
        let expected: [String: [String]] = [
            "agent_run": ["agent_name", "agent_type", "status"],
            "tool_execution": ["tool_name", "tool_type", "status"],
            "model_interaction": ["model_provider", "model_name", "prompt_tokens", "response_time_ms"],
            "memory_operation": ["memory_type", "memory_backend", "operation_type", "operation_time_ms"],
            "routing_decision": ["query", "selected_agent", "routing_strategy", "confidence_score"],
        ]
        #expect(EventType.complianceTypes.map(\.rawValue) == ["agent_run", "tool_execution", "model_interaction", "memory_operation", "routing_decision"])
        for schema in EventSchema.complianceSchemas {
            let names = schema.requiredFields.map(\.name)
            #expect(names == ["event_id", "event_type", "timestamp", "session_id"] + (expected[schema.eventType.rawValue] ?? []))
            // Slot tables of the validator hold at most 16 fields.
            #expect(schema.requiredFields.count + schema.recommendedFields.count <= 16)
        }
    }

    @Test("recommended fields are the seed's")
    func recommendedFields() {
        let expected: [String: [String]] = [
            "agent_run": ["user_query", "confidence_score", "tools_used", "total_tokens"],
            "tool_execution": ["execution_time_ms", "success"],
            "model_interaction": ["total_tokens", "completion_tokens", "success"],
            "memory_operation": ["success", "cache_hit"],
            "routing_decision": ["routing_time_ms", "candidate_agents"],
        ]
        for schema in EventSchema.complianceSchemas {
            #expect(schema.recommendedFields.map(\.name) == expected[schema.eventType.rawValue] ?? [], "\(schema.eventType)")
        }
    }

    @Test("common fields and span events")
    func commonAndSpans() {
        #expect(EventSchema.commonFields.map(\.name) == ["event_id", "event_type", "timestamp", "session_id", "run_id", "trace_id",
                                                          "span_id", "parent_span_id", "attributes"])
        #expect(EventSchema.named(.spanStart)?.eventType == .spanStart)
        #expect(EventSchema.named(.spanEnd)?.requiredFields.map(\.name).contains("status") == true)
        #expect(EventSchema.named("no_such_type") == nil)
        #expect(!EventType.complianceTypes.contains(.spanStart))
    }

    @Test("every field maps to OpenTelemetry; routing uses the torq.routing namespace")
    func openTelemetryMapping() {
        for schema in EventSchema.complianceSchemas + EventSchema.spanSchemas {
            for field in schema.fields { #expect(!field.openTelemetry.isEmpty, "\(schema.eventType).\(field.name)") }
        }
        for field in EventSchema.commonFields { #expect(!field.openTelemetry.isEmpty) }
        #expect(EventSchema.routingDecision.fields.allSatisfy { $0.openTelemetry.contains("torq.routing.") || $0.openTelemetry == "span duration" })
        #expect(EventSchema.modelInteraction.fields.first { $0.name == "prompt_tokens" }?.openTelemetry.contains("gen_ai.usage.input_tokens") == true)
        #expect(EventSchema.modelInteraction.fields.first { $0.name == "model_provider" }?.openTelemetry.contains("gen_ai.provider.name") == true)
        #expect(EventSchema.toolExecution.fields.first { $0.name == "tool_name" }?.openTelemetry.contains("gen_ai.tool.name") == true)
        #expect(EventSchema.agentRun.openTelemetryOperation == "invoke_agent")
    }

    @Test("the README's OpenTelemetry table lists every field with the mapping of the Swift definitions")
    func readmeTable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        for field in EventSchema.commonFields {
            #expect(text.contains("| (all) | `\(field.name)` | \(field.requirement.rawValue) | \(field.openTelemetry) |"), "\(field.name)")
        }
        for schema in EventSchema.complianceSchemas + EventSchema.spanSchemas {
            for field in schema.fields {
                let row = "| \(schema.eventType.rawValue) | `\(field.name)` | \(field.requirement.rawValue) | \(field.openTelemetry) |"
                #expect(text.contains(row), "missing README row: \(row)")
            }
        }
    }

    @Test("open enumerations keep unknown values")
    func openEnumerations() {
        let provider = ModelProvider(rawValue: "my-own-llm")
        #expect(provider.rawValue == "my-own-llm")
        #expect(ModelProvider.anthropic.rawValue == "anthropic")
        #expect(ToolType(rawValue: "teleport").description == "teleport")
        #expect(EventStatus(rawValue: "completed") == .completed)
        #expect(EventType(rawValue: "agent_run") == .agentRun)
    }

    @Test("trace and span ids: 32 and 16 lowercase hex digits, never zero")
    func ids() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let t = TraceID.random(using: &rng), s = SpanID.random(using: &rng)
            #expect(t.description.count == 32 && s.description.count == 16)
            #expect(t.description.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(TraceID(hex: t.description) == t)
            #expect(SpanID(hex: s.description) == s)
        }
        #expect(TraceID(hex: "4BF92F3577B34DA6A3CE929D0E0E4736") == nil)
        #expect(TraceID(hex: String(repeating: "0", count: 32)) == nil)
        #expect(SpanID(hex: "00f067aa0ba902b7")?.value == 0x00f0_67aa_0ba9_02b7)
        #expect(SpanID(hex: "00f067aa0ba902b") == nil)
        #expect(TraceID(high: 0, low: 0) == nil)
        let id = EventHeader.randomEventID(using: &rng)
        let parts = id.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(Array(id)[14] == "4")
        #expect("89ab".contains(Array(id)[19]))
    }

    @Test("Codable where it helps: values and ids through Foundation's coders")
    func codable() throws {
        var rng = SeededGenerator(seed: 9)
        struct Box: Codable, Equatable {
            var value: TelemetryValue
            var trace: TraceID
            var span: SpanID
            var provider: ModelProvider
        }
        let box = Box(value: ["a": [1, 2.5, "x", nil, true], "b": ["c": "d"]], trace: TraceID.random(using: &rng),
                      span: SpanID.random(using: &rng), provider: "someone-new")
        let data = try JSONEncoder().encode(box)
        #expect(try JSONDecoder().decode(Box.self, from: data) == box)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TraceID.self, from: Data(#""XYZ""#.utf8)) }
    }
}
