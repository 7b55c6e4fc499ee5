import CTorqSupport
import Foundation
import Synchronization

/// The single writer of a store: appends batches of records to the active WAL
/// segment, rolls segments over, and makes records durable per its policy.
///
/// Safe to share between threads and tasks: appends are serialised by one
/// lock (a `write(2)` per batch, microseconds), while `fdatasync` runs under a
/// second lock so that appenders keep writing during a sync and every appender
/// waiting for durability is covered by the one sync in flight (group commit).
/// Methods block the calling thread on I/O; call them from a thread of your
/// own (the collector's flusher, the CLI), not from a latency-sensitive task.
public final class LogWriter: Sendable {
    /// How a writer behaves.
    public struct Options: Sendable {
        /// Roll over to a new segment when the active one would exceed this many bytes (default 64 MiB).
        public var segmentSize: Int = 64 << 20
        /// When appended records reach stable storage (default `batch`, 100 ms).
        public var durability: DurabilityPolicy = .defaultBatch
        /// Seal each WAL segment (LZ4, indexed) in the background once it is closed (default true).
        public var sealClosedSegments: Bool = true
        /// Retention applied in the background after each segment is sealed
        /// (default: the policy saved in the store's `retention.json`, if any).
        public var retention: RetentionPolicy?
        /// Whether to apply the store's saved policy when `retention` is nil (default true).
        public var applySavedRetention = true
        /// Called (on the syncing thread) after records become durable, with the
        /// number of the first record that is not yet durable: every record
        /// below it is durable. Under `never`, called after each write.
        public var onDurable: (@Sendable (UInt64) -> Void)?

        /// Default options.
        public init(segmentSize: Int = 64 << 20, durability: DurabilityPolicy = .defaultBatch,
                    sealClosedSegments: Bool = true, onDurable: (@Sendable (UInt64) -> Void)? = nil) {
            self.segmentSize = segmentSize
            self.durability = durability
            self.sealClosedSegments = sealClosedSegments
            self.onDurable = onDurable
        }
    }

    /// What recovery did when the writer opened the store.
    public struct Recovery: Sendable {
        /// Bytes cut from the active segment's torn tail (0 when it was clean).
        public var bytesDropped: Int64
        /// The active segment that was checked.
        public var segment: String
        /// Where the valid data ended, and why the rest was dropped, when something was.
        public var truncatedAt: Int64?
        public var reason: String?
        /// Temporary files removed.
        public var temporaryFilesRemoved: Int
        /// WAL segments removed because their sealed twin was complete (a seal interrupted before cleanup).
        public var sealedDuplicatesRemoved = 0
        /// Sealed segments removed because a merged segment covers them (a merge interrupted before cleanup).
        public var coveredSegmentsRemoved = 0
    }

    private struct State: ~Copyable {
        var active: OwnedFile
        var activeBase: UInt64
        var activeSize: Int64
        /// Offset up to which writeback of the active segment has been started.
        var writebackStarted: Int64 = 0
        var nextSequence: UInt64
        var closed = false
    }

    /// The store this writer has open.
    public let directory: StoreDirectory
    /// The options it was opened with.
    public let options: Options
    /// What recovery found on open.
    public let recovery: Recovery

    private let lock: StoreLock
    private let state: Mutex<State>
    /// Records with a sequence below this are durable; guarded so that one fdatasync runs at a time.
    private let durable: Mutex<UInt64>
    private let syncer: PeriodicSyncer?
    private let sealer: BackgroundSealer?

    /// Opens `directory` for writing: creates it if needed, takes the writer
    /// lock, recovers the active segment (FORMAT.md §4).
    ///
    /// - Throws: `.locked` when another writer has it open; `.corruption` when
    ///   the active segment is damaged anywhere but a torn tail.
    public init(directory: StoreDirectory, options: Options = Options()) throws {
        guard options.segmentSize >= SegmentHeader.size + FrameHeader.size + 1 else {
            throw StoreError(.invalidArgument, "segment size \(options.segmentSize) is too small")
        }
        try Filesystem.makeDirectory(directory.path)
        let lock = try StoreLock.acquire(directory)
        var removed = 0
        for name in try Filesystem.list(directory.path) where name.hasSuffix(".tmp") {
            try Filesystem.remove(directory.file(name))
            removed += 1
        }
        // A WAL segment whose sealed twin exists was sealed completely (the
        // sealed file is renamed into place only after it is synced): drop it.
        var duplicates = 0
        let sealedBases = Set(try Filesystem.list(directory.path).compactMap(SealedFormat.parseName))
        for wal in try directory.walSegments() where sealedBases.contains(wal.base) {
            try Filesystem.remove(wal.path)
            duplicates += 1
        }
        if duplicates > 0 { try Filesystem.syncDirectory(directory.path) }
        let covered = try Compactor.removeCoveredSegments(directory)
        var segments = try directory.segments()
        if segments.last?.kind != .wal {
            // Empty store, or everything sealed: start a WAL segment after the last sealed one.
            let base = try segments.last.map { try SealedSegment(path: $0.path, base: $0.base).endSequence } ?? 0
            try Self.createSegment(directory, base: base)
            segments = try directory.segments()
        }
        let last = segments[segments.count - 1]
        let file = try OwnedFile.open(last.path, flags: O_RDWR | O_APPEND)
        var recovery = Recovery(bytesDropped: 0, segment: last.path, temporaryFilesRemoved: removed, sealedDuplicatesRemoved: duplicates,
                                coveredSegmentsRemoved: covered)
        let cursor = try SegmentCursor(file: file, verifyPayload: true)
        guard cursor.header.baseSequence == last.base else {
            throw StoreError(.corruption, path: last.path, offset: 16,
                             "segment header says base sequence \(cursor.header.baseSequence), file name says \(last.base)")
        }
        scan: while true {
            switch try cursor.next() {
            case .frame: continue
            case .end: break scan
            case .partial(let at, let reason):
                // An incomplete last frame: a write that never finished, never acknowledged.
                recovery.truncatedAt = at
                recovery.reason = reason
                break scan
            case .zeroTail(let at):
                recovery.truncatedAt = at
                recovery.reason = "zero-filled tail"
                break scan
            case .corrupt(let at, let reason):
                throw StoreError(.corruption, path: last.path, offset: at,
                                 "\(reason); refusing to open for writing (run `torqlog verify`)")
            }
        }
        if let at = recovery.truncatedAt {
            recovery.bytesDropped = cursor.fileLength - at
            try file.truncate(to: at)
            try file.syncData()
        }
        let state = State(active: file, activeBase: last.base, activeSize: cursor.offset,
                          nextSequence: cursor.expectedSequence)
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self.lock = lock
        self.state = Mutex(state)
        self.durable = Mutex(cursor.expectedSequence)
        if case .batch(let ms) = options.durability {
            self.syncer = PeriodicSyncer(intervalMilliseconds: ms)
        } else {
            self.syncer = nil
        }
        if options.sealClosedSegments {
            let sealer = BackgroundSealer(directory: directory,
                                          retention: options.retention ?? (options.applySavedRetention ? RetentionPolicy.load(directory) : nil))
            for closed in segments.dropLast() where closed.kind == .wal { sealer.enqueue(closed) }
            self.sealer = sealer
        } else {
            self.sealer = nil
        }
        syncer?.start { [weak self] in try? self?.sync() }
    }

    deinit {
        syncer?.stop()
        sealer?.stop()
    }

    /// The sequence number the next appended record will get.
    public var nextSequence: UInt64 { state.withLock { $0.nextSequence } }

    /// Every record with a sequence number below this is durable.
    public var durableSequence: UInt64 { durable.withLock { $0 } }

    /// Appends the batch's records, in order, as one write (two when it spans a rollover).
    ///
    /// On return the records are in the page cache (visible to readers) and,
    /// under `always`, on stable storage. The batch is consumed (left empty).
    ///
    /// When a write fails (disk full, I/O error), the segment is cut back to
    /// its last complete record, so nothing half-written is ever visible, and
    /// the error is thrown with `batch` holding exactly the records that were
    /// not written (a batch spanning a rollover may have had its first part
    /// written): appending the same batch again later neither loses nor
    /// duplicates a record. When only the `always` fdatasync fails, the batch
    /// was written (and is left empty) but may not be durable.
    /// - Returns: the sequence numbers given to the records (empty range for an empty batch).
    @discardableResult
    public func append(_ batch: inout RecordBatch) throws -> Range<UInt64> {
        guard !batch.isEmpty else { let n = nextSequence; return n..<n }
        let range: Range<UInt64> = try state.withLock { s in
            guard !s.closed else { throw StoreError(.invalidArgument, path: directory.path, "writer is closed") }
            let first = s.nextSequence
            batch.seal(firstSequence: first)
            do {
                try write(batch, into: &s, first: first)
            } catch {
                // Frames before `s.nextSequence` are in the log; keep the rest for a retry.
                batch.removeFirst(frames: Int(s.nextSequence - first))
                throw error
            }
            return first..<(first + UInt64(batch.count))
        }
        batch.removeAll()
        switch options.durability {
        case .always: try sync(covering: range.upperBound)
        case .batch: syncer?.markDirty()
        case .never: options.onDurable?(range.upperBound)
        }
        return range
    }

    /// Writes a sealed batch at the end of the log, rolling over as needed;
    /// on a failed write, cuts the active segment back to its last complete frame.
    private func write(_ batch: RecordBatch, into s: inout State, first: UInt64) throws {
        var i = 0
        let count = batch.count
        while i < count {
            // Take as many frames as fit in the active segment (at least one).
            var j = i
            var size = s.activeSize
            while j < count {
                let len = Int64(batch.frameLength(j))
                if size + len > Int64(options.segmentSize) && (size > Int64(SegmentHeader.size) || j > i) { break }
                size += len
                j += 1
            }
            if j == i {
                try rollOver(&s, base: first + UInt64(i))
                continue
            }
            let from = batch.frameStarts[i]
            let to = j < count ? batch.frameStarts[j] : batch.bytes.count
            do {
                try batch.bytes.withUnsafeBytes { raw in
                    try s.active.writeAll(UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                }
            } catch {
                // A short write leaves part of a frame: cut it off so that
                // readers (and the next append) see only complete frames.
                try? s.active.truncate(to: s.activeSize)
                throw error
            }
            s.activeSize = size
            s.nextSequence = first + UInt64(j)
            i = j
            // Start writing dirty pages back every few MiB (not a durability
            // barrier): the next fdatasync, at the interval or at rollover,
            // then finds little left to write instead of stalling appenders.
            if options.durability != .never, size - s.writebackStarted >= Self.writebackChunk {
                _ = tq_start_writeback(s.active.fd, s.writebackStarted, size - s.writebackStarted)
                s.writebackStarted = size
            }
        }
    }

    /// Makes every record appended so far durable (one `fdatasync`, shared with concurrent callers).
    public func sync() throws {
        try sync(covering: nextSequence)
    }

    private func sync(covering target: UInt64) throws {
        try durable.withLock { done in
            guard done < target else { return }  // a concurrent sync already covered it
            let (file, upTo) = state.withLock { ($0.active, $0.nextSequence) }
            try file.syncData()
            done = upTo
            options.onDurable?(upTo)
        }
    }

    private func rollOver(_ s: inout State, base: UInt64) throws {
        try s.active.syncData()
        let closed = SegmentFileName(base: s.activeBase, path: directory.file(SegmentName.wal(s.activeBase)), kind: .wal)
        try Self.createSegment(directory, base: base)
        sealer?.enqueue(closed)
        s.active = try OwnedFile.open(directory.file(SegmentName.wal(base)), flags: O_RDWR | O_APPEND)
        s.activeBase = base
        s.activeSize = Int64(SegmentHeader.size)
        s.writebackStarted = 0
    }

    /// Bytes appended between two writeback starts.
    static let writebackChunk: Int64 = 1 << 20

    /// Creates an empty segment crash-safely: temporary name, fdatasync, rename, fsync directory.
    static func createSegment(_ directory: StoreDirectory, base: UInt64) throws {
        let name = directory.file(SegmentName.wal(base))
        let tmp = name + ".tmp"
        let file = try OwnedFile.open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try SegmentHeader(baseSequence: base).encoded().withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try Filesystem.rename(tmp, name)
        try Filesystem.syncDirectory(directory.path)
    }

    /// Seals every closed WAL segment and, when it holds records, the active
    /// one too (after rolling over to a new, empty active segment). Waits
    /// until done; throws the first sealing failure.
    public func sealAll() throws {
        guard let sealer else { throw StoreError(.invalidArgument, path: directory.path, "this writer does not seal segments") }
        try state.withLock { s in
            guard !s.closed else { throw StoreError(.invalidArgument, path: directory.path, "writer is closed") }
            if s.activeSize > Int64(SegmentHeader.size) { try rollOver(&s, base: s.nextSequence) }
        }
        if let first = sealer.drain().first { throw first }
    }

    /// Waits for background sealing to finish; returns its failures (a segment
    /// that failed to seal stays a WAL segment, nothing is lost).
    public func waitForSealing() -> [StoreError] { sealer?.drain() ?? [] }

    /// Flushes (under `batch` and `always`) and releases the store. Appends after close fail.
    /// Background sealing stops: closed WAL segments not yet sealed are sealed
    /// by the next writer (or `sealAll()`, `torqlog seal`). Call
    /// `waitForSealing()` first to let it finish.
    public func close() throws {
        syncer?.stop()
        let wasOpen = state.withLock { s in
            let was = !s.closed
            s.closed = true
            return was
        }
        guard wasOpen else { return }
        defer { lock.release() }
        if options.durability != .never { try sync() }
        // Sealing is maintenance, not durability: a seal in progress is abandoned
        // (the WAL segment stays, complete and synced) and the next writer resumes it.
        sealer?.stopAndWait()
    }
}

/// A thread that calls a sync function once per interval while there is something to sync.
///
/// A plain thread rather than a task: it blocks in `fdatasync`, which must
/// not occupy a thread of the cooperative pool.
final class PeriodicSyncer: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var dirty = false
    private var stopped = false
    private var thread: Thread?
    private let interval: TimeInterval

    init(intervalMilliseconds: Int) {
        interval = Double(intervalMilliseconds) / 1000
    }

    func start(_ sync: @escaping @Sendable () -> Void) {
        let t = Thread { [self] in
            condition.lock()
            while !stopped {
                if !dirty {
                    condition.wait()
                    continue
                }
                // Let the interval pass (group commit), unless stopped.
                let deadline = Date(timeIntervalSinceNow: interval)
                while !stopped && condition.wait(until: deadline) {}
                dirty = false
                condition.unlock()
                sync()
                condition.lock()
            }
            condition.unlock()
        }
        t.name = "torqlog-sync"
        thread = t
        t.start()
    }

    func markDirty() {
        condition.lock()
        if !dirty {
            dirty = true
            condition.signal()
        }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
