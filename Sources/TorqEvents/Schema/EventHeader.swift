import TorqJSON
/// The fields every event has (`event_id`, `timestamp`, `session_id`, and
/// the optional run, trace and span ids and attributes), plus the unknown
/// top-level fields of a decoded event, kept so that they round-trip.
public struct EventHeader: Sendable, Hashable {
    /// `event_id`: unique id of the event (a UUID by convention).
    public var eventID: String
    /// `timestamp`: nanoseconds since 1970-01-01T00:00:00Z. Encoded as UTC
    /// RFC 3339 with 6 fraction digits, or 9 when it has sub-microsecond precision.
    public var timestamp: Int64
    /// `session_id`: the user session or conversation.
    public var sessionID: String
    /// `run_id`: the agent run, when the event belongs to one (the store indexes it).
    public var runID: String?
    /// `trace_id`, when the event is part of a trace.
    public var traceID: TraceID?
    /// `span_id` of the operation, when traced.
    public var spanID: SpanID?
    /// `parent_span_id`: the enclosing operation's span, when traced.
    public var parentSpanID: SpanID?
    /// `attributes`: free-form; omitted from the JSON when empty.
    public var attributes: [String: TelemetryValue]
    /// Top-level fields this schema does not know, from a decoded event.
    /// Encoded after the known fields (sorted by key); a key that is also a
    /// known field of the event is ignored when encoding.
    public var extraFields: [String: TelemetryValue]

    /// A header; only the three required fields have no default.
    public init(eventID: String, timestamp: Int64, sessionID: String, runID: String? = nil,
                traceID: TraceID? = nil, spanID: SpanID? = nil, parentSpanID: SpanID? = nil,
                attributes: [String: TelemetryValue] = [:], extraFields: [String: TelemetryValue] = [:]) {
        self.eventID = eventID
        self.timestamp = timestamp
        self.sessionID = sessionID
        self.runID = runID
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.attributes = attributes
        self.extraFields = extraFields
    }

    /// A random version-4 UUID in its canonical lowercase form
    /// (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), drawn from `generator`.
    public static func randomEventID<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let high = (generator.next() as UInt64) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            guard let base = buffer.baseAddress, buffer.count >= 36 else { return 0 }
            var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &digits) { hex in
                HexDigits.write(high, to: hex.baseAddress)
                HexDigits.write(low, to: hex.baseAddress.map { $0 + 16 })
                // xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
                var out = 0
                for (i, byte) in hex.enumerated() {
                    if i == 8 || i == 12 || i == 16 || i == 20 {
                        base[out] = 0x2D
                        out += 1
                    }
                    base[out] = byte
                    out += 1
                }
            }
            return 36
        }
    }
}
