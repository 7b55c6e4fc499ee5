import Synchronization
import TorqEvents

/// Keeps the newest `capacity` events in memory (for tests and for hosts
/// that only want ``TelemetryCollector/events(matching:)``). Older events are
/// evicted one by one and counted.
package final class MemorySink: EventSink, @unchecked Sendable {
    private struct Entry: Sendable {
        var json: [UInt8]
        var runID: String?
        var type: String
        var time: Int64
    }

    /// A ring: `entries[(head + i) % entries.count]` is the i-th oldest event.
    private struct Ring: ~Copyable {
        var entries: [Entry] = []
        var head = 0
        var evicted = 0
    }

    let capacity: Int
    /// Flusher thread only.
    private var pending: [Entry] = []
    /// Shared between the flusher (commit) and readers (events, evicted).
    private let ring = Mutex(Ring())

    package init(capacity: Int) throws(TelemetryError) {
        guard capacity > 0 else { throw TelemetryError(.invalidArgument, "memory storage capacity must be at least 1 (is \(capacity))") }
        self.capacity = capacity
    }

    package var pendingCount: Int { pending.count }

    /// Events pushed out by newer ones.
    package var evicted: Int { ring.withLock { $0.evicted } }

    package func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws {
        pending.append(Entry(json: Array(json), runID: runID, type: type, time: time))
    }

    package func commit() throws -> Int {
        let n = pending.count
        ring.withLock { r in
            for entry in pending {
                if r.entries.count < capacity {
                    r.entries.append(entry)
                } else {
                    r.entries[r.head] = entry
                    r.head = (r.head + 1) % capacity
                    r.evicted += 1
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
        return n
    }

    package func discardPending() { pending.removeAll() }

    package func close() throws {}

    package func events(matching query: EventQuery) throws -> [StoredEvent] {
        ring.withLock { r in
            var found: [StoredEvent] = []
            let count = r.entries.count
            for i in 0..<count {
                let e = r.entries[(r.head + i) % count]
                guard query.matches(runID: e.runID, type: e.type, time: e.time) else { continue }
                found.append(StoredEvent(json: e.json))
                if found.count >= query.limit ?? .max { break }
            }
            return found
        }
    }
}
