import CSimdJSON
import TorqLogStore
import TorqEvents
#if canImport(Glibc)
import Glibc
import TorqJSON
#endif

/// The top-level fields of an event the aggregator reads.
enum SummaryField: Int, CaseIterable {
    case eventType, runID, sessionID, timestamp, status, success
    case toolName, executionTime
    case modelProvider, modelName, promptTokens, completionTokens, totalTokens, responseTime
    case memoryType, operationType, cacheHit, operationTime
    case routingStrategy, confidenceScore

    /// The field of the schema.
    var field: EventField {
        switch self {
        case .eventType: .eventType
        case .runID: .runID
        case .sessionID: .sessionID
        case .timestamp: .timestamp
        case .status: .status
        case .success: .success
        case .toolName: .toolName
        case .executionTime: .executionTimeMs
        case .modelProvider: .modelProvider
        case .modelName: .modelName
        case .promptTokens: .promptTokens
        case .completionTokens: .completionTokens
        case .totalTokens: .totalTokens
        case .responseTime: .responseTimeMs
        case .memoryType: .memoryType
        case .operationType: .operationType
        case .cacheHit: .cacheHit
        case .operationTime: .operationTimeMs
        case .routingStrategy: .routingStrategy
        case .confidenceScore: .confidenceScore
        }
    }

    /// The JSON key.
    var name: String { field.key }

    /// The field a key names, from its decoded bytes; nil for any other key.
    @inline(__always)
    static func named(_ key: UnsafeRawPointer, length: Int) -> SummaryField? {
        @inline(__always) func equals(_ field: EventField) -> Bool {
            let name = field.utf8
            return name.count == length && memcmp(key, name.baseAddress!, length) == 0
        }
        // By the length of the schema's names (the tests check that every field is found).
        switch length {
        case 6: return equals(.runID) ? .runID : equals(.status) ? .status : nil
        case 7: return equals(.success) ? .success : nil
        case 9: return equals(.timestamp) ? .timestamp : equals(.toolName) ? .toolName : equals(.cacheHit) ? .cacheHit : nil
        case 10: return equals(.eventType) ? .eventType : equals(.sessionID) ? .sessionID : equals(.modelName) ? .modelName : nil
        case 11: return equals(.memoryType) ? .memoryType : nil
        case 12: return equals(.totalTokens) ? .totalTokens : nil
        case 13: return equals(.promptTokens) ? .promptTokens : nil
        case 14: return equals(.modelProvider) ? .modelProvider : equals(.operationType) ? .operationType : nil
        case 16:
            return equals(.routingStrategy) ? .routingStrategy : equals(.confidenceScore) ? .confidenceScore
                : equals(.responseTimeMs) ? .responseTime : nil
        case 17:
            return equals(.completionTokens) ? .completionTokens : equals(.executionTimeMs) ? .executionTime
                : equals(.operationTimeMs) ? .operationTime : nil
        default: return nil
        }
    }
}

/// A set of ``SummaryField``s, one bit each (the fields found invalid in an event).
struct SummaryFieldSet {
    private(set) var bits: UInt32 = 0

    @inline(__always)
    mutating func insert(_ field: SummaryField) { bits |= 1 << UInt32(field.rawValue) }

    var isEmpty: Bool { bits == 0 }

    func contains(_ field: SummaryField) -> Bool { bits & (1 << UInt32(field.rawValue)) != 0 }
}

/// The values of the ``SummaryField``s of the last parsed event, read in one
/// pass over its fields (the first occurrence of a repeated key counts, as
/// in the store's indexing), with typed accessors that note values of the
/// wrong type or out of range in a ``SummaryFieldSet``. A JSON `null` reads
/// as absent. String views point into the parser's memory: valid until the
/// next parse.
struct EventFields: ~Copyable {
    private let values: UnsafeMutablePointer<tq_json_value>
    private static let count = SummaryField.allCases.count

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
            guard let key, let field = SummaryField.named(UnsafeRawPointer(key), length: keyLength) else { continue }
            if Int(values[field.rawValue].kind) == TQ_JSON_ABSENT { values[field.rawValue] = value }
        }
    }

    @inline(__always)
    private func kind(_ field: SummaryField) -> Int { Int(values[field.rawValue].kind) }

    /// Whether the field is present and not null.
    @inline(__always)
    func isPresent(_ field: SummaryField) -> Bool {
        let k = kind(field)
        return k != TQ_JSON_ABSENT && k != TQ_JSON_NULL
    }

    /// The decoded UTF-8 of a string field; nil when absent, null, or not a string (noted in `invalid`).
    @inline(__always)
    func string(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> UnsafeRawBufferPointer? {
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
    func bool(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> Bool? {
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
    func milliseconds(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> Double? {
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
    func tokens(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> Int? {
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
    func score(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> Double? {
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
    func timestamp(_ field: SummaryField, _ invalid: inout SummaryFieldSet) -> Int64? {
        guard let text = string(field, &invalid) else { return nil }
        guard let time = RFC3339.parseNanoseconds(text) else {
            invalid.insert(field)
            return nil
        }
        return time
    }
}
