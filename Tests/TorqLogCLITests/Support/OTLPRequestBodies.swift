import Foundation

/// A span to put in an ExportTraceServiceRequest built by hand.
struct TestSpan {
    var traceID: [UInt8]            // 16 bytes
    var spanID: [UInt8]             // 8 bytes
    var parentSpanID: [UInt8]? = nil
    var name: String
    var startNanoseconds: UInt64 = 1_772_366_400_000_000_000   // 2026-03-01T12:00:00Z
    var endNanoseconds: UInt64 = 1_772_366_400_250_000_000
    var attributes: [(String, String)] = []

    /// Ids from small numbers, so that tests can name them: trace `t` of 16 bytes, span `s` of 8.
    static func ids(trace t: UInt8, span s: UInt8) -> (trace: [UInt8], span: [UInt8]) {
        ([0xAB, 0xCD, 0xEF] + [UInt8](repeating: 0, count: 12) + [t], [0xFE, 0xDC, 0xBA, 0x98, 0, 0, 0, s])
    }
}

/// OTLP ExportTraceServiceRequest bodies written from the .proto field numbers,
/// independently of the generated types the server decodes them with.
enum OTLPRequestBodies {
    /// The protobuf encoding: one ResourceSpans (service.name `service`) with one ScopeSpans.
    static func tracesProtobuf(_ spans: [TestSpan], service: String = "serve-tests") -> [UInt8] {
        let resource = message(1, keyValue("service.name", service))                  // Resource.attributes
        var scopeSpans = message(1, bytes(1, Array("serve-tests".utf8)))                 // ScopeSpans.scope (name)
        for span in spans {
            var s = bytes(1, span.traceID) + bytes(2, span.spanID)
            if let parent = span.parentSpanID { s += bytes(4, parent) }
            s += bytes(5, Array(span.name.utf8)) + varintField(6, 1)                     // name, kind INTERNAL
            s += fixed64(7, span.startNanoseconds) + fixed64(8, span.endNanoseconds)
            for (k, v) in span.attributes { s += message(9, keyValue(k, v)) }
            scopeSpans += message(2, s)                                                  // ScopeSpans.spans
        }
        let resourceSpans = message(1, resource) + message(2, scopeSpans)
        return message(1, resourceSpans)                                                 // ExportTraceServiceRequest.resource_spans
    }

    /// The OTLP/JSON encoding, ids in hex, uppercase when `uppercase`.
    static func tracesJSON(_ spans: [TestSpan], service: String = "serve-tests", uppercase: Bool = false) -> [UInt8] {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: uppercase ? "%02X" : "%02x", $0) }.joined() }
        func attributes(_ list: [(String, String)]) -> String {
            list.map { #"{"key":"\#($0.0)","value":{"stringValue":"\#($0.1)"}}"# }.joined(separator: ",")
        }
        let spanObjects = spans.map { s in
            var fields = [#""traceId":"\#(hex(s.traceID))""#, #""spanId":"\#(hex(s.spanID))""#]
            if let p = s.parentSpanID { fields.append(#""parentSpanId":"\#(hex(p))""#) }
            fields += [#""name":"\#(s.name)""#, #""kind":1"#,
                       #""startTimeUnixNano":"\#(s.startNanoseconds)""#, #""endTimeUnixNano":"\#(s.endNanoseconds)""#,
                       #""attributes":[\#(attributes(s.attributes))]"#]
            return "{" + fields.joined(separator: ",") + "}"
        }
        let text = #"{"resourceSpans":[{"resource":{"attributes":[\#(attributes([("service.name", service)]))]},"#
            + #""scopeSpans":[{"scope":{"name":"serve-tests"},"spans":[\#(spanObjects.joined(separator: ","))]}]}]}"#
        return Array(text.utf8)
    }

    // MARK: - Protobuf wire format

    private static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }
    private static func bytes(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] {
        varint(field << 3 | 2) + varint(UInt64(payload.count)) + payload
    }
    private static func message(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] { bytes(field, payload) }
    private static func varintField(_ field: UInt64, _ value: UInt64) -> [UInt8] { varint(field << 3) + varint(value) }
    private static func fixed64(_ field: UInt64, _ value: UInt64) -> [UInt8] {
        varint(field << 3 | 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    /// A KeyValue with a string AnyValue.
    private static func keyValue(_ key: String, _ value: String) -> [UInt8] {
        bytes(1, Array(key.utf8)) + message(2, bytes(1, Array(value.utf8)))
    }
}
