import TorqEvents
import TorqLogStore
import TorqPrivacy

/// Turns queued events into framed records: stamps a missing `event_id`,
/// encodes the JSON with the module's encoder, redacts personal data, and
/// adds the record with its keys (run, type, time) to a ``RecordBatch``.
/// Encodes into the batch's own buffer, so encoding allocates nothing per
/// event once the batch has grown.
///
/// One encoder per thread: the flusher has one, and each ``EncodeWorker`` its own.
struct BatchEncoder {
    private let filter: (any JSONRedacting)?
    private var ids: SplitMix64
    private var bytes: Int64 = 0
    private var redactions = RedactionCounts()
    /// Frame bytes per event in the chunks observed (a running average), for sizing a batch.
    private var averageFrame = 512.0

    init(filter: (any JSONRedacting)?) {
        self.filter = filter
        var seed = SystemRandomNumberGenerator()
        ids = SplitMix64(seed: seed.next())
    }

    /// Adds `event` to `batch`; false when the event cannot be stored at all
    /// (a record over the store's 16 MiB limit), which the caller counts as
    /// dropped. The event is encoded straight into the batch's buffer.
    mutating func add(_ event: inout AnyTelemetryEvent, to batch: inout RecordBatch) -> Bool {
        if event.withHeader({ $0.eventID.isEmpty }) { event.stampEventID(using: &ids) }
        var type = event.eventType.rawValue
        let (runID, time) = event.withHeader { ($0.runID, $0.timestamp) }
        do {
            try type.withUTF8 { t in
                if var run = runID {
                    try run.withUTF8 { r in
                        try batch.append(runKey: UnsafeRawBufferPointer(r), type: UnsafeRawBufferPointer(t), time: time) { event.encodeJSON(into: &$0) }
                    }
                } else {
                    try batch.append(runKey: nil, type: UnsafeRawBufferPointer(t), time: time) { event.encodeJSON(into: &$0) }
                }
            }
            if let filter {
                // The encoder's output is valid JSON; should the filter still fail,
                // the event is kept unredacted rather than lost.
                let redacted = batch.withLastPayload { raw in try? filter.redactWrittenJSONObject(raw, counts: &redactions) } ?? nil
                if let redacted { try redacted.withUnsafeBytes { try batch.replaceLastPayload(with: $0) } }
            }
        } catch {
            return false
        }
        bytes += Int64(batch.withLastPayload { $0.count } ?? 0)
        return true
    }

    /// The frame bytes `events` more events will likely take: the running
    /// average of the chunks observed, a quarter more.
    func expectedBytes(events: Int) -> Int {
        Int(Double(events) * averageFrame * 1.25)
    }

    /// Folds a filled chunk (`frames` records in `bytes` bytes) into the running average.
    mutating func observe(frames: Int, bytes: Int) {
        guard frames > 0 else { return }
        averageFrame = 0.75 * averageFrame + 0.25 * Double(bytes) / Double(frames)
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
