import TorqEvents
import TorqJSON
import TorqLogStore
import TorqOTLP

/// Fills a server's window of recent items from the tail of its store when it
/// starts, so that copies sent again after a restart of the server (a
/// forwarder resuming from its cursor, an exporter retrying) are still known.
///
/// The last `count` records give the keys the receiver would have remembered
/// storing them: a `span_start` its span open, a `span_end` its span closed
/// (by trace and span id), any other record its event id, or its bytes when
/// it has none. The window a restart needs is the records a client sends again:
/// for `torqlog forward`, those between its saved cursor and what it had sent,
/// about two seconds of its reading plus its requests in flight; the
/// default window (1 Mi items) covers that at any rate one store takes.
enum RecentItemsSeed {
    /// Adds the keys of the last `count` records of `store` to `window`; returns how many records were read.
    static func fill(_ window: inout RecentItems, from store: StoreDirectory, last count: Int) throws -> Int {
        guard count > 0, store.exists else { return 0 }
        let reader = try StoreReader(directory: store)
        let end = try reader.endPosition().sequence
        let from = end > UInt64(count) ? end - UInt64(count) : 0
        let (position, _) = try reader.position(resuming: from)
        let live = try LiveReader(directory: store, from: position)
        let keys: [EventField] = [.eventType, .eventID, .traceID, .spanID]
        var parser = JSONLineParser(maxLineLength: 1 << 30, keys: keys.map(\.key))
        var line: [UInt8] = []
        var read = 0
        while live.nextSequence < end {
            let got = try live.readAvailable(limit: 4096) { r in
                guard r.sequence < end else { return }
                read += 1
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: r.payload)
                line.append(contentsOf: repeatElement(0x20, count: JSONLineParser.requiredPadding))
                let outcome = line.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<r.payload.count])) }
                guard case .object(let found) = outcome else { return }
                func text(_ slot: Int) -> String? { found[slot].bytes.map { String(decoding: $0, as: UTF8.self) } }
                let type = text(0)
                if type == EventType.spanStart.rawValue || type == EventType.spanEnd.rawValue,
                   let trace = text(2).flatMap(TraceID.init(hex:)), let span = text(3).flatMap(SpanID.init(hex:)) {
                    let key = ItemKey.span(traceID: trace, spanID: span)
                    window.record(key, type == EventType.spanEnd.rawValue ? .closed : .open)
                } else if let id = found[1].bytes, id.count > 0 {
                    window.record(ItemKey.event(idBytes: id), .closed)
                } else {
                    window.record(ItemKey.content(line: r.payload), .closed)
                }
            }
            if got == 0 { break }
        }
        return read
    }
}
