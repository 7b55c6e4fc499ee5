import Foundation
import TorqEvents
import TorqJSON
import TorqOTLPProto
@testable import TorqOTLP

/// Builders of OTLP requests for the tests, and readers of what the mappers made.
enum OTLPFixtures {
    static let traceBytes: [UInt8] = Array(0x10...0x1F)
    static let spanBytes: [UInt8] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8]
    static let parentBytes: [UInt8] = [0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8]
    static let traceHex = "101112131415161718191a1b1c1d1e1f"
    static let spanHex = "a1a2a3a4a5a6a7a8"
    static let start: UInt64 = 1_767_225_600_000_000_000  // 2026-01-01T00:00:00Z
    static let end: UInt64 = start + 250_000_000  // 250 ms later

    enum Value {
        case string(String), int(Int64), double(Double), bool(Bool)
    }

    static func anyValue(_ value: Value) -> Opentelemetry_Proto_Common_V1_AnyValue {
        var any = Opentelemetry_Proto_Common_V1_AnyValue()
        switch value {
        case .string(let s): any.stringValue = s
        case .int(let i): any.intValue = i
        case .double(let d): any.doubleValue = d
        case .bool(let b): any.boolValue = b
        }
        return any
    }

    static func keyValues(_ attributes: [(String, Value)]) -> [Opentelemetry_Proto_Common_V1_KeyValue] {
        attributes.map { key, value in
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value = anyValue(value)
            return kv
        }
    }

    static func span(name: String = "op", attributes: [(String, Value)] = [], start: UInt64 = start, end: UInt64 = end,
                     status: Opentelemetry_Proto_Trace_V1_Status.StatusCode = .unset, message: String = "",
                     trace: [UInt8] = traceBytes, span: [UInt8] = spanBytes, parent: [UInt8] = parentBytes) -> Opentelemetry_Proto_Trace_V1_Span {
        var s = Opentelemetry_Proto_Trace_V1_Span()
        s.traceID = Data(trace)
        s.spanID = Data(span)
        s.parentSpanID = Data(parent)
        s.name = name
        s.kind = .client
        s.startTimeUnixNano = start
        s.endTimeUnixNano = end
        s.attributes = keyValues(attributes)
        if status != .unset || !message.isEmpty {
            s.status.code = status
            s.status.message = message
        }
        return s
    }

    static let resourceAttributes: [(String, Value)] = [("service.name", .string("research-agent")), ("deployment.environment", .string("test"))]

    static func traces(_ spans: [Opentelemetry_Proto_Trace_V1_Span], resource: [(String, Value)] = resourceAttributes)
        -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest {
        var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        scope.scope.name = "openinference.instrumentation"
        scope.scope.version = "1.2.3"
        scope.spans = spans
        var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        resourceSpans.resource.attributes = keyValues(resource)
        resourceSpans.scopeSpans = [scope]
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        request.resourceSpans = [resourceSpans]
        return request
    }

    static func logs(_ records: [Opentelemetry_Proto_Logs_V1_LogRecord], resource: [(String, Value)] = resourceAttributes)
        -> Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest {
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.scope.name = "genai.sdk"
        scope.logRecords = records
        var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        resourceLogs.resource.attributes = keyValues(resource)
        resourceLogs.scopeLogs = [scope]
        var request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest()
        request.resourceLogs = [resourceLogs]
        return request
    }

    /// The one item of a request of one span.
    static func mapOne(_ span: Opentelemetry_Proto_Trace_V1_Span) throws -> MappedItem {
        let mapped = OTLPTraceMapper().map(traces([span]))
        guard mapped.items.count == 1 else { throw Failure("expected one item, got \(mapped.items.count); \(mapped.rejectionMessage)") }
        return mapped.items[0]
    }

    /// A record decoded as a typed event.
    static func event(_ record: MappedRecord) throws -> AnyTelemetryEvent {
        try AnyTelemetryEvent(json: record.payload)
    }

    /// A record's JSON object.
    static func object(_ record: MappedRecord) throws -> [String: TelemetryValue] {
        let value = try record.payload.withUnsafeBufferPointer { try JSONTreeParser.parse($0) }
        guard case .object(let o) = value else { throw Failure("not an object") }
        return o
    }

    /// The typed event of a closed span (its third record).
    static func typedEvent(_ attributes: [(String, Value)], name: String = "op",
                           status: Opentelemetry_Proto_Trace_V1_Status.StatusCode = .unset, message: String = "") throws -> AnyTelemetryEvent {
        let item = try mapOne(span(name: name, attributes: attributes, status: status, message: message))
        guard item.onClose.count == 2 else { throw Failure("expected span_end and a typed event, got \(item.onClose.map(\.type))") }
        return try event(item.onClose[1])
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
