import Foundation
import SwiftProtobuf
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqOTLPProto

/// ``OTLPSpanItem`` and ``OTLPLogItem`` as OTLP protobuf requests: the same
/// items the OTLP/JSON export writes (``OTLPJSONEncoder``), grouped by
/// `service.name` into one resource each, under the scope `torqlog`.
package enum OTLPProtoEncoder {
    /// One `ExportTraceServiceRequest` holding `spans`.
    package static func traces(_ spans: [OTLPSpanItem]) -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest {
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        var index: [String: Int] = [:]
        for item in spans {
            let r: Int
            if let found = index[item.service] {
                r = found
            } else {
                r = request.resourceSpans.count
                index[item.service] = r
                var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
                resourceSpans.resource = resource(item.service)
                var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
                scope.scope = Self.scope
                resourceSpans.scopeSpans = [scope]
                request.resourceSpans.append(resourceSpans)
            }
            request.resourceSpans[r].scopeSpans[0].spans.append(span(item))
        }
        return request
    }

    /// One `ExportLogsServiceRequest` holding `logs`.
    package static func logs(_ logs: [OTLPLogItem]) -> Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest {
        var request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest()
        var index: [String: Int] = [:]
        for item in logs {
            let r: Int
            if let found = index[item.service] {
                r = found
            } else {
                r = request.resourceLogs.count
                index[item.service] = r
                var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
                resourceLogs.resource = resource(item.service)
                var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
                scope.scope = Self.scope
                resourceLogs.scopeLogs = [scope]
                request.resourceLogs.append(resourceLogs)
            }
            request.resourceLogs[r].scopeLogs[0].logRecords.append(log(item))
        }
        return request
    }

    /// ``traces(_:)`` serialized, byte for byte the same, faster: each span is
    /// serialized by SwiftProtobuf, and the three messages around the spans
    /// (request, resource, scope) are framed here as the protobuf encoding
    /// defines a message field (tag, length as a varint, bytes). SwiftProtobuf
    /// sizes a nested message once per enclosing level; the spans are then
    /// sized once.
    package static func tracesBytes(_ spans: [OTLPSpanItem]) throws -> [UInt8] {
        let scope: [UInt8] = try Self.scope.serializedBytes()
        var out: [UInt8] = []
        for (service, items) in grouped(spans, by: \.service) {
            var scopeSpans: [UInt8] = []
            Self.field(1, scope, into: &scopeSpans)  // ScopeSpans.scope
            for item in items { Self.field(2, try span(item).serializedBytes(), into: &scopeSpans) }  // ScopeSpans.spans
            var resourceSpans: [UInt8] = []
            Self.field(1, try resource(service).serializedBytes(), into: &resourceSpans)  // ResourceSpans.resource
            Self.field(2, scopeSpans, into: &resourceSpans)  // ResourceSpans.scope_spans
            Self.field(1, resourceSpans, into: &out)  // ExportTraceServiceRequest.resource_spans
        }
        return out
    }

    /// ``logs(_:)`` serialized, framed as ``tracesBytes(_:)`` is.
    package static func logsBytes(_ logs: [OTLPLogItem]) throws -> [UInt8] {
        let scope: [UInt8] = try Self.scope.serializedBytes()
        var out: [UInt8] = []
        for (service, items) in grouped(logs, by: \.service) {
            var scopeLogs: [UInt8] = []
            Self.field(1, scope, into: &scopeLogs)  // ScopeLogs.scope
            for item in items { Self.field(2, try log(item).serializedBytes(), into: &scopeLogs) }  // ScopeLogs.log_records
            var resourceLogs: [UInt8] = []
            Self.field(1, try resource(service).serializedBytes(), into: &resourceLogs)  // ResourceLogs.resource
            Self.field(2, scopeLogs, into: &resourceLogs)  // ResourceLogs.scope_logs
            Self.field(1, resourceLogs, into: &out)  // ExportLogsServiceRequest.resource_logs
        }
        return out
    }

    /// Items by service, services in order of first appearance, items in order.
    static func grouped<T>(_ items: [T], by service: (T) -> String) -> [(String, [T])] {
        var index: [String: Int] = [:]
        var out: [(String, [T])] = []
        for item in items {
            let name = service(item)
            if let i = index[name] {
                out[i].1.append(item)
            } else {
                index[name] = out.count
                out.append((name, [item]))
            }
        }
        return out
    }

    /// A length-delimited field: the tag (`number`, wire type 2), the length as a varint, the bytes.
    static func field(_ number: UInt64, _ bytes: [UInt8], into out: inout [UInt8]) {
        varint(number << 3 | 2, into: &out)
        varint(UInt64(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static let scope: Opentelemetry_Proto_Common_V1_InstrumentationScope = {
        var scope = Opentelemetry_Proto_Common_V1_InstrumentationScope()
        scope.name = "torqlog"
        return scope
    }()

    static func resource(_ service: String) -> Opentelemetry_Proto_Resource_V1_Resource {
        var resource = Opentelemetry_Proto_Resource_V1_Resource()
        resource.attributes = keyValues(["service.name": .string(service)])
        return resource
    }

    /// A span.
    static func span(_ item: OTLPSpanItem) -> Opentelemetry_Proto_Trace_V1_Span {
        var span = Opentelemetry_Proto_Trace_V1_Span()
        span.traceID = bytes(item.traceID)
        span.spanID = bytes(item.spanID)
        if let parent = item.parentSpanID { span.parentSpanID = bytes(parent) }
        span.name = item.name
        span.kind = Opentelemetry_Proto_Trace_V1_Span.SpanKind(rawValue: item.kind.otlpValue) ?? .internal
        span.startTimeUnixNano = UInt64(max(item.startTime, 0))
        span.endTimeUnixNano = UInt64(max(item.endTime, 0))
        span.attributes = keyValues(item.attributes)
        span.events = item.events.map { e in
            var event = Opentelemetry_Proto_Trace_V1_Span.Event()
            event.timeUnixNano = UInt64(max(e.timestampNanoseconds, 0))
            event.name = e.name
            event.attributes = keyValues(e.attributes)
            return event
        }
        span.links = item.links.map { l in
            var link = Opentelemetry_Proto_Trace_V1_Span.Link()
            link.traceID = bytes(l.traceID)
            link.spanID = bytes(l.spanID)
            link.attributes = keyValues(l.attributes)
            return link
        }
        var status = Opentelemetry_Proto_Trace_V1_Status()
        status.code = Opentelemetry_Proto_Trace_V1_Status.StatusCode(rawValue: item.status.otlpCode) ?? .unset
        if let message = item.statusMessage { status.message = message }
        span.status = status
        return span
    }

    /// A log record.
    static func log(_ item: OTLPLogItem) -> Opentelemetry_Proto_Logs_V1_LogRecord {
        var record = Opentelemetry_Proto_Logs_V1_LogRecord()
        record.timeUnixNano = UInt64(max(item.time, 0))
        record.observedTimeUnixNano = record.timeUnixNano
        record.severityNumber = Opentelemetry_Proto_Logs_V1_SeverityNumber(rawValue: item.severityNumber) ?? .info
        record.severityText = item.severityText
        record.body = anyValue(.object(item.body))
        record.attributes = keyValues(item.attributes)
        if let trace = item.traceID { record.traceID = bytes(trace) }
        if let span = item.spanID { record.spanID = bytes(span) }
        record.eventName = item.eventName
        return record
    }

    /// A `KeyValue` list, keys sorted.
    static func keyValues(_ attributes: [String: TelemetryValue]) -> [Opentelemetry_Proto_Common_V1_KeyValue] {
        attributes.keys.sorted().map { key in
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = key
            kv.value = anyValue(attributes[key] ?? .null)
            return kv
        }
    }

    /// An `AnyValue`; null is the empty value, a non-finite double too.
    static func anyValue(_ value: TelemetryValue) -> Opentelemetry_Proto_Common_V1_AnyValue {
        var any = Opentelemetry_Proto_Common_V1_AnyValue()
        switch value {
        case .null: break
        case .bool(let b): any.boolValue = b
        case .int(let i): any.intValue = i
        case .double(let d): if d.isFinite { any.doubleValue = d }
        case .string(let s): any.stringValue = s
        case .array(let a):
            var array = Opentelemetry_Proto_Common_V1_ArrayValue()
            array.values = a.map(anyValue)
            any.arrayValue = array
        case .object(let o):
            var list = Opentelemetry_Proto_Common_V1_KeyValueList()
            list.values = keyValues(o)
            any.kvlistValue = list
        }
        return any
    }

    static func bytes(_ id: TraceID) -> Data {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: id.high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: id.low >> (56 - 8 * UInt64(i)))
        }
        return Data(out)
    }

    static func bytes(_ id: SpanID) -> Data {
        Data((0..<8).map { UInt8(truncatingIfNeeded: id.value >> (56 - 8 * UInt64($0))) })
    }
}
