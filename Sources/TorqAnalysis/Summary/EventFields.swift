import CSimdJSON
import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqJSON
#endif

/// The top-level fields of an event the aggregator reads.
enum EventField: Int, CaseIterable {
    case eventType, runID, sessionID, timestamp, status, success
    case toolName, executionTime
    case modelProvider, modelName, promptTokens, completionTokens, totalTokens, responseTime
    case memoryType, operationType, cacheHit, operationTime
    case routingStrategy, confidenceScore

    /// The JSON key.
    var name: String {
        switch self {
        case .eventType: "event_type"
        case .runID: "run_id"
        case .sessionID: "session_id"
        case .timestamp: "timestamp"
        case .status: "status"
        case .success: "success"
        case .toolName: "tool_name"
        case .executionTime: "execution_time_ms"
        case .modelProvider: "model_provider"
        case .modelName: "model_name"
        case .promptTokens: "prompt_tokens"
        case .completionTokens: "completion_tokens"
        case .totalTokens: "total_tokens"
        case .responseTime: "response_time_ms"
        case .memoryType: "memory_type"
        case .operationType: "operation_type"
        case .cacheHit: "cache_hit"
        case .operationTime: "operation_time_ms"
        case .routingStrategy: "routing_strategy"
        case .confidenceScore: "confidence_score"
        }
    }

    /// The field a key names, from its decoded bytes; nil for any other key.
    @inline(__always)
    static func named(_ key: UnsafeRawPointer, length: Int) -> EventField? {
        @inline(__always) func equals(_ text: StaticString) -> Bool {
            memcmp(key, text.utf8Start, length) == 0
        }
        switch length {
        case 6: return equals("run_id") ? .runID : equals("status") ? .status : nil
        case 7: return equals("success") ? .success : nil
        case 9: return equals("timestamp") ? .timestamp : equals("tool_name") ? .toolName : equals("cache_hit") ? .cacheHit : nil
        case 10: return equals("event_type") ? .eventType : equals("session_id") ? .sessionID : equals("model_name") ? .modelName : nil
        case 11: return equals("memory_type") ? .memoryType : nil
        case 12: return equals("total_tokens") ? .totalTokens : nil
        case 13: return equals("prompt_tokens") ? .promptTokens : nil
        case 14: return equals("model_provider") ? .modelProvider : equals("operation_type") ? .operationType : nil
        case 16:
            return equals("routing_strategy") ? .routingStrategy : equals("confidence_score") ? .confidenceScore
                : equals("response_time_ms") ? .responseTime : nil
        case 17:
            return equals("completion_tokens") ? .completionTokens : equals("execution_time_ms") ? .executionTime
                : equals("operation_time_ms") ? .operationTime : nil
        default: return nil
        }
    }
}

/// A set of ``EventField``s, one bit each (the fields found invalid in an event).
struct EventFieldSet {
    private(set) var bits: UInt32 = 0

    @inline(__always)
    mutating func insert(_ field: EventField) { bits |= 1 << UInt32(field.rawValue) }

    var isEmpty: Bool { bits == 0 }

    func contains(_ field: EventField) -> Bool { bits & (1 << UInt32(field.rawValue)) != 0 }
}

/// The values of the ``EventField``s of the last parsed event, read in one
/// pass over its fields (the first occurrence of a repeated key counts, as
/// in the store's indexing), with typed accessors that note values of the
/// wrong type or out of range in an ``EventFieldSet``. A JSON `null` reads
/// as absent. String views point into the parser's memory: valid until the
/// next parse.
struct EventFields: ~Copyable {
    private let values: UnsafeMutablePointer<tq_json_value>
    private static let count = EventField.allCases.count

    init() {
        values = .allocate(capacity: Self.count)
        values.initialize(repeating: tq_json_value(), count: Self.count)
    }

    deinit { values.deallocate() }

    /// Reads the fields of the object `parser` parsed last.
    @inline(__always)
    mutating func read(from parser: borrowing JSONLineParser) {
        for i in 0..<Self.count { values[i].kind = Int32(TQ_JSON_ABSENT) }
        var iterator = tq_json_field_iter()
        tq_json_fields_begin(parser.handle, &iterator)
        var key: UnsafePointer<CChar>?
        var keyLength = 0
        var value = tq_json_value()
        while tq_json_fields_next(parser.handle, &iterator, &key, &keyLength, &value) != 0 {
            guard let key, let field = EventField.named(UnsafeRawPointer(key), length: keyLength) else { continue }
            if Int(values[field.rawValue].kind) == TQ_JSON_ABSENT { values[field.rawValue] = value }
        }
    }

    @inline(__always)
    private func kind(_ field: EventField) -> Int { Int(values[field.rawValue].kind) }

    /// Whether the field is present and not null.
    @inline(__always)
    func isPresent(_ field: EventField) -> Bool {
        let k = kind(field)
        return k != TQ_JSON_ABSENT && k != TQ_JSON_NULL
    }

    /// The decoded UTF-8 of a string field; nil when absent, null, or not a string (noted in `invalid`).
    @inline(__always)
    func string(_ field: EventField, _ invalid: inout EventFieldSet) -> UnsafeRawBufferPointer? {
        let value = values[field.rawValue]
        switch Int(value.kind) {
        case TQ_JSON_STRING: return UnsafeRawBufferPointer(start: value.str, count: value.len)
        case TQ_JSON_ABSENT, TQ_JSON_NULL: return nil
        default:
            invalid.insert(field)
            return nil
        }
    }

    /// A boolean field; nil when absent, null or not a boolean (noted).
    @inline(__always)
    func bool(_ field: EventField, _ invalid: inout EventFieldSet) -> Bool? {
        let value = values[field.rawValue]
        switch Int(value.kind) {
        case TQ_JSON_BOOL: return value.b != 0
        case TQ_JSON_ABSENT, TQ_JSON_NULL: return nil
        default:
            invalid.insert(field)
            return nil
        }
    }

    /// A duration in milliseconds: a number ≥ 0; nil when absent, null,
    /// negative or not a number (noted).
    @inline(__always)
    func milliseconds(_ field: EventField, _ invalid: inout EventFieldSet) -> Double? {
        let value = values[field.rawValue]
        switch Int(value.kind) {
        case TQ_JSON_INT64 where value.i >= 0: return Double(value.i)
        case TQ_JSON_UINT64: return Double(value.u)
        case TQ_JSON_DOUBLE where value.d >= 0 && value.d.isFinite: return value.d
        case TQ_JSON_ABSENT, TQ_JSON_NULL: return nil
        default:
            invalid.insert(field)
            return nil
        }
    }

    /// A token count: an integer ≥ 0 (an integral double too), capped at
    /// `Int.max`; nil when absent, null, negative, fractional or not a number (noted).
    @inline(__always)
    func tokens(_ field: EventField, _ invalid: inout EventFieldSet) -> Int? {
        let value = values[field.rawValue]
        switch Int(value.kind) {
        case TQ_JSON_INT64 where value.i >= 0: return Int(value.i)
        case TQ_JSON_UINT64: return Int(clamping: value.u)
        case TQ_JSON_DOUBLE where value.d >= 0 && value.d == value.d.rounded(.towardZero):
            return value.d >= 9.223_372_036_854_775_807e18 ? Int.max : Int(value.d)
        case TQ_JSON_ABSENT, TQ_JSON_NULL: return nil
        default:
            invalid.insert(field)
            return nil
        }
    }

    /// A score in [0, 1]; nil when absent, null, out of range or not a number (noted).
    @inline(__always)
    func score(_ field: EventField, _ invalid: inout EventFieldSet) -> Double? {
        let value = values[field.rawValue]
        switch Int(value.kind) {
        case TQ_JSON_INT64 where value.i == 0 || value.i == 1: return Double(value.i)
        case TQ_JSON_DOUBLE where value.d >= 0 && value.d <= 1: return value.d
        case TQ_JSON_ABSENT, TQ_JSON_NULL: return nil
        default:
            invalid.insert(field)
            return nil
        }
    }

    /// A timestamp in nanoseconds since the epoch (RFC 3339, read as at
    /// ingest); nil when absent, null, not a string or not a timestamp (noted).
    @inline(__always)
    func timestamp(_ field: EventField, _ invalid: inout EventFieldSet) -> Int64? {
        guard let text = string(field, &invalid) else { return nil }
        guard let time = RFC3339.parseNanoseconds(text) else {
            invalid.insert(field)
            return nil
        }
        return time
    }
}
