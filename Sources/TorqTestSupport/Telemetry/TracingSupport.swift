import Foundation
import TorqTelemetry

/// A collector keeping events in memory, for tests.
package func memoryCollector(capacity: Int = 1_000_000) throws -> TelemetryCollector {
    try TelemetryCollector(configuration: TelemetryConfiguration(storage: .memory(capacity: capacity)))
}

/// An initialized integration over a memory collector.
package func memoryTelemetry(sessionID: String? = nil) throws -> TelemetryIntegration {
    let telemetry = TelemetryIntegration(configuration: TelemetryConfiguration(storage: .memory(capacity: 1_000_000)), sessionID: sessionID)
    try telemetry.initialize()
    return telemetry
}

/// Everything `collector` has written (after a flush), parsed by Foundation.
package func writtenEvents(_ collector: TelemetryCollector, _ query: EventQuery = EventQuery()) throws -> [[String: Any]] {
    collector.flush()
    return try collector.events(matching: query).map { event in
        guard let object = foundationObject(event.jsonString) else { throw HarnessError("not a JSON object: \(event.jsonString)") }
        return object
    }
}

/// One span as the events tell it: its start and end events.
package struct RecordedSpan {
    package var start: [String: Any]?
    package var end: [String: Any]?
    package var name: String? { start?.string("name") ?? end?.string("name") }
    package var spanID: String? { start?.string("span_id") ?? end?.string("span_id") }
    package var parentSpanID: String? { start?.string("parent_span_id") ?? end?.string("parent_span_id") }
    package var traceID: String? { start?.string("trace_id") ?? end?.string("trace_id") }
    package var status: String? { end?.string("status") }
}

/// The spans of `events`, by span id.
package func recordedSpans(_ events: [[String: Any]]) -> [String: RecordedSpan] {
    var spans: [String: RecordedSpan] = [:]
    for event in events {
        guard let type = event.string("event_type"), type == "span_start" || type == "span_end", let id = event.string("span_id") else { continue }
        if type == "span_start" { spans[id, default: RecordedSpan()].start = event } else { spans[id, default: RecordedSpan()].end = event }
    }
    return spans
}

/// The one span named `name`.
package func span(named name: String, in spans: [String: RecordedSpan]) throws -> RecordedSpan {
    let found = spans.values.filter { $0.name == name }
    guard found.count == 1, let span = found.first else { throw HarnessError("expected one span \(name), found \(found.count)") }
    return span
}
