import Foundation
import TorqEvents
import TorqJSON
import TorqOTLPProto

/// OTLP's values in the store's terms: `AnyValue` as a ``TelemetryValue``,
/// attribute lists as objects, id bytes as W3C ids.
enum OTLPValues {
    /// string, bool, int, double, array and kvlist as themselves; bytes as a
    /// base64 string; an empty value as null.
    static func value(_ any: Opentelemetry_Proto_Common_V1_AnyValue) -> TelemetryValue {
        switch any.value {
        case nil: .null
        case .stringValue(let s)?: .string(s)
        case .boolValue(let b)?: .bool(b)
        case .intValue(let i)?: .int(i)
        case .doubleValue(let d)?: .double(d)
        case .arrayValue(let a)?: .array(a.values.map(value))
        case .kvlistValue(let list)?: .object(object(list.values))
        case .bytesValue(let data)?: .string(data.base64EncodedString())
        // A profiling-only reference into a dictionary this signal has not: kept as the index.
        case .stringValueStrindex(let index)?: .int(Int64(index))
        }
    }

    /// An attribute list as an object, keys as given; for a repeated key the last value wins.
    static func object(_ attributes: [Opentelemetry_Proto_Common_V1_KeyValue]) -> [String: TelemetryValue] {
        var out: [String: TelemetryValue] = [:]
        out.reserveCapacity(attributes.count)
        for attribute in attributes { out[attribute.key] = value(attribute.value) }
        return out
    }

    /// What is wrong with a trace id's bytes (nil: a valid id).
    static func traceIDProblem(_ bytes: Data, field: String) -> String? {
        if bytes.count != 16 { return "\(field) is \(bytes.count) bytes, expected 16" }
        if bytes.allSatisfy({ $0 == 0 }) { return "\(field) is all zero" }
        return nil
    }

    /// What is wrong with a span id's bytes (nil: a valid id).
    static func spanIDProblem(_ bytes: Data, field: String) -> String? {
        if bytes.count != 8 { return "\(field) is \(bytes.count) bytes, expected 8" }
        if bytes.allSatisfy({ $0 == 0 }) { return "\(field) is all zero" }
        return nil
    }

    /// The trace id of 16 bytes; nil for any other length or all zeros.
    static func traceID(_ bytes: Data) -> TraceID? {
        guard bytes.count == 16 else { return nil }
        return TraceID(high: bigEndian(bytes.prefix(8)), low: bigEndian(bytes.suffix(8)))
    }

    /// The span id of 8 bytes; nil for any other length or all zeros.
    static func spanID(_ bytes: Data) -> SpanID? {
        guard bytes.count == 8 else { return nil }
        return SpanID(bigEndian(bytes))
    }

    /// Lowercase hex of any bytes (a link's id of the wrong length is kept as written).
    static func hex(_ bytes: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nanoseconds since the epoch as the store's `Int64`; nil beyond its range (year 2262).
    static func nanoseconds(_ value: UInt64) -> Int64? { Int64(exactly: value) }

    /// RFC 3339 UTC, as the tracer writes span event times: 9 fraction digits
    /// only when there is sub-microsecond precision.
    static func timestamp(_ nanoseconds: Int64) -> String {
        RFC3339.format(nanoseconds: nanoseconds, fractionDigits: nanoseconds % 1000 == 0 ? 6 : 9)
    }

    private static func bigEndian(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
