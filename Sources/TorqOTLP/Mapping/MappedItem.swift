/// One store record made from an OTLP item: the JSON object stored, and the
/// keys the store indexes (run, type, time), as `torqlog ingest` would index it.
package struct MappedRecord: Sendable, Equatable {
    /// The JSON object, one line, no newline byte.
    package var payload: [UInt8]
    /// The record's `run_id`.
    package var runKey: String?
    /// The record's `event_type`.
    package var type: String?
    /// The record's `timestamp`, nanoseconds since the epoch.
    package var time: Int64?

    package init(payload: [UInt8], runKey: String?, type: String?, time: Int64?) {
        self.payload = payload
        self.runKey = runKey
        self.type = type
        self.time = time
    }
}

/// The identity of an OTLP item for dropping retried copies: 128 bits.
///
/// A span's key is its trace id and span id; a log record's is its event id
/// when it carries one (`torq.event.id`), else a hash of the record and its
/// resource, so that a retried request maps to the same keys.
package struct ItemKey: Hashable, Sendable {
    package var high: UInt64
    package var low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// One OTLP item (a span or a log record) mapped into store records, split by
/// when they are written, so that a retried or re-sent item stores nothing twice:
///
/// - `firstSight` is written the first time the key is seen (a span's
///   `span_start`; a log record's event);
/// - `onClose` is written the first time the key is seen closed (a closed
///   span's `span_end` and its typed GenAI event; empty for a log record).
///
/// A span first seen open and later closed therefore gets its start once and
/// its end once; a closed item seen again writes nothing.
package struct MappedItem: Sendable, Equatable {
    package var key: ItemKey
    package var isClosed: Bool
    package var firstSight: [MappedRecord]
    package var onClose: [MappedRecord]

    package init(key: ItemKey, isClosed: Bool, firstSight: [MappedRecord], onClose: [MappedRecord]) {
        self.key = key
        self.isClosed = isClosed
        self.firstSight = firstSight
        self.onClose = onClose
    }
}

/// What a request's items became: the items to store, and the ones rejected
/// (counted and described in the response's `partial_success`).
package struct MappedRequest: Sendable {
    package var items: [MappedItem] = []
    /// Spans or log records that could not be mapped (an id of the wrong length, say).
    package var rejected: Int = 0
    /// Why, for `partial_success.error_message`: the first few reasons, with the item's position.
    package var rejectionMessage: String = ""

    package init() {}

    /// The number of records the items would write, all seen for the first time.
    package var recordCount: Int { items.reduce(0) { $0 + $1.firstSight.count + $1.onClose.count } }
}
