#if canImport(Glibc)
import Glibc
#endif
import TorqEvents

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
final class ScanCoordinator: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let units: [ScanUnit]
    private var nextUnit = 0
    private var ready: [ScanBatch] = []
    private var readyHead = 0
    private var free: [ScanBatch]
    private var readers: Int
    private var failure: TelemetryError?

    /// Batches in circulation for `threads` threads.
    static func batchCount(threads: Int) -> Int { 2 * threads + 2 }

    init(units: [ScanUnit], threads: Int) {
        self.units = units
        readers = threads
        free = (0..<Self.batchCount(threads: threads)).map { _ in ScanBatch() }
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// The next unit to read, or nil when all are taken or the scan failed.
    func takeUnit() -> ScanUnit? {
        locked {
            guard failure == nil, nextUnit < units.count else { return nil }
            nextUnit += 1
            return units[nextUnit - 1]
        }
    }

    /// A free batch (a new one if none is left; only while every batch is held by a reader).
    func takeFree() -> ScanBatch {
        locked { free.popLast() } ?? ScanBatch()
    }

    /// Queues a full batch for parsing; returns a free batch to continue
    /// with, or nil when none is free (the caller then parses a ready batch).
    func submit(_ batch: ScanBatch) -> ScanBatch? {
        locked {
            ready.append(batch)
            pthread_cond_signal(condition)
            return free.popLast()
        }
    }

    /// A ready batch, without waiting.
    func takeReady() -> ScanBatch? {
        locked { popReady() }
    }

    /// A ready batch, waiting for one while any thread still reads; nil at the end.
    func waitReady() -> ScanBatch? {
        locked {
            while true {
                if let batch = popReady() { return batch }
                if readers == 0 { return nil }
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    /// Gives a parsed batch back.
    func release(_ batch: ScanBatch) {
        batch.reset()
        locked { free.append(batch) }
    }

    /// The calling thread reads no more.
    func finishReading() {
        locked {
            readers -= 1
            pthread_cond_broadcast(condition)
        }
    }

    /// Records the scan's first error; no more units are handed out.
    func fail(_ error: TelemetryError) {
        locked { if failure == nil { failure = error } }
    }

    /// The first error, if any.
    var error: TelemetryError? { locked { failure } }

    private func popReady() -> ScanBatch? {
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

/// One piece of input a single thread reads from start to end.
enum ScanUnit: Sendable {
    /// One segment file of a store (or given alone).
    case segment(path: String, source: Int)
    /// A JSONL file, plain (`gzip` false) or gzip-compressed.
    case lines(path: String, source: Int, gzip: Bool)
}
