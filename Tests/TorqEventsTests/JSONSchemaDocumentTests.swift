import Foundation
import Testing
import TorqTestSupport
@testable import TorqEvents
import TorqTelemetry

@Suite("JSON Schema documents")
struct JSONSchemaDocumentTests {
    @Test("the combined schema is draft 2020-12 JSON, with the five types")
    func combined() throws {
        let text = try #require(EventJSONSchema.document())
        let object = try #require(foundationObject(text))
        #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(object["type"] as? String == "object")
        #expect(object["required"] as? [String] == ["event_id", "event_type", "timestamp", "session_id"])
        let defs = try #require(object["$defs"] as? [String: Any])
        #expect(Set(defs.keys) == Set(EventType.complianceTypes.map(\.rawValue)))
        let model = try #require(defs["model_interaction"] as? [String: Any])
        #expect(model["required"] as? [String] == ["model_provider", "model_name", "prompt_tokens", "response_time_ms"])
        let properties = try #require(model["properties"] as? [String: Any])
        let tokens = try #require(properties["prompt_tokens"] as? [String: Any])
        #expect(tokens["type"] as? String == "integer")
        #expect(tokens["minimum"] as? Int == 0)
    }

    @Test("one type's schema")
    func single() throws {
        for type in EventType.complianceTypes {
            let text = try #require(EventJSONSchema.document(for: type))
            let object = try #require(foundationObject(text))
            let required = try #require(object["required"] as? [String])
            #expect(required == EventSchema.named(type)?.requiredFields.map(\.name))
            let properties = try #require(object["properties"] as? [String: Any])
            #expect((properties["event_type"] as? [String: Any])?["const"] as? String == type.rawValue)
        }
        #expect(EventJSONSchema.document(for: .spanStart) == nil)
        #expect(EventJSONSchema.document(for: "nope") == nil)
    }
}
