#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TorqOTLPProto

/// Reads the trace and span ids of a JSON-decoded OTLP request as the hex
/// the OTLP JSON encoding writes them in (either case), where SwiftProtobuf
/// read them as base64, the proto3 JSON form of every other `bytes` field.
///
/// The ids are `traceId`, `spanId` and `parentSpanId` of spans, `traceId` and
/// `spanId` of span links, and `traceId` and `spanId` of log records; every
/// other `bytes` value (an attribute's `bytesValue`) stays base64.
///
/// Why this works after decoding: 32 hex digits are valid base64 that decodes
/// to exactly 24 bytes (16 digits to 12), and SwiftProtobuf's decoder maps each
/// group of 4 characters to 3 bytes one to one, so base64-encoding those bytes
/// gives back the original characters, which are then read as hex. Per field:
///
/// - 24 bytes (a trace id) or 12 (a span id): re-encoded and read as hex;
///   a 400 if the characters are not all hex digits;
/// - 16 bytes (a trace id) or 8 (a span id): base64 of an id of the right
///   size, which some clients send; left as is;
/// - empty: no id (a root span's parent); left as is;
/// - any other size: a 400 naming the field, its position and its length.
///
/// What it cannot see: 22 hex digits decode to 16 bytes (11 to 8) and are
/// taken as a base64 id, since the decoder accepts base64 without padding.
enum JSONHexIDs {
    /// Converts the ids of every span and link in `request`.
    static func convert(_ request: inout Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest) throws(RequestError) {
        for r in request.resourceSpans.indices {
            for s in request.resourceSpans[r].scopeSpans.indices {
                for i in request.resourceSpans[r].scopeSpans[s].spans.indices {
                    // In place: a span keeps its fields in shared storage, which a copy would duplicate.
                    try convert(&request.resourceSpans[r].scopeSpans[s].spans[i], "resourceSpans[\(r)].scopeSpans[\(s)].spans[\(i)]")
                }
            }
        }
    }

    /// Converts the ids of every log record in `request`.
    static func convert(_ request: inout Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest) throws(RequestError) {
        for r in request.resourceLogs.indices {
            for s in request.resourceLogs[r].scopeLogs.indices {
                for i in request.resourceLogs[r].scopeLogs[s].logRecords.indices {
                    let path = { "resourceLogs[\(r)].scopeLogs[\(s)].logRecords[\(i)]" }
                    try convert(&request.resourceLogs[r].scopeLogs[s].logRecords[i].traceID, size: 16, path() + ".traceId")
                    try convert(&request.resourceLogs[r].scopeLogs[s].logRecords[i].spanID, size: 8, path() + ".spanId")
                }
            }
        }
    }

    /// Converts one id field that should hold `size` bytes (16 or 8), `path` naming it in errors.
    static func convert(_ id: inout Data, size: Int, _ path: @autoclosure () -> String) throws(RequestError) {
        let count = id.count
        if count == 0 || count == size { return }
        guard count == size * 3 / 2 else {
            throw RequestError(.badRequest, "\(path()): \(base64Length(count)) characters, expected \(size * 2) hex digits")
        }
        var converted = Data(count: size)
        let valid = id.withUnsafeBytes { base64 in
            converted.withUnsafeMutableBytes { out in hexFromBase64(base64, into: out) }
        }
        guard valid else {
            throw RequestError(.badRequest, "\(path()): \(size * 2) characters that are not all hex digits, expected \(size * 2) hex digits")
        }
        id = converted
    }

    /// Converts the ids of `span` and its links, `path` naming the span.
    private static func convert(_ span: inout Opentelemetry_Proto_Trace_V1_Span, _ path: @autoclosure () -> String) throws(RequestError) {
        try convert(&span.traceID, size: 16, path() + ".traceId")
        try convert(&span.spanID, size: 8, path() + ".spanId")
        try convert(&span.parentSpanID, size: 8, path() + ".parentSpanId")
        for l in span.links.indices {
            try convert(&span.links[l].traceID, size: 16, path() + ".links[\(l)].traceId")
            try convert(&span.links[l].spanID, size: 8, path() + ".links[\(l)].spanId")
        }
    }

    /// The number of base64 characters (without padding) that decode to
    /// `count` bytes: 4 per 3 bytes, and 2 or 3 for a last 1 or 2.
    static func base64Length(_ count: Int) -> Int {
        count / 3 * 4 + [0, 2, 3][count % 3]
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Base64-encodes `bytes` (a multiple of 3 long, so no padding) and reads
    /// the characters as hex into `out` (`bytes.count * 2 / 3` bytes); false
    /// if a character is not a hex digit.
    private static func hexFromBase64(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        var nibbles = 0
        var high: UInt8 = 0
        var group = 0
        while group < bytes.count {
            let bits = UInt32(bytes[group]) << 16 | UInt32(bytes[group + 1]) << 8 | UInt32(bytes[group + 2])
            for shift in [18, 12, 6, 0] {
                guard let nibble = hexValue(base64Alphabet[Int(bits >> UInt32(shift) & 0x3F)]) else { return false }
                if nibbles & 1 == 0 {
                    high = nibble
                } else {
                    out[nibbles >> 1] = high << 4 | nibble
                }
                nibbles += 1
            }
            group += 3
        }
        return true
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
