import TorqEvents
import TorqLogStore

/// What the threads of a scan share: the units of input still to read, the
/// batches ready to parse, the free batches, and the first error.
///
/// Every thread is both a reader and a parser. A thread takes the next unit
/// (a segment file, a JSONL file) and reads it into batches; each full batch
/// goes to the ready list, and the thread continues with a free batch, or,
/// when none is free, parses a ready batch itself first. So while several
/// threads read, each parses about what it reads; when one runs out of
/// units, it parses what the others read. The number of batches is fixed
/// (``batchCount``), which bounds memory.
final class ScanCoordinator: Sendable {
    private struct State {
        let units: [ScanUnit]
        var nextUnit = 0
        var ready: [ScanBatch] = []
        var readyHead = 0
        var free: [ScanBatch]
        var readers: Int
        var failure: TelemetryError?

        mutating func popReady() -> ScanBatch? {
            guard readyHead < ready.count else { return nil }
            let batch = ready[readyHead]
            readyHead += 1
            if readyHead == ready.count {
                ready.removeAll(keepingCapacity: true)
                readyHead = 0
            }
            return batch
        }
    }

    /// Threads wait on it for a ready batch (or the end of reading).
    private let state: ConditionLock<State>

    /// Batches in circulation for `threads` threads.
    static func batchCount(threads: Int) -> Int { 2 * threads + 2 }

    init(units: [ScanUnit], threads: Int) {
        state = ConditionLock(State(units: units, free: (0..<Self.batchCount(threads: threads)).map { _ in ScanBatch() },
                                    readers: threads))
    }

    /// The next unit to read, or nil when all are taken or the scan failed.
    func takeUnit() -> ScanUnit? {
        state.withLock { s in
            guard s.failure == nil, s.nextUnit < s.units.count else { return nil }
            s.nextUnit += 1
            return s.units[s.nextUnit - 1]
        }
    }

    /// A free batch (a new one if none is left; only while every batch is held by a reader).
    func takeFree() -> ScanBatch {
        state.withLock { $0.free.popLast() } ?? ScanBatch()
    }

    /// Queues a full batch for parsing; returns a free batch to continue
    /// with, or nil when none is free (the caller then parses a ready batch).
    func submit(_ batch: ScanBatch) -> ScanBatch? {
        // Every waiter waits for the same thing (a ready batch, or the end): one is enough.
        state.withLock(notify: .one) { s in
            s.ready.append(batch)
            return s.free.popLast()
        }
    }

    /// A ready batch, without waiting.
    func takeReady() -> ScanBatch? {
        state.withLock { $0.popReady() }
    }

    /// A ready batch, waiting for one while any thread still reads; nil at the end.
    func waitReady() -> ScanBatch? {
        state.wait(for: { s -> ScanBatch?? in
            if let batch = s.popReady() { return .some(batch) }
            return s.readers == 0 ? .some(nil) : nil
        })
    }

    /// Gives a parsed batch back.
    func release(_ batch: ScanBatch) {
        batch.reset()
        state.withLock { $0.free.append(batch) }
    }

    /// The calling thread reads no more.
    func finishReading() {
        state.withLock(notify: .all) { $0.readers -= 1 }
    }

    /// Records the scan's first error; no more units are handed out.
    func fail(_ error: TelemetryError) {
        state.withLock { s in if s.failure == nil { s.failure = error } }
    }

    /// The first error, if any.
    var error: TelemetryError? { state.withLock { $0.failure } }
}

/// One piece of input a single thread reads from start to end.
enum ScanUnit: Sendable {
    /// One segment file of a store (or given alone).
    case segment(path: String, source: Int)
    /// Blocks `blocks` of a sealed segment of a store, split so that several
    /// threads read one large segment; the unit holding its last block has
    /// the segment's `end` (the others nil), for the contiguity check.
    case sealedBlocks(path: String, source: Int, blocks: Range<Int>, end: UInt64?)
    /// A JSONL file, plain (`gzip` false) or gzip-compressed.
    case lines(path: String, source: Int, gzip: Bool)
}
