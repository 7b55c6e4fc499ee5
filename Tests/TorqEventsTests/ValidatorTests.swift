import Foundation
import Testing
import TorqTestSupport
@testable import TorqEvents
import TorqTelemetry

@Suite("Validator")
struct ValidatorTests {
    static let base = #"{"event_id":"e-1","event_type":"model_interaction","timestamp":"2026-03-01T12:00:00.5Z","session_id":"s-1","#
        + #""model_provider":"anthropic","model_name":"claude","prompt_tokens":200,"response_time_ms":1200,"#
        + #""total_tokens":350,"completion_tokens":150,"success":true}"#

    /// `base` with `field` set to the raw JSON `value` (nil removes it).
    static func with(_ field: String, _ value: String?) throws -> String {
        guard var object = foundationObject(base) else { throw HarnessError("bad base") }
        object[field] = nil
        var text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        if let value {
            text.removeLast()
            text += ",\"\(field)\":\(value)}"
        }
        return text
    }

    static func validate(_ text: String) throws -> EventValidation {
        var validator = try EventValidator()
        return validator.validate(json: text)
    }

    @Test("a complete event is compliant, with full score")
    func compliant() throws {
        let r = try Self.validate(Self.base)
        #expect(r.isCompliant)
        #expect(r.fieldScore == 1)
        #expect(r.issues.isEmpty && r.recommendationIssues.isEmpty)
        #expect(r.eventType == .modelInteraction)
    }

    @Test("every reason, with the field", arguments: [
        ("prompt_tokens", nil, "missing"), ("prompt_tokens", "null", "null"), ("prompt_tokens", #""200""#, "wrong_type"),
        ("prompt_tokens", "2.5", "wrong_type"), ("prompt_tokens", "-3", "out_of_range"), ("response_time_ms", "-0.5", "out_of_range"),
        ("response_time_ms", "true", "wrong_type"), ("model_name", "7", "wrong_type"), ("model_name", "[]", "wrong_type"),
        ("timestamp", #""2026-03-01 12:00:00""#, "invalid_format"), ("timestamp", "1772366400", "wrong_type"),
        ("event_id", "{}", "wrong_type"), ("session_id", nil, "missing"), ("event_type", #""model""#, "unknown_event_type"),
    ] as [(String, String?, String)])
    func reasons(_ field: String, _ value: String?, _ reason: String) throws {
        let r = try Self.validate(try Self.with(field, value))
        #expect(!r.isCompliant)
        #expect(r.issues.count == (field == "event_type" ? 1 : 1))
        #expect(r.issues.first?.field == field)
        #expect(r.issues.first?.reason.rawValue == reason)
        #expect(r.fieldScore < 1)
    }

    @Test("score in [0, 1] for routing decisions")
    func confidence() throws {
        let base = #"{"event_id":"e","event_type":"routing_decision","timestamp":"2026-03-01T12:00:00Z","session_id":"s","query":"q","selected_agent":"a","routing_strategy":"r","confidence_score":"#
        for (value, ok) in [("0", true), ("1", true), ("0.999", true), ("1.0", true), ("1.01", false), ("-0.01", false), ("2", false)] {
            let r = try Self.validate(base + value + "}")
            #expect(r.isCompliant == ok, "\(value)")
            if !ok { #expect(r.issues.first?.reason == .outOfRange) }
        }
    }

    @Test("unknown event types are not compliant; only the common fields are checked")
    func unknownType() throws {
        let r = try Self.validate(#"{"event_id":"e","event_type":"span_start","timestamp":"2026-03-01T12:00:00Z","session_id":"s"}"#)
        #expect(!r.isCompliant)
        #expect(r.eventType == .spanStart)
        #expect(r.issues.map(\.reason) == [.unknownEventType])
        #expect(r.fieldScore == 0.75)
        let missing = try Self.validate(#"{"event_id":"e","timestamp":"2026-03-01T12:00:00Z"}"#)
        #expect(missing.eventType == nil)
        #expect(missing.issues.map(\.field) == ["event_type", "session_id"])
        #expect(missing.issues.map(\.reason) == [.missing, .missing])
    }

    @Test("lines that are not JSON objects", arguments: ["[1,2]", "\"x\"", "3", "null", "{", "{\"a\":1}{}", "", "\u{FEFF}{}", "{\"a\":\"\u{1}\"}"])
    func notObjects(_ text: String) throws {
        let r = try Self.validate(text)
        #expect(!r.isCompliant)
        #expect(r.issues.count == 1)
        #expect(r.issues.first?.reason == .notAnObject)
        #expect(r.fieldScore == 0)
    }

    @Test("recommended fields never make an event non-compliant, but are reported")
    func recommended() throws {
        let r = try Self.validate(try Self.with("success", #""yes""#))
        #expect(r.isCompliant)
        #expect(r.recommendationIssues.map(\.field) == ["success"])
        #expect(r.recommendationIssues.first?.reason == .wrongType)
        let none = try Self.validate(try Self.with("completion_tokens", nil))
        #expect(none.isCompliant)
        #expect(none.recommendationIssues.first?.reason == .missing)
    }

    @Test("unknown fields, no run_id, unicode and huge fields are fine")
    func lenient() throws {
        #expect(try Self.validate(try Self.with("x_extra", #"{"deep":[[[[{"a":null}]]]]}"#)).isCompliant)
        #expect(try Self.validate(Self.base).isCompliant) // base has no run_id
        #expect(try Self.validate(try Self.with("model_name", #""模型 🚀 \u00e9 \ud83d\ude00 \"q\"""#)).isCompliant)
        let huge = "\"" + String(repeating: "ü", count: 3_000_000) + "\""
        #expect(try Self.validate(try Self.with("model_name", huge)).isCompliant)
        #expect(try Self.validate(try Self.with("x_blob", huge)).isCompliant)
    }

    @Test("a repeated key: the first occurrence counts, as in the store's indexing")
    func duplicates() throws {
        let first = try Self.validate(Self.base.replacingOccurrences(of: #""prompt_tokens":200"#, with: #""prompt_tokens":200,"prompt_tokens":"x""#))
        #expect(first.isCompliant)
        let second = try Self.validate(Self.base.replacingOccurrences(of: #""prompt_tokens":200"#, with: #""prompt_tokens":"x","prompt_tokens":200"#))
        #expect(!second.isCompliant)
    }

    @Test("timestamps: RFC 3339 with an offset", arguments: ViolationCorpus.validTimestamps.map { ($0, true) } + ViolationCorpus.invalidTimestamps.map { ($0, false) })
    func timestamps(_ stamp: String, _ valid: Bool) throws {
        let r = try Self.validate(try Self.with("timestamp", "\"\(stamp)\""))
        #expect(r.isCompliant == valid, "\(stamp)")
    }

    @Test("typed events validate as encoded")
    func typed() throws {
        var validator = try EventValidator()
        var workload = SampleWorkload(seed: 3)
        for _ in 0..<500 {
            let event = workload.nextEvent()
            #expect(validator.validate(event.event).isCompliant)
        }
    }

    @Test("the in-memory batch report counts what the validator says")
    func batchReport() throws {
        let cases = ViolationCorpus.make()
        var validator = try EventValidator()
        let compliant = cases.filter { validator.validate(json: $0.line).isCompliant }.count
        let report = try ComplianceScanner().report(jsonLines: cases.map { Array($0.line.utf8) })
        #expect(report.totalEvents == cases.count)
        #expect(report.compliantEvents == compliant)
    }
}
