/// Turns queued events into sink records on the flusher thread: stamps a
/// missing `event_id`, encodes the JSON with the module's encoder, redacts
/// personal data, and adds the record with its keys. Reuses one buffer, so
/// encoding allocates nothing per event once warmed up.
struct BatchEncoder {
    private let filter: (any JSONRedacting)?
    private var scratch: [UInt8] = []
    private var ids: SplitMix64
    private var bytes: Int64 = 0
    private var redactions = RedactionCounts()

    init(filter: (any JSONRedacting)?) {
        self.filter = filter
        var seed = SystemRandomNumberGenerator()
        ids = SplitMix64(seed: seed.next())
        scratch.reserveCapacity(4096)
    }

    /// Adds `event` to `sink`'s pending batch; false when the event cannot be
    /// written at all (the sink refused it: an oversized record, say), which
    /// the caller counts as dropped.
    mutating func add(_ event: inout AnyTelemetryEvent, to sink: any EventSink) -> Bool {
        if event.header.eventID.isEmpty { event.stampEventID(using: &ids) }
        scratch.removeAll(keepingCapacity: true)
        event.encodeJSON(into: &scratch)
        var payload = scratch
        if let filter {
            let redacted = scratch.withUnsafeBytes { raw in
                // The encoder's output is valid JSON; a failure here would be a bug, so keep the event unredacted rather than lose it.
                try? filter.redactJSONObject(raw, counts: &redactions)
            }
            if let redacted = redacted ?? nil { payload = redacted }
        }
        let header = event.header
        do {
            try payload.withUnsafeBytes { raw in
                try sink.add(json: raw, runID: header.runID, type: event.eventType.rawValue, time: header.timestamp)
            }
        } catch {
            return false
        }
        bytes += Int64(payload.count)
        return true
    }

    /// Bytes of JSON added since the last call.
    mutating func takeBytes() -> Int64 {
        defer { bytes = 0 }
        return bytes
    }

    /// Redactions made since the last call.
    mutating func takeRedactions() -> RedactionCounts {
        defer { redactions = RedactionCounts() }
        return redactions
    }
}

/// What the flusher needs of a PII filter (``PIIFilter`` provides it).
protocol JSONRedacting: Sendable {
    /// The object with its sensitive strings redacted, or nil when unchanged.
    func redactJSONObject(_ json: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws -> [UInt8]?
}

extension PIIFilter: JSONRedacting {}
