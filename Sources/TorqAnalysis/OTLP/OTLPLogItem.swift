import TorqEvents
import TorqJSON

/// One log record as OTLP carries it (see ``OTLPSpanItem``).
package struct OTLPLogItem: Sendable {
    /// Nanoseconds since the epoch (also the observed time).
    package var time: Int64
    package var severityNumber: Int
    package var severityText: String
    /// The stored record itself (a `kvlistValue`), so that a receiver maps it back to exactly this event.
    package var body: [String: TelemetryValue]
    package var attributes: [String: TelemetryValue]
    package var traceID: TraceID?
    package var spanID: SpanID?
    /// `torq.<event_type>`.
    package var eventName: String
    package var service: String
    /// The record's store sequence.
    package var hold: UInt64
}
