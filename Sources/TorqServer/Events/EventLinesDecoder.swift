import TorqEvents
import TorqJSON
import TorqLogStore
import TorqOTLP

/// The body of `POST /v1/events`: JSONL, validated line by line as `torqlog
/// ingest` does (each non-blank line one JSON object within the record
/// limit; its `run_id`, `event_type` and `timestamp` indexed), each good
/// line one item keyed by its `event_id` (else by its bytes), so that a
/// retried request stores nothing twice.
struct EventLinesDecoder: ~Copyable {
    /// A line that was not stored: its number (from 1) and why.
    struct Rejection: Sendable, Equatable {
        var line: Int
        var reason: String
    }

    private var parser: JSONLineParser
    private static let runSlot = 0, typeSlot = 1, timeSlot = 2, idSlot = 3

    init() {
        parser = JSONLineParser(
            maxLineLength: FrameHeader.maxPayloadLength,
            keys: [EventSchema.runField, EventSchema.typeField, EventSchema.timeField, EventField.eventID.key])
    }

    /// Where a line's key comes from.
    enum Keying: Sendable {
        /// The line's `event_id`, else its bytes: a copy of an event is stored once.
        case content
        /// The producer's batch: the whole body is one item, so a resent batch is
        /// stored once and equal lines in it are all stored (`torqlog ingest`
        /// and collectors through the server), at one key per batch.
        case producer(String, batch: UInt64)
    }

    /// The items of `body`, and the lines rejected.
    mutating func decode(_ body: [UInt8], keying: Keying = .content) -> (items: [MappedItem], rejections: [Rejection]) {
        var padded = body
        padded.append(contentsOf: repeatElement(0, count: JSONLineParser.requiredPadding))
        var items: [MappedItem] = []
        var batchRecords: [MappedRecord] = []
        var rejections: [Rejection] = []
        padded.withUnsafeBytes { raw in
            var start = 0
            var number = 0
            let end = body.count
            while start < end {
                number += 1
                var stop = start
                while stop < end && raw[stop] != 0x0A { stop += 1 }
                var count = stop - start
                if count > 0 && raw[start + count - 1] == 0x0D { count -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])
                start = stop + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                switch parser.parse(line) {
                case .object(let keys):
                    let run = keys[Self.runSlot].bytes.map { String(decoding: $0, as: UTF8.self) }
                    let type = keys[Self.typeSlot].bytes.map { String(decoding: $0, as: UTF8.self) }
                    let time = keys[Self.timeSlot].bytes.flatMap { RFC3339.parseNanoseconds($0) }
                    let record = MappedRecord(payload: Array(line), runKey: run, type: type, time: time)
                    switch keying {
                    case .content:
                        let key = keys[Self.idSlot].bytes.map { ItemKey.event(idBytes: $0) } ?? ItemKey.content(line: line)
                        items.append(MappedItem(key: key, isClosed: true, firstSight: [record], onClose: []))
                    case .producer:
                        batchRecords.append(record)
                    }
                case .invalid(let error):
                    let at = error.byteOffset.map { " (byte \($0 + 1) of the line)" } ?? ""
                    rejections.append(Rejection(line: number, reason: error.reason + at))
                }
            }
        }
        if case .producer(let producer, let batch) = keying, !batchRecords.isEmpty {
            items = [MappedItem(key: ItemKey.producerBatch(producer, batch: batch), isClosed: true, firstSight: batchRecords, onClose: [])]
        }
        return (items, rejections)
    }
}
