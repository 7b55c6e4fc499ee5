import TorqEvents

extension ItemKey {
    /// A span's key: a 64-bit hash of its trace id (16 bytes) and its span id (8 bytes, big-endian).
    package static func span(traceID: TraceID, spanID: SpanID) -> ItemKey {
        var hash = StableHash()
        hash.add(traceID.high)
        hash.add(traceID.low)
        return ItemKey(high: hash.value64, low: spanID.value)
    }

    /// An event's key when it carries its event id: a 128-bit hash of the id.
    /// The same for an OTLP log record and a JSONL line (`/v1/events`) with that id.
    package static func event(id: String) -> ItemKey { event(idBytes: Array(id.utf8)) }

    /// ``event(id:)`` from the id's UTF-8 bytes.
    package static func event(idBytes: some Sequence<UInt8>) -> ItemKey {
        hashed("event") { $0.add(idBytes) }
    }

    /// A JSONL line's key without an event id: a 128-bit hash of its bytes.
    package static func content(line: some Sequence<UInt8>) -> ItemKey {
        hashed("line") { $0.add(line) }
    }

    /// A log record's key without an event id: a 128-bit hash of the record's
    /// serialized protobuf bytes and its resource's.
    static func content(record: [UInt8], resource: [UInt8]) -> ItemKey {
        hashed("record") { hash in
            hash.add(record)
            hash.add(resource)
        }
    }

    /// The key of batch `batch` from producer `producer` (a `torqlog ingest` or
    /// a collector writing through the server): a resent batch is known, while
    /// equal lines in it stay distinct records, as in a store written directly.
    package static func producerBatch(_ producer: String, batch: UInt64) -> ItemKey {
        hashed("producer") { hash in
            hash.add(Array(producer.utf8))
            hash.add(batch)
        }
    }

    /// A 128-bit key: the kind's `tag`, then what `fill` adds (the tags keep
    /// keys of different kinds apart even for equal bytes).
    private static func hashed(_ tag: String, _ fill: (inout StableHash) -> Void) -> ItemKey {
        var hash = StableHash()
        hash.add(Array(tag.utf8))
        fill(&hash)
        let (high, low) = hash.value128
        return ItemKey(high: high, low: low)
    }

    /// Which of an item's records an event id is for: each gets its own.
    enum RecordRole: UInt64 {
        case spanStart = 1, spanEnd, typedEvent, logEvent
    }

    /// A UUID-shaped (version 4 form) `event_id` derived from the key and
    /// `role`: the same for a retried item, different for each record of it.
    func eventID(_ role: RecordRole) -> String {
        var hash = StableHash()
        hash.add(high)
        hash.add(low)
        hash.add(role.rawValue)
        var generator = SplitMix64(seed: hash.value64)
        return EventHeader.randomEventID(using: &generator)
    }
}
