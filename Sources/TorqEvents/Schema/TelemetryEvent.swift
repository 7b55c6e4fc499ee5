/// A typed telemetry event: one of the schema's event structs.
///
/// Every conforming type of this module encodes itself with the
/// purpose-built encoder of `TorqTelemetry` (no Foundation): fields in schema
/// order, optional fields omitted when nil, strings escaped per RFC 8259,
/// non-finite numbers written as `null`, output always one line of valid JSON.
public protocol TelemetryEvent: Sendable, Hashable {
    /// The `event_type` of every event of this type.
    static var eventType: EventType { get }
    /// The common fields, and the unknown fields of a decoded event.
    var header: EventHeader { get set }
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    func encodeJSON(into buffer: inout [UInt8])
}

extension TelemetryEvent {
    /// The event as one line of JSON (no trailing newline).
    public func jsonBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        encodeJSON(into: &bytes)
        return bytes
    }

    /// The event as one line of JSON (no trailing newline).
    public func jsonString() -> String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }
}
