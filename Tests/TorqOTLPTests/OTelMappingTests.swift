import Foundation
import Testing
import TorqAnalysis
import TorqEvents

@Suite("One table maps event fields to OpenTelemetry attributes, both ways, and renders the README's")
struct OTelMappingTests {
    @Test("every field of the schema has exactly one row, in the schema's order")
    func rowsAreTheSchema() {
        var expected: [String] = EventSchema.commonFields.map { "(all).\($0.name)" }
        for schema in EventSchema.complianceSchemas + EventSchema.spanSchemas {
            expected += schema.fields.map { "\(schema.eventType.rawValue).\($0.name)" }
        }
        let rows = OTelMapping.rows.map { "\($0.eventType?.rawValue ?? "(all)").\($0.field.key)" }
        #expect(rows == expected)
        #expect(OTelMapping.rows.allSatisfy { $0.definition != nil })
    }

    @Test("attribute → field → attribute: every attribute the receiver reads leads back to its field and the export's attribute")
    func tableBothDirections() {
        for row in OTelMapping.rows {
            for attribute in row.attributesRead {
                let field = OTelMapping.field(forAttribute: attribute, in: row.eventType)
                #expect(field == row.field, "\(attribute) in \(row.eventType?.rawValue ?? "(all)")")
                if let field { #expect(OTelMapping.attribute(for: field, in: row.eventType) == row.attribute) }
            }
            if let attribute = row.attribute {
                #expect(OTelMapping.field(forAttribute: attribute, in: row.eventType) == row.field)
            }
        }
        #expect(OTelMapping.field(forAttribute: "llm.model_name", in: .modelInteraction) == .modelName)
        #expect(OTelMapping.field(forAttribute: "gen_ai.system", in: .modelInteraction) == .modelProvider)
        #expect(OTelMapping.attribute(for: .promptTokens, in: .modelInteraction) == "gen_ai.usage.input_tokens")
        #expect(OTelMapping.field(forAttribute: "torq.run_id", in: nil) == .runID)
        #expect(OTelMapping.attribute(for: .executionTimeMs, in: .toolExecution) == nil, "span duration")
    }

    @Test("the README's OpenTelemetry mapping table is the one the code renders")
    func readmeTableIsRenderedFromTheCode() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = OTelMapping.readmeHeader.split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(of: header[0]) else {
            Issue.record("README.md has no table headed \(header[0])")
            return
        }
        let table = lines[start...].prefix { $0.hasPrefix("|") }.joined(separator: "\n")
        #expect(table == OTelMapping.readmeTable)
    }
}
