import TorqEvents

extension MappedRecord {
    /// The record of a typed event: its JSON (the schema's own encoder, as the
    /// collector writes it), indexed by its `run_id`, `event_type` and `timestamp`.
    init(_ event: AnyTelemetryEvent) {
        var payload: [UInt8] = []
        event.encodeJSON(into: &payload)
        let header = event.header
        self.init(payload: payload, runKey: header.runID, type: event.eventType.rawValue, time: header.timestamp)
    }
}
