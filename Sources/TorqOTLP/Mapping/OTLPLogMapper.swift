import Foundation
import SwiftProtobuf
import TorqAnalysis
import TorqEvents
import TorqJSON
import TorqOTLPProto

/// Maps an OTLP logs request into store records: each log record becomes
/// one event (``MappedItem/firstSight``; nothing is written on close).
///
/// - A record the OTLP export wrote (`eventName` `torq.<type>`, the stored
///   event as a `kvlistValue` body with a string `event_id`, `event_type` and
///   `timestamp`) becomes exactly that event again.
/// - Any other record becomes an event of type `eventName` (`log` without
///   one): `severity`, `severity_number`, `body`, the trace and span ids, the
///   attributes with the resource and scope (``OTLPContext``), at
///   `time_unix_nano`, else `observed_time_unix_nano`. `run_id` and
///   `session_id` as for spans (``OTLPTraceMapper``).
/// - A record without a span id that carries a GenAI `gen_ai.operation.name`
///   also gives the call's typed event; with a span id it never does (the
///   span gives it: one typed event per call).
///
/// The key is the record's event id (`torq.event.id`, or the body's
/// `event_id`) hashed, else a hash of the record's and resource's protobuf
/// bytes. A record with an id of the wrong length, or no time at all, is rejected.
package struct OTLPLogMapper: Sendable {
    package init() {}

    static let defaultEventType = "log"
    static let exportedEventPrefix = "torq."
    static let severityKey = "severity"
    static let severityNumberKey = "severity_number"
    static let bodyKey = "body"

    package func map(_ request: Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest) -> MappedRequest {
        var out = MappedRequest()
        var rejections = RejectionLog()
        for (r, resourceLogs) in request.resourceLogs.enumerated() {
            let resourceBytes: [UInt8] = (try? resourceLogs.resource.serializedBytes()) ?? []
            for (s, scopeLogs) in resourceLogs.scopeLogs.enumerated() {
                let context = OTLPContext(resource: resourceLogs.resource, scope: scopeLogs.scope)
                for (k, record) in scopeLogs.logRecords.enumerated() {
                    switch Self.map(record, context: context, resourceBytes: resourceBytes) {
                    case .success(let item): out.items.append(item)
                    case .failure(let problem):
                        rejections.reject("resourceLogs[\(r)].scopeLogs[\(s)].logRecords[\(k)]", problem.reason)
                    }
                }
            }
        }
        rejections.apply(to: &out)
        return out
    }

    static func map(_ record: Opentelemetry_Proto_Logs_V1_LogRecord, context: OTLPContext,
                    resourceBytes: [UInt8]) -> Result<MappedItem, OTLPTraceMapper.Problem> {
        if !record.traceID.isEmpty, !record.traceID.allSatisfy({ $0 == 0 }),
           let problem = OTLPValues.traceIDProblem(record.traceID, field: OTLPProtoField.traceID) {
            return .failure(.init(problem))
        }
        if !record.spanID.isEmpty, !record.spanID.allSatisfy({ $0 == 0 }),
           let problem = OTLPValues.spanIDProblem(record.spanID, field: OTLPProtoField.spanID) {
            return .failure(.init(problem))
        }
        let rawTime = record.timeUnixNano != 0 ? record.timeUnixNano : record.observedTimeUnixNano
        guard rawTime != 0 else { return .failure(.init("time_unix_nano and observed_time_unix_nano are both 0")) }
        guard let time = OTLPValues.nanoseconds(rawTime) else { return .failure(.init("the time is beyond the year 2262")) }

        let attributes = OTLPValues.object(record.attributes)
        if let exported = exportedEvent(record) {
            let id = attributeString(attributes, .eventID) ?? exported.eventID
            return .success(MappedItem(key: .event(id: id), isClosed: true, firstSight: [exported.record], onClose: []))
        }

        let key: ItemKey
        if let id = attributeString(attributes, .eventID) {
            key = .event(id: id)
        } else {
            let bytes: [UInt8] = (try? record.serializedBytes()) ?? []
            key = .content(record: bytes, resource: resourceBytes)
        }
        let traceID = OTLPValues.traceID(record.traceID)
        let spanID = OTLPValues.spanID(record.spanID)
        var ids = AttributeReader(attributes, type: nil)
        let runID = ids.string(.runID) ?? traceID?.description
        let sessionID = ids.string(.sessionID) ?? runID ?? key.eventID(.logEvent)
        let remaining = ids.remaining

        var fields: [String: TelemetryValue] = [
            EventField.eventID.key: .string(key.eventID(.logEvent)),
            EventField.eventType.key: .string(record.eventName.isEmpty ? defaultEventType : record.eventName),
            EventField.timestamp.key: .string(OTLPValues.timestamp(time)),
            EventField.sessionID.key: .string(sessionID),
        ]
        if let runID { fields[EventField.runID.key] = .string(runID) }
        if let traceID { fields[EventField.traceID.key] = .string(traceID.description) }
        if let spanID { fields[EventField.spanID.key] = .string(spanID.description) }
        if let severity = severityText(record) { fields[severityKey] = .string(severity) }
        if record.severityNumber != .unspecified { fields[severityNumberKey] = .int(Int64(record.severityNumber.rawValue)) }
        if record.hasBody { fields[bodyKey] = OTLPValues.value(record.body) }
        let all = context.adding(to: remaining)
        if !all.isEmpty { fields[EventField.attributes.key] = .object(all) }
        let type = record.eventName.isEmpty ? defaultEventType : record.eventName
        var records = [MappedRecord(payload: JSONWriter.object(fields), runKey: runID, type: type, time: time)]

        // A typed event only for a call no span describes (no span id).
        if spanID == nil, GenAICall.namesOperation(remaining), let call = GenAICall(remaining) {
            let failed = record.severityNumber.rawValue >= Opentelemetry_Proto_Logs_V1_SeverityNumber.error.rawValue
            var header = EventHeader(eventID: key.eventID(.typedEvent), timestamp: time, sessionID: sessionID, runID: runID)
            header.traceID = traceID
            let builder = GenAIEventBuilder(
                call: call, attributes: remaining, context: context, header: header, name: type, durationMs: nil,
                failed: failed, errorMessage: failed ? bodyText(record) : nil)
            records.append(MappedRecord(builder.build()))
        }
        return .success(MappedItem(key: key, isClosed: true, firstSight: records, onClose: []))
    }

    /// The stored event of a record the OTLP export wrote: its body, as it was.
    static func exportedEvent(_ record: Opentelemetry_Proto_Logs_V1_LogRecord) -> (eventID: String, record: MappedRecord)? {
        guard record.eventName.hasPrefix(exportedEventPrefix), case .kvlistValue(let list)? = record.body.value else { return nil }
        let fields = OTLPValues.object(list.values)
        guard case .string(let id)? = fields[EventField.eventID.key], case .string(let type)? = fields[EventField.eventType.key],
              record.eventName == exportedEventPrefix + type,
              case .string(let stamp)? = fields[EventField.timestamp.key], let time = RFC3339.parseNanoseconds(stamp) else { return nil }
        var runKey: String?
        if case .string(let run)? = fields[EventField.runID.key] { runKey = run }
        return (id, MappedRecord(payload: JSONWriter.object(fields), runKey: runKey, type: type, time: time))
    }

    /// A string attribute that carries a common field (`torq.event.id`, …).
    static func attributeString(_ attributes: [String: TelemetryValue], _ field: EventField) -> String? {
        guard let row = OTelMapping.row(nil, field) else { return nil }
        for key in row.attributesRead { if case .string(let s)? = attributes[key], !s.isEmpty { return s } }
        return nil
    }

    /// `severity_text`, else the name of the severity number's range (`INFO`, `ERROR`, …).
    static func severityText(_ record: Opentelemetry_Proto_Logs_V1_LogRecord) -> String? {
        if !record.severityText.isEmpty { return record.severityText }
        let number = record.severityNumber.rawValue
        guard number > 0 else { return nil }
        let names = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
        return names[min((number - 1) / 4, names.count - 1)]
    }

    /// The body as a message, when it is a string.
    static func bodyText(_ record: Opentelemetry_Proto_Logs_V1_LogRecord) -> String? {
        if case .stringValue(let s)? = record.body.value, !s.isEmpty { return s }
        return nil
    }
}
