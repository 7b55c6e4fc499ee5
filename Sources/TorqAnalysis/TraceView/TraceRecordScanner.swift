import CSimdJSON
import TorqLogStore
import TorqJSON
import TorqEvents

/// Reads records for ``TraceDetail/tree`` with simdjson: the header fields
/// and the fields the span tree and the summary use, by a single pass over
/// the top-level fields, without decoding anything else (not `attributes`,
/// not content). A record whose `tools_used` is an array (the one structured
/// field the summary reads) is decoded whole instead.
///
/// With `keepAll`, every top-level field is kept (as ``TraceRecord/init(json:)``
/// would), and a record with any array or object value (`attributes`
/// included) is decoded whole: the fast path for flat records.
final class TraceRecordScanner {
    private var parser: JSONLineParser
    private var buffer: [UInt8] = []
    private let keepAll: Bool

    /// A scanner; nil when simdjson cannot allocate its parser.
    init?(keepAll: Bool = false) {
        let parser = EventKeys.parser(maxLineLength: 1 << 30)
        guard parser.handle != nil else { return nil }
        self.parser = parser
        self.keepAll = keepAll
    }

    /// The fields kept.
    private static let kept: [EventField] = [
        .name, .kind, .status, .durationMs, .errorMessage, .executionTimeMs, .responseTimeMs,
        .operationTimeMs, .routingTimeMs, .success, .promptTokens, .completionTokens, .totalTokens,
        .toolName, .agentName, .modelName, .modelProvider, .memoryType, .memoryBackend, .operationType,
        .selectedAgent, .routingStrategy, .confidenceScore, .cacheHit,
    ]

    /// Key ids: 0…7 the header, 8 `tools_used`, 9 `attributes`, 10… the kept fields (by key).
    private static let keys: [String] = ([
        .eventType, .timestamp, .eventID, .runID, .sessionID, .traceID, .spanID, .parentSpanID,
        .toolsUsed, .attributes,
    ] as [EventField]).map(\.key) + kept.map(\.key).sorted()

    /// Key bytes → id, by a hash of the bytes (checked byte for byte).
    private static let table: [UInt64: Int] = {
        var t: [UInt64: Int] = [:]
        for (i, key) in keys.enumerated() { t[hash(Array(key.utf8))] = i }
        return t
    }()

    private static let keyBytes: [[UInt8]] = keys.map { Array($0.utf8) }

    @inline(__always)
    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    private static func id(of key: UnsafeRawBufferPointer) -> Int? {
        guard let i = table[hash(key)] else { return nil }
        let expected = keyBytes[i]
        guard expected.count == key.count else { return nil }
        for j in 0..<expected.count where expected[j] != key[j] { return nil }
        return i
    }

    /// A scalar JSON value; nil for an array or object.
    private static func scalar(_ value: tq_json_value, _ kind: Int) -> TelemetryValue? {
        switch kind {
        case TQ_JSON_STRING:
            return .string(value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: value.len), as: UTF8.self) } ?? "")
        case TQ_JSON_INT64: return .int(value.i)
        case TQ_JSON_UINT64: return .double(Double(value.u))
        case TQ_JSON_DOUBLE: return .double(value.d)
        case TQ_JSON_BOOL: return .bool(value.b != 0)
        case TQ_JSON_NULL: return .null
        default: return nil
        }
    }

    /// Lowercase hex digits (16 or 32) as two words; nil for any other length or byte.
    @inline(__always)
    private static func hex(_ bytes: UnsafeRawBufferPointer) -> (high: UInt64, low: UInt64, count: Int)? {
        guard bytes.count == 16 || bytes.count == 32 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b &- UInt8(ascii: "a") &+ 10
            default: return nil
            }
            if bytes.count == 32 && i < 16 { high = high << 4 | UInt64(digit) } else { low = low << 4 | UInt64(digit) }
        }
        return (high, low, bytes.count)
    }

    /// The bytes of the object that is the value of the first top-level key
    /// spelled exactly `key` (no escapes) in `json`, a valid JSON object; nil
    /// when there is none or the value is not an object.
    static func rawObject(ofTopLevelKey key: UnsafeRawBufferPointer, in json: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let n = json.count
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        /// The index after the string starting at `i` (its opening quote).
        func skipString(_ from: Int) -> Int {
            var i = from + 1
            while i < n && json[i] != quote { i += json[i] == backslash ? 2 : 1 }
            return i + 1
        }
        var i = 0, depth = 0
        while i < n {
            let c = json[i]
            if c == quote {
                let start = i + 1
                i = skipString(i)
                guard depth == 1 else { continue }
                var j = i
                while j < n && isSpace(json[j]) { j += 1 }
                guard j < n, json[j] == UInt8(ascii: ":") else { continue }
                let end = i - 1
                guard end - start == key.count, (0..<key.count).allSatisfy({ json[start + $0] == key[$0] }) else { continue }
                j += 1
                while j < n && isSpace(json[j]) { j += 1 }
                guard j < n, json[j] == UInt8(ascii: "{") else { return nil }
                var k = j, level = 0
                while k < n {
                    let d = json[k]
                    if d == quote { k = skipString(k); continue }
                    if d == UInt8(ascii: "{") || d == UInt8(ascii: "[") { level += 1 }
                    if d == UInt8(ascii: "}") || d == UInt8(ascii: "]") {
                        level -= 1
                        if level == 0 { return UnsafeRawBufferPointer(rebasing: json[j...k]) }
                    }
                    k += 1
                }
                return nil
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1 }
            i += 1
        }
        return nil
    }

    /// The record in `json`, with only the kept fields; see ``TraceRecord/init(json:)`` for what throws.
    func scan(_ json: UnsafeRawBufferPointer) throws(TraceInputError) -> TraceRecord {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: json)
        buffer.append(contentsOf: repeatElement(0x20, count: JSONLineParser.requiredPadding))
        let info = buffer.withUnsafeBytes { parser.parseRaw(UnsafeRawBufferPointer(rebasing: $0[0..<json.count])) }
        guard Int(info.error) == TQ_JSON_OK else {
            // Let the strict parser say precisely what is wrong.
            _ = try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self))
            throw TraceInputError(ParseFailure.describe(info))
        }
        var eventType: String?
        var stamp: Int64?
        var stampText: String?
        var record = TraceRecord(eventType: "", timestamp: 0)
        record.fields.reserveCapacity(6)
        var seen: UInt64 = 0 // one bit per key id (fewer than 64 keys)
        var iterator = tq_json_field_iter()
        tq_json_fields_begin(parser.handle, &iterator)
        var keyPointer: UnsafePointer<CChar>?
        var keyLength = 0
        var value = tq_json_value()
        while tq_json_fields_next(parser.handle, &iterator, &keyPointer, &keyLength, &value) != 0 {
            guard let keyPointer else { continue }
            let keyBytes = UnsafeRawBufferPointer(start: keyPointer, count: keyLength)
            let kind = Int(value.kind)
            guard let id = Self.id(of: keyBytes) else {
                if keepAll {
                    let key = String(decoding: keyBytes, as: UTF8.self)
                    guard record.fields[key] == nil else { continue }
                    guard let v = Self.scalar(value, kind) else { return try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self)) }
                    record.fields.appendNew(key, v)
                }
                continue
            }
            guard seen & (1 << UInt64(id)) == 0 else { continue }
            seen |= 1 << UInt64(id)
            let bytes = UnsafeRawBufferPointer(start: value.str, count: value.str == nil ? 0 : value.len)
            if (5...7).contains(id), kind == TQ_JSON_STRING, let parsed = Self.hex(bytes) {
                // The common case of an id, straight from the bytes.
                switch id {
                case 5: record.traceID = parsed.count == 32 ? TraceID(high: parsed.high, low: parsed.low) : nil
                case 6: record.spanID = parsed.count == 16 ? SpanID(parsed.low) : nil
                default: record.parentSpanID = parsed.count == 16 ? SpanID(parsed.low) : nil
                }
                let wanted = id == 5 ? 32 : 16
                if parsed.count == wanted && (parsed.high != 0 || parsed.low != 0) { continue }
            }
            let text: String? = kind == TQ_JSON_STRING && value.str != nil ? String(decoding: bytes, as: UTF8.self) : nil
            switch id {
            case 0:
                eventType = text
            case 1:
                stampText = text
                if kind == TQ_JSON_STRING, let p = value.str { stamp = RFC3339.parseNanoseconds(UnsafeRawBufferPointer(start: p, count: value.len)) }
            case 2, 3, 4:
                guard let text else {
                    // Not a string: the full decoding keeps it as a field.
                    if keepAll && kind != TQ_JSON_NULL { return try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self)) }
                    continue
                }
                if id == 2 { record.eventID = text } else if id == 3 { record.runID = text } else { record.sessionID = text }
            case 5: record.traceID = try TraceRecord.id(text, value: kind, key: EventField.traceID.key, digits: 32) { TraceID(hex: $0) }
            case 6: record.spanID = try TraceRecord.id(text, value: kind, key: EventField.spanID.key, digits: 16) { SpanID(hex: $0) }
            case 7: record.parentSpanID = try TraceRecord.id(text, value: kind, key: EventField.parentSpanID.key, digits: 16) { SpanID(hex: $0) }
            case 8:
                guard let v = Self.scalar(value, kind) else { return try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self)) }
                if keepAll { record.fields.appendNew(Self.keys[id], v) }
            case 9:
                if keepAll && !(kind == TQ_JSON_OBJECT && value.count == 0) {
                    // The object alone is decoded (the rest of the record is read above): its bytes found
                    // by one pass over the record, which simdjson has just found valid.
                    guard kind == TQ_JSON_OBJECT, let raw = Self.rawObject(ofTopLevelKey: keyBytes, in: json),
                          case .object(let attributes)? = try? JSONTreeParser.parse(raw.assumingMemoryBound(to: UInt8.self)) else {
                        return try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self))
                    }
                    record.attributes = attributes
                }
            default:
                let key = Self.keys[id]
                switch kind {
                // Each key once (the seen bits), so no search before adding.
                case TQ_JSON_STRING: record.fields.appendNew(key, .string(text ?? ""))
                case TQ_JSON_INT64: record.fields.appendNew(key, .int(value.i))
                case TQ_JSON_UINT64: record.fields.appendNew(key, .double(Double(value.u)))
                case TQ_JSON_DOUBLE: record.fields.appendNew(key, .double(value.d))
                case TQ_JSON_BOOL: record.fields.appendNew(key, .bool(value.b != 0))
                case TQ_JSON_NULL: record.fields.appendNew(key, .null)
                default: return try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard let eventType else { throw TraceInputError(field: EventField.eventType.key, "missing or not a string") }
        guard let stampText else { throw TraceInputError(field: EventField.timestamp.key, "missing or not a string") }
        guard let stamp else { throw TraceInputError(field: EventField.timestamp.key, "not an RFC 3339 timestamp: \"\(stampText)\"") }
        record.eventType = eventType
        record.timestamp = stamp
        return record
    }
}
