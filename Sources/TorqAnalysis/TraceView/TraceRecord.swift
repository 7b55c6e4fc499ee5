import CSimdJSON
import TorqLogStore
import TorqEvents
import TorqJSON

/// One record of a run, parsed for tracing: the header fields every event
/// has, and the rest of its top-level fields.
struct TraceRecord {
    /// `event_type`.
    var eventType: String
    /// `timestamp`, nanoseconds since the Unix epoch.
    var timestamp: Int64
    /// `event_id`, when present.
    var eventID: String?
    /// `run_id`, when present.
    var runID: String?
    /// `session_id`, when present.
    var sessionID: String?
    /// `trace_id`, when present.
    var traceID: TraceID?
    /// `span_id`, when present.
    var spanID: SpanID?
    /// `parent_span_id`, when present.
    var parentSpanID: SpanID?
    /// `attributes`, when an object.
    var attributes: [String: TelemetryValue]
    /// Every other top-level field (`name`, `status`, `tool_name`, …).
    var fields: TraceFieldMap

    /// A record with these header fields and nothing else (for ``TraceRecordScanner``).
    init(eventType: String, timestamp: Int64) {
        self.eventType = eventType
        self.timestamp = timestamp
        attributes = [:]
        fields = TraceFieldMap()
    }

    /// Parses one JSON event. Needs an object with a string `event_type` and
    /// an RFC 3339 `timestamp`; ids, when present and not null, must be
    /// lowercase hex of the right length (W3C trace context).
    init(json: UnsafeBufferPointer<UInt8>) throws(TraceInputError) {
        let root: TelemetryValue
        do {
            root = try JSONTreeParser.parse(json)
        } catch {
            throw TraceInputError("invalid JSON at byte \(error.offset): \(error.message)")
        }
        guard case .object(var fields) = root else { throw TraceInputError("not a JSON object") }
        guard case .string(let type)? = fields.removeValue(forKey: EventField.eventType.key) else {
            throw TraceInputError(field: EventField.eventType.key, "missing or not a string")
        }
        guard case .string(let stamp)? = fields.removeValue(forKey: EventField.timestamp.key) else {
            throw TraceInputError(field: EventField.timestamp.key, "missing or not a string")
        }
        guard let time = RFC3339.parseNanoseconds(stamp) else {
            throw TraceInputError(field: EventField.timestamp.key, "not an RFC 3339 timestamp: \"\(stamp)\"")
        }
        eventType = type
        timestamp = time
        eventID = Self.takeString(.eventID, &fields)
        runID = Self.takeString(.runID, &fields)
        sessionID = Self.takeString(.sessionID, &fields)
        traceID = try Self.takeID(.traceID, &fields, digits: 32) { TraceID(hex: $0) }
        spanID = try Self.takeID(.spanID, &fields, digits: 16) { SpanID(hex: $0) }
        parentSpanID = try Self.takeID(.parentSpanID, &fields, digits: 16) { SpanID(hex: $0) }
        if case .object(let attributes)? = fields[EventField.attributes.key] {
            self.attributes = attributes
            fields[EventField.attributes.key] = nil
        } else {
            self.attributes = [:]
        }
        self.fields = TraceFieldMap(fields)
    }

    private static func takeString(_ field: EventField, _ fields: inout [String: TelemetryValue]) -> String? {
        guard case .string(let s)? = fields[field.key] else { return nil }
        fields[field.key] = nil
        return s
    }

    /// An id from the string `text` of a field whose value kind (simdjson's) is `kind`: nil for null or "", else it must parse.
    static func id<ID>(_ text: String?, value kind: Int, key: String, digits: Int, _ parse: (String) -> ID?) throws(TraceInputError) -> ID? {
        if kind == TQ_JSON_NULL { return nil }
        guard let text else { throw TraceInputError(field: key, "not a string") }
        if text.isEmpty { return nil }
        guard let id = parse(text) else { throw TraceInputError(field: key, "not \(digits) lowercase hex digits (and not all zero): \"\(text)\"") }
        return id
    }

    private static func takeID<ID>(_ field: EventField, _ fields: inout [String: TelemetryValue], digits: Int,
                                   _ parse: (String) -> ID?) throws(TraceInputError) -> ID? {
        let key = field.key
        switch fields.removeValue(forKey: key) {
        case nil, .null?:
            return nil
        case .string(let s)? where s.isEmpty:
            return nil
        case .string(let s)?:
            guard let id = parse(s) else {
                throw TraceInputError(field: key, "not \(digits) lowercase hex digits (and not all zero): \"\(s)\"")
            }
            return id
        default:
            throw TraceInputError(field: key, "not a string")
        }
    }

    // MARK: - Field access

    /// The string field `field`.
    func string(_ field: EventField) -> String? { string(field.key) }

    /// The numeric field `field` as a double.
    func number(_ field: EventField) -> Double? { number(field.key) }

    /// The numeric field `field` as an integer, when it is one (`12.0` counts).
    func integer(_ field: EventField) -> Int? { integer(field.key) }

    /// The boolean field `field`.
    func bool(_ field: EventField) -> Bool? { bool(field.key) }

    /// The string field `key`.
    func string(_ key: String) -> String? {
        if case .string(let s)? = fields[key] { return s }
        return nil
    }

    /// The numeric field `key` as a double.
    func number(_ key: String) -> Double? {
        switch fields[key] {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d.isFinite ? d : nil
        default: return nil
        }
    }

    /// The numeric field `key` as an integer, when it is one (`12.0` counts).
    func integer(_ key: String) -> Int? {
        switch fields[key] {
        case .int(let i)?: return Int(exactly: i)
        case .double(let d)?: return Int(exactly: d)
        default: return nil
        }
    }

    /// The boolean field `key`.
    func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = fields[key] { return b }
        return nil
    }

    /// The duration field of this event type, in milliseconds (≥ 0):
    /// `execution_time_ms`, `response_time_ms`, `operation_time_ms`,
    /// `routing_time_ms`, or `duration_ms` for `span_end`. Nil when the
    /// type has none or the field is absent, negative or not a number.
    var durationMs: Double? {
        guard let field = Self.durationField[eventType], let ms = number(field), ms >= 0 else { return nil }
        return ms
    }

    /// Which field holds the duration of each event type.
    static let durationField: [String: EventField] = [
        "tool_execution": .executionTimeMs, "model_interaction": .responseTimeMs,
        "memory_operation": .operationTimeMs, "routing_decision": .routingTimeMs, "span_end": .durationMs,
    ]

    /// Whether the event reports a failure: `success` false, or a `status` of
    /// `failed`, `error`, `failure` or `timeout` (any case).
    var isFailure: Bool {
        if bool(.success) == false { return true }
        guard let status = string(.status) else { return false }
        // The usual spellings first, without lowercasing.
        switch status {
        case "failed", "error": return true
        case "completed", "ok", "started", "success": return false
        default: return Self.failureStatuses.contains(status.lowercased())
        }
    }

    /// Whether the event reports success: `success` true, or a `status` of `completed`, `ok` or `success`.
    var isSuccess: Bool {
        if isFailure { return false }
        if bool(.success) == true { return true }
        guard let status = string(.status) else { return false }
        switch status {
        case "completed", "ok": return true
        default:
            let lower = status.lowercased()
            return lower == "completed" || lower == "ok" || lower == "success" || lower == "succeeded"
        }
    }

    static let failureStatuses: Set<String> = ["failed", "error", "failure", "timeout", "timed_out"]

    /// The message of a failure: `error_message`, else what the status or success field said.
    var failureMessage: String {
        if let message = string(.errorMessage), !message.isEmpty { return message }
        if let status = string(.status), Self.failureStatuses.contains(status.lowercased()) { return "status \(status)" }
        return "success false"
    }
}
