import TorqEvents
import TorqLogStore
import TorqPrivacy

/// Turns queued events into framed records: stamps a missing `event_id`,
/// encodes the JSON with the module's encoder, redacts personal data, and
/// adds the record with its keys (run, type, time) to a ``RecordBatch``.
/// Reuses one buffer, so encoding allocates nothing per event once warmed up.
///
/// One encoder per thread: the flusher has one, and each ``EncodeWorker`` its own.
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

    /// Adds `event` to `batch`; false when the event cannot be stored at all
    /// (a record over the store's 16 MiB limit), which the caller counts as
    /// dropped.
    mutating func add(_ event: inout AnyTelemetryEvent, to batch: inout RecordBatch) -> Bool {
        if event.withHeader({ $0.eventID.isEmpty }) { event.stampEventID(using: &ids) }
        scratch.removeAll(keepingCapacity: true)
        event.encodeJSON(into: &scratch)
        var redacted: [UInt8]?
        if let filter {
            // The encoder's output is valid JSON; should the filter still fail,
            // the event is kept unredacted rather than lost.
            redacted = scratch.withUnsafeBytes { raw in try? filter.redactWrittenJSONObject(raw, counts: &redactions) } ?? nil
        }
        var type = event.eventType.rawValue
        let added: Bool = event.withHeader { header in
            type.withUTF8 { t in
                func add(_ payload: UnsafeRawBufferPointer) -> Bool {
                    do {
                        if var run = header.runID {
                            try run.withUTF8 { r in
                                try batch.append(payload: payload, runKey: UnsafeRawBufferPointer(r), type: UnsafeRawBufferPointer(t), time: header.timestamp)
                            }
                        } else {
                            try batch.append(payload: payload, runKey: nil, type: UnsafeRawBufferPointer(t), time: header.timestamp)
                        }
                        bytes += Int64(payload.count)
                        return true
                    } catch {
                        return false
                    }
                }
                if let redacted { return redacted.withUnsafeBytes(add) }
                return scratch.withUnsafeBytes(add)
            }
        }
        return added
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
    /// The object, as this module's encoder wrote it, with its sensitive
    /// strings redacted; nil when unchanged.
    func redactWrittenJSONObject(_ json: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]?
}

extension PIIFilter: JSONRedacting {}
