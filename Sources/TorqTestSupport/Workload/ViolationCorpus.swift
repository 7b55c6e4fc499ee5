/// A generated corpus of JSON lines covering every kind of violation of the
/// compliance rule, each with the verdict the test expects, decided here
/// independently of the library (by construction, not by validating).
package struct ViolationCorpus {
    /// One line and what the test expects of it.
    package struct Case {
        package var line: String
        /// The event type bucket: one of the five, `unknown`, or nil for a non-object.
        package var bucket: String?
        package var compliant: Bool
        /// The required field broken, and how (`missing`, `null`, `wrong_type`, ...), when one is.
        package var defect: (field: String, reason: String)?
        package var note: String
    }

    /// Required fields per type with the kind of value they take, in schema order.
    static let required: [String: [(String, Kind)]] = [
        "agent_run": [("agent_name", .string), ("agent_type", .string), ("status", .string)],
        "tool_execution": [("tool_name", .string), ("tool_type", .string), ("status", .string)],
        "model_interaction": [("model_provider", .string), ("model_name", .string), ("prompt_tokens", .count), ("response_time_ms", .millis)],
        "memory_operation": [("memory_type", .string), ("memory_backend", .string), ("operation_type", .string), ("operation_time_ms", .millis)],
        "routing_decision": [("query", .string), ("selected_agent", .string), ("routing_strategy", .string), ("confidence_score", .score)],
    ]
    static let recommended: [String: [(String, String)]] = [
        "agent_run": [("user_query", #""Generate a REST API""#), ("confidence_score", "0.92"), ("tools_used", #"["file_writer"]"#), ("total_tokens", "350")],
        "tool_execution": [("execution_time_ms", "150"), ("success", "true")],
        "model_interaction": [("total_tokens", "350"), ("completion_tokens", "150"), ("success", "true")],
        "memory_operation": [("success", "true"), ("cache_hit", "false")],
        "routing_decision": [("routing_time_ms", "12.5"), ("candidate_agents", #"["a","b"]"#)],
    ]
    static let types = ["agent_run", "tool_execution", "model_interaction", "memory_operation", "routing_decision"]

    enum Kind { case string, count, millis, score }

    static let goodValue: [Kind: String] = [.string: #""value""#, .count: "200", .millis: "1200.5", .score: "0.75"]

    /// Valid values beyond the obvious, per kind.
    static let alsoValid: [Kind: [String]] = [
        .string: [#""""#, #""日本語のクエリ 🚀""#, #""esc \" \\ \/ \b\f\n\r\t \u0000 \u001f \ud83d\ude00""#, #""Cafe\u0301 \u2028""#],
        .count: ["0", "5.0", "1e2", "-0", "18446744073709551615", "9007199254740993"],
        .millis: ["0", "0.0001", "1e3", "-0.0", "123456789012"],
        .score: ["0", "1", "1.0", "0.5", "1e-9", "-0.0"],
    ]
    /// Values of the wrong JSON type, per kind.
    static let wrongType: [Kind: [String]] = [
        .string: ["5", "true", "false", "[]", #"["x"]"#, "{}", #"{"a":1}"#, "0.5"],
        .count: [#""5""#, "true", "[]", "{}", "3.5", "-2.5", "1e-3"],
        .millis: [#""5""#, "false", "[1]", "{}"],
        .score: [#""0.5""#, "true", "[]", "{}"],
    ]
    /// Numbers out of range, per kind.
    static let outOfRange: [Kind: [String]] = [
        .string: [],
        .count: ["-1", "-9223372036854775808", "-1e3"],
        .millis: ["-1", "-0.001", "-1e9"],
        .score: ["-0.1", "1.0000001", "2", "18446744073709551615", "-1"],
    ]
    package static let validTimestamps = [
        "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123456Z", "2026-03-01t12:00:00z", "2026-03-01T12:00:00.1+02:00",
        "2026-03-01T12:00:00.123456789-07:30", "2000-02-29T00:00:00Z", "2024-02-29T23:59:59Z", "2026-12-31T23:59:60Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2026-06-30T00:00:00-00:00", "1600-02-29T10:00:00Z",
    ]
    package static let invalidTimestamps = [
        "", "2026-03-01", "2026-03-01T12:00:00", "2026-03-01 12:00:00Z", "2026-03-01T12:00Z", "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-03-00T00:00:00Z",
        "2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z", "2026-03-01T12:00:61Z", "2026-03-01T12:00:00.Z", "2026-03-01T12:00:00+24:00",
        "2026-03-01T12:00:00+02:60", "2026-03-01T12:00:00+0200", "2026-03-01T12:00:00Z ", " 2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00Zjunk", "２０２６-03-01T12:00:00Z", "2026-03-01T12:00:00\\u000aZ", "1772366400", "26-03-01T12:00:00Z",
        "2026-03-01T12:00:00Z\\n",
    ]

    /// Builds the corpus (deterministic).
    package static func make() -> [Case] {
        var cases: [Case] = []
        for type in types {
            let common: [(String, String)] = [("event_id", #""evt-1""#), ("event_type", "\"\(type)\""),
                                              ("timestamp", #""2026-03-01T12:00:00.123456Z""#), ("session_id", #""sess-1""#)]
            let requiredFields = required[type] ?? []
            let base = common + [("run_id", #""run-1""#)] + requiredFields.map { ($0.0, goodValue[$0.1] ?? "null") } + (recommended[type] ?? [])
            func line(_ fields: [(String, String)]) -> String {
                "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
            }
            func replacing(_ name: String, _ value: String?) -> [(String, String)] {
                value.map { v in base.map { $0.0 == name ? ($0.0, v) : $0 } } ?? base.filter { $0.0 != name }
            }
            func add(_ fields: [(String, String)], _ compliant: Bool, _ defect: (String, String)?, _ note: String, bucket: String? = nil) {
                cases.append(Case(line: line(fields), bucket: bucket ?? type, compliant: compliant, defect: defect, note: "\(type): \(note)"))
            }
            add(base, true, nil, "all fields")
            add(base.filter { $0.0 != "run_id" }, true, nil, "no run_id")
            add(base.filter { f in !(recommended[type] ?? []).contains { $0.0 == f.0 } }, true, nil, "no recommended fields")
            add(base + [("x_custom", #"{"nested":[1,2,{"k":null}]}"#), ("attributes", #"{"host":"w-1"}"#)], true, nil, "unknown fields")
            add(base + [("big", "\"" + String(repeating: "é", count: 40_000) + "\"")], true, nil, "huge field")
            for (name, _) in recommended[type] ?? [] {
                add(replacing(name, #"{"wrong":"type"}"#), true, nil, "\(name) recommended of the wrong type")
                add(replacing(name, "null"), true, nil, "\(name) recommended null")
            }
            for (name, _) in common {
                // Without a valid event_type the event counts as of unknown type.
                let bucket = name == "event_type" ? "unknown" : nil
                add(replacing(name, nil), false, (name, "missing"), "\(name) missing", bucket: bucket)
                add(replacing(name, "null"), false, (name, "null"), "\(name) null", bucket: bucket)
                add(replacing(name, "42"), false, (name, "wrong_type"), "\(name) a number", bucket: bucket)
                add(replacing(name, "[]"), false, (name, "wrong_type"), "\(name) an array", bucket: bucket)
            }
            // (span_start/span_end are tracing records, outside the rule: the scanner tests check them apart.)
            for bad in ["\"\(type.uppercased())\"", #""span_begin""#, #""""#, "\"\(type) \""] {
                add(replacing("event_type", bad), false, ("event_type", "unknown_event_type"), "event_type \(bad)", bucket: "unknown")
            }
            for stamp in validTimestamps {
                add(replacing("timestamp", "\"\(stamp)\""), true, nil, "timestamp \(stamp)")
            }
            for stamp in invalidTimestamps {
                add(replacing("timestamp", "\"\(stamp)\""), false, ("timestamp", "invalid_format"), "timestamp \(stamp)")
            }
            for (name, kind) in requiredFields {
                add(replacing(name, nil), false, (name, "missing"), "\(name) missing")
                add(replacing(name, "null"), false, (name, "null"), "\(name) null")
                for v in alsoValid[kind] ?? [] { add(replacing(name, v), true, nil, "\(name) = \(v)") }
                for v in wrongType[kind] ?? [] { add(replacing(name, v), false, (name, "wrong_type"), "\(name) = \(v)") }
                for v in outOfRange[kind] ?? [] { add(replacing(name, v), false, (name, "out_of_range"), "\(name) = \(v)") }
            }
            // Several defects at once.
            if let (first, _) = requiredFields.first {
                add(replacing(first, nil).filter { $0.0 != "session_id" }, false, (first, "missing"), "two fields missing")
            }
        }
        // Other event types, and no event type at all.
        for type in ["span_started", "Span_End", "custom_event", "Agent_Run"] {
            cases.append(Case(line: "{\"event_id\":\"e\",\"event_type\":\"\(type)\",\"timestamp\":\"2026-03-01T12:00:00Z\",\"session_id\":\"s\"}",
                              bucket: "unknown", compliant: false, defect: ("event_type", "unknown_event_type"), note: "type \(type)"))
        }
        cases.append(Case(line: "{}", bucket: "unknown", compliant: false, defect: ("event_type", "missing"), note: "empty object"))
        cases.append(Case(line: #"{"a":{"b":{"c":[1,2,3]}}}"#, bucket: "unknown", compliant: false, defect: ("event_type", "missing"), note: "nested, no type"))
        // Not objects.
        for text in ["[]", #"["agent_run"]"#, #""agent_run""#, "42", "null", "true", "{", #"{"event_type":}"#, #"{"a":1} x"#, "{'a':1}"] {
            cases.append(Case(line: text, bucket: nil, compliant: false, defect: nil, note: "not an object: \(text)"))
        }
        return cases
    }
}
