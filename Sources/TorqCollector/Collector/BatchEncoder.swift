import CTorqSupport
import TorqEvents
import TorqPrivacy

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

    /// The filter's quoted field names, when it has a fixed list.
    private let fieldKeys: [[UInt8]]?

    init(filter: (any JSONRedacting)?) {
        self.filter = filter
        fieldKeys = filter?.fieldKeys
        var seed = SystemRandomNumberGenerator()
        ids = SplitMix64(seed: seed.next())
        scratch.reserveCapacity(4096)
    }

    /// Adds `event` to `sink`'s pending batch; false when the event cannot be
    /// written at all (the sink refused it: an oversized record, say), which
    /// the caller counts as dropped.
    mutating func add(_ event: inout AnyTelemetryEvent, to sink: any EventSink) -> Bool {
        if event.withHeader({ $0.eventID.isEmpty }) { event.stampEventID(using: &ids) }
        scratch.removeAll(keepingCapacity: true)
        event.encodeJSON(into: &scratch)
        var redacted: [UInt8]?
        if let filter, mayNeedFilter() {
            // The encoder's output is valid JSON; should the filter still fail,
            // the event is kept unredacted rather than lost.
            redacted = scratch.withUnsafeBytes { raw in try? filter.redactJSONObject(raw, counts: &redactions) } ?? nil
        }
        let type = event.eventType
        let added: Bool = event.withHeader { header in
            func add(_ payload: UnsafeRawBufferPointer) -> Bool {
                do {
                    try sink.add(json: payload, runID: header.runID, type: type.rawValue, time: header.timestamp)
                    bytes += Int64(payload.count)
                    return true
                } catch {
                    return false
                }
            }
            if let redacted { return redacted.withUnsafeBytes(add) }
            return scratch.withUnsafeBytes(add)
        }
        return added
    }

    /// Whether the encoded event in `scratch` names a field the filter
    /// redacts. This module's encoder writes keys without escapes, so a
    /// byte search for `"name"` finds every occurrence as a key (a match
    /// inside a string value only costs a needless filter pass). Most events
    /// (tool, model, memory) have none, and skip the JSON walk.
    private func mayNeedFilter() -> Bool {
        guard let fieldKeys else { return true }
        return scratch.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return false }
            for key in fieldKeys {
                let found = key.withUnsafeBytes { k in tq_contains(base, raw.count, k.baseAddress, k.count) != 0 }
                if found { return true }
            }
            return false
        }
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
    /// Quoted names (`"user_query"`) of which at least one must occur in an
    /// event written by this module's encoder for the filter to change it;
    /// nil when every event must be filtered (every string value is scanned).
    var fieldKeys: [[UInt8]]? { get }
}

extension PIIFilter: JSONRedacting {
    var fieldKeys: [[UInt8]]? {
        guard !configuration.allStringValues else { return nil }
        return configuration.sanitizeFields.sorted().map { Array("\"\($0)\"".utf8) }
    }
}
