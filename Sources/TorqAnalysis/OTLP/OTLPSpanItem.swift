import TorqEvents
import TorqJSON

/// One span as OTLP carries it, independent of the encoding: the OTLP/JSON
/// export writes it as JSON, `torqlog forward` as protobuf. Made by
/// ``OTLPItemStream`` from the spans `trace` would draw.
package struct OTLPSpanItem: Sendable {
    /// A span link (`attributes.links`, as the tracer writes them).
    package struct Link: Sendable {
        package var traceID: TraceID
        package var spanID: SpanID
        package var attributes: [String: TelemetryValue]
    }

    package var traceID: TraceID
    package var spanID: SpanID
    package var parentSpanID: SpanID?
    package var name: String
    package var kind: TraceSpanKind
    /// Nanoseconds since the epoch.
    package var startTime: Int64
    /// Nanoseconds since the epoch; equal to the start for an open span (OTLP requires an end).
    package var endTime: Int64
    package var attributes: [String: TelemetryValue]
    /// OpenTelemetry span events (`attributes.events`); not the records attached to the span.
    package var events: [TraceSpanEvent]
    package var links: [Link]
    package var status: TraceSpanStatus
    package var statusMessage: String?
    /// `service.name` of the resource.
    package var service: String
    /// The lowest store sequence this span answers for (a cursor stays below it until it is answered).
    package var hold: UInt64
    /// Started, not ended when written (`torq.span.open`): written again once it ends.
    package var isOpen: Bool
}
