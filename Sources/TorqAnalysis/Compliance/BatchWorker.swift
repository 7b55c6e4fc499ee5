import CSimdJSON
import TorqLogStore
import TorqEvents
import TorqJSON

/// Parses and checks the events of batches, counting into its own tally.
/// One per thread.
struct BatchWorker: ~Copyable {
    private var parser: JSONLineParser
    private(set) var tally: ComplianceTally
    private let filter: RecordFilter
    private let sources: [String]

    /// A worker; nil when the parser cannot be allocated.
    init?(filter: RecordFilter, sources: [String], maxExamples: Int) {
        let parser = EventKeys.parser(maxLineLength: EventValidator.maxEventLength)
        guard parser.handle != nil else { return nil }
        self.parser = parser
        tally = ComplianceTally(maxExamples: maxExamples)
        self.filter = filter
        self.sources = sources
    }

    /// Checks and counts every event of `batch`. Empty and whitespace-only
    /// lines are not events. Unless the batch was filtered by the store
    /// reader, the filter applies here, to the parsed keys; a line that is
    /// not a JSON object matches no filter.
    mutating func process(_ batch: ScanBatch) {
        let filtering = !batch.fromStore && !filter.isEmpty
        let source = batch.source
        let isStore = batch.fromStore
        for i in 0..<batch.count {
            let record = batch.records[i]
            let info = parser.parseRaw(batch.bytes(of: record))
            let position = record.position
            let error = Int(info.error)
            if error != TQ_JSON_OK {
                if error == TQ_JSON_EMPTY || filtering { continue }
                let name = sources[source]
                tally.addNotObject(reason: ParseFailure.describe(info), source: source, position: position) {
                    Self.location(name, isStore: isStore, position: position, segment: record.segment)
                }
                continue
            }
            if filtering, !matches(info) { continue }
            let check = parser.checkObject(info)
            tally.add(check, typeName: info.key(EventKeys.typeSlot), source: source, position: position) {
                Self.location(sources[source], isStore: isStore, position: position, segment: record.segment)
            }
        }
    }

    private static func location(_ source: String, isStore: Bool, position: UInt64, segment: UInt64) -> EventLocation {
        isStore ? EventLocation(source: source, segment: segment, sequence: position)
            : EventLocation(source: source, line: Int(truncatingIfNeeded: position))
    }

    /// The filter's conditions on the parsed keys, with the store's semantics:
    /// `run_id` and `event_type` must be strings equal to the wanted ones;
    /// with `since`/`until`, the `timestamp` must parse (leniently, as at ingest).
    private func matches(_ info: tq_json_object_info) -> Bool {
        if let run = filter.runKey, !Self.equals(info.key(EventKeys.runSlot), run) { return false }
        if let type = filter.type, !Self.equals(info.key(EventKeys.typeSlot), type) { return false }
        if filter.since != nil || filter.until != nil {
            guard Int(info.key(EventKeys.timeSlot).kind) == TQ_JSON_KEY_STRING, let str = info.key(EventKeys.timeSlot).str,
                  let time = RFC3339.parseNanoseconds(UnsafeRawBufferPointer(start: str, count: info.key(EventKeys.timeSlot).len))
            else { return false }
            if let since = filter.since, time < since { return false }
            if let until = filter.until, time >= until { return false }
        }
        return true
    }

    private static func equals(_ key: tq_json_key, _ wanted: [UInt8]) -> Bool {
        guard Int(key.kind) == TQ_JSON_KEY_STRING, let str = key.str, key.len == wanted.count else { return false }
        return UnsafeRawBufferPointer(start: str, count: key.len).elementsEqual(wanted)
    }
}
