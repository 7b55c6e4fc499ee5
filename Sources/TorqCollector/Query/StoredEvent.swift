import TorqEvents
/// One event read back from storage: its JSON exactly as written.
public struct StoredEvent: Sendable, Hashable {
    /// The event's JSON object, one line, no newline.
    public var json: [UInt8]

    /// An event with these bytes.
    public init(json: [UInt8]) { self.json = json }

    /// The JSON as a string.
    public var jsonString: String { String(decoding: json, as: UTF8.self) }

    /// The typed event (throws for JSON that is not one of the schema's events).
    public func decoded() throws(EventDecodingError) -> AnyTelemetryEvent {
        try AnyTelemetryEvent(json: json)
    }
}
