import CTorqSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The single writer of a store: appends batches of records to the active WAL
/// segment, rolls segments over, and makes records durable per its policy.
///
/// Safe to share between threads and tasks: appends are serialised by one
/// lock (a `write(2)` per batch, microseconds), while `fdatasync` runs under a
/// second lock so that appenders keep writing during a sync and every appender
/// waiting for durability is covered by the one sync in flight (group commit).
/// Methods block the calling thread on I/O; call them from a thread of your
/// own (the collector's flusher, the CLI), not from a latency-sensitive task.
///
/// ## Failure is sticky
///
/// After any failed write, `fdatasync`, directory `fsync`, rename or
/// truncate, the writer is *failed* (``failure``): it never advances
/// ``durableSequence`` again, never calls `onDurable` again, and every later
/// ``append(_:keepingRecords:)``, ``sync()`` and ``close()`` throws the original
/// error. Linux reports a failed write-back to one `fdatasync` only, then
/// marks the pages clean, so a later `fdatasync` would succeed without the
/// data being on disk; nothing written since the last good sync can be
/// trusted. Those pages also stay readable in the page cache, so the failed
/// writer cuts the active segment back to ``Failure/durable``, where its data
/// was last made durable, and a writer opened afterwards with
/// `resumingAfter:` cuts there again before appending. Records after that
/// point were never acknowledged as durable: the producer that still holds
/// them appends them again to the new writer, so none is lost or duplicated
/// (the collector's store sink does this). FORMAT.md §3 states the contract.
public final class LogWriter: Sendable {
    private struct State: ~Copyable {
        var active: OwnedFile
        var activeBase: UInt64
        var activeSize: Int64
        /// Offset up to which writeback of the active segment has been started.
        var writebackStarted: Int64 = 0
        var nextSequence: UInt64
        var closed = false
        /// Whether the failed writer has cut its segment back.
        var cutBack = false
    }

    /// The durable position; its lock is held across every `fdatasync`, so
    /// that syncs are serialised and a failure is decided against the
    /// position no sync can move meanwhile.
    private struct Durability {
        var position: DurablePosition
        var fileClosed = false
    }

    /// What has been written so far: the file a sync must flush, and how far.
    private struct Tip {
        var file: OwnedFile
        var position: DurablePosition
    }

    /// The store this writer has open.
    public let directory: StoreDirectory
    /// The options it was opened with.
    public let options: Options
    /// What recovery found on open.
    public let recovery: Recovery

    private let lock: StoreLock
    // Lock order: state, then durability, then tip or failed (leaves).
    private let state: Mutex<State>
    private let durability: Mutex<Durability>
    private let tip: Mutex<Tip>
    private let failed = Mutex<Failure?>(nil)
    private let syncer: PeriodicSyncer?
    private let sealer: BackgroundSealer?

    /// Opens `directory` for writing: creates it if needed, takes the writer
    /// lock, recovers the active segment (FORMAT.md §4).
    ///
    /// - Parameters:
    ///   - directory: the store; created (mode 0700) when missing.
    ///   - options: segment size, durability, sealing, retention, callbacks.
    ///   - failure: (`resumingAfter:`) the ``failure`` of the previous writer
    ///     of this store in this process, closed since: the new writer cuts the
    ///     active segment back to where that writer's data was durable
    ///     (recovery alone cannot tell: the pages it may have lost are still
    ///     readable in the page cache). Nil for a plain open.
    /// - Throws: `.locked` when another writer has it open; `.corruption` when
    ///   the active segment is damaged anywhere but a torn tail; `.io` errors
    ///   with their `errno`.
    public init(directory: StoreDirectory, options: Options = Options(), resumingAfter failure: Failure? = nil) throws {
        guard options.segmentSize >= SegmentHeader.size + FrameHeader.size + 1 else {
            throw StoreError(.invalidArgument, "segment size \(options.segmentSize) is too small")
        }
        try Filesystem.makeDirectory(directory.path)
        let lock = try StoreLock.acquire(directory)
        var retention = options.retention
        if retention == nil && options.applySavedRetention && options.sealClosedSegments {
            retention = try RetentionPolicy.load(directory)
        }
        let recovered = try WALRecovery(directory, resumingAfter: failure)
        let position = DurablePosition(segment: recovered.base, offset: recovered.size, sequence: recovered.nextSequence)
        self.directory = directory
        self.options = options
        self.recovery = recovered.report
        self.lock = lock
        self.state = Mutex(State(active: recovered.file, activeBase: recovered.base, activeSize: recovered.size,
                                 nextSequence: recovered.nextSequence))
        self.durability = Mutex(Durability(position: position))
        self.tip = Mutex(Tip(file: recovered.file, position: position))
        do {
            if case .batch(let ms) = options.durability {
                self.syncer = try PeriodicSyncer(intervalMilliseconds: ms)
            } else {
                self.syncer = nil
            }
            self.sealer = options.sealClosedSegments ? try BackgroundSealer(directory: directory, layout: options.sealLayout, retention: retention,
                                                                                 onSealed: options.onSealed) : nil
        } catch {
            throw StoreError(error, path: directory.path)
        }
        if let sealer {
            for closed in recovered.closedSegments { sealer.enqueue(closed) }
        }
        syncer?.start { [weak self] in
            guard let self else { return false }
            do {
                try self.sync()
                return true
            } catch {
                // The writer has failed: `failure`, `onFailure` and every later call report it.
                return false
            }
        }
    }

    deinit {
        syncer?.stop()
        sealer?.stop()
    }

    /// The sequence number the next appended record will get.
    public var nextSequence: UInt64 { tip.withLock { $0.position.sequence } }

    /// Every record with a sequence number below this is durable.
    public var durableSequence: UInt64 { durability.withLock { $0.position.sequence } }

    /// Why the writer failed, once it has; nil while it works.
    public var failure: Failure? { failed.withLock { $0 } }

    /// Appends the batch's records, in order, as one write (two when it spans a rollover).
    ///
    /// On return the records are in the page cache (visible to readers) and,
    /// under `always`, on stable storage. Unless `keepingRecords`, the batch
    /// is consumed (left empty); with it, the batch keeps its records, now
    /// stamped with their sequence numbers, for a caller that holds records
    /// until they are durable.
    ///
    /// On a failure (disk full, I/O error, a failed `always` sync) the writer
    /// is failed (see the type's documentation) and the batch is left with all
    /// its records: those below `failure.durable.sequence` are durable (a
    /// batch spanning a rollover may have had its first part synced), the rest
    /// are not in the store and belong in the next writer
    /// (`RecordBatch.removeRecords(before:)` drops the durable ones).
    /// - Returns: the sequence numbers given to the records (empty range for an empty batch).
    @discardableResult
    public func append(_ batch: inout RecordBatch, keepingRecords: Bool = false) throws -> Range<UInt64> {
        let range: Range<UInt64>
        do {
            range = try appendLocked(&batch)
        } catch {
            reportFailure()
            throw error
        }
        guard !range.isEmpty else { return range }
        switch options.durability {
        case .always: try sync(covering: range.upperBound)
        case .batch: syncer?.markDirty()
        case .never:
            durability.withLock { d in
                let t = tip.withLock { $0.position }
                if d.position < t { d.position = t }
            }
            options.onDurable?(range.upperBound)
        }
        if !keepingRecords { batch.removeAll() }
        return range
    }

    /// Stamps and writes `batch` under the state lock; fails the writer on an I/O error.
    private func appendLocked(_ batch: inout RecordBatch) throws -> Range<UInt64> {
        try state.withLock { s in
            if let failure { throw failure.error }
            guard !s.closed else { throw StoreError(.invalidArgument, path: directory.path, "writer is closed") }
            let first = s.nextSequence
            guard !batch.isEmpty else { return first..<first }
            batch.stamp(firstSequence: first)
            do {
                try write(batch, into: &s, first: first)
            } catch let error as StoreError {
                fail(error, state: &s)
                throw error
            }
            return first..<(first + UInt64(batch.count))
        }
    }

    /// Writes a stamped batch at the end of the log, rolling over as needed.
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
            try batch.bytes.withUnsafeBytes { raw in
                try s.active.writeAll(UnsafeRawBufferPointer(rebasing: raw[from..<to]))
            }
            s.activeSize = size
            s.nextSequence = first + UInt64(j)
            let position = DurablePosition(segment: s.activeBase, offset: size, sequence: s.nextSequence)
            tip.withLock { $0.position = position }
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
    ///
    /// - Throws: the writer's failure, the one this sync met or an earlier one.
    public func sync() throws {
        try sync(covering: nextSequence)
    }

    private func sync(covering target: UInt64) throws {
        let outcome: Result<Void, StoreError> = durability.withLock { d in
            if let failure { return .failure(failure.error) }
            guard d.position.sequence < target, !d.fileClosed else { return .success(()) }  // a concurrent sync covered it
            let t = tip.withLock { $0 }
            do {
                try t.file.syncData()
            } catch let error as StoreError {
                markFailed(error, durable: d.position)
                return .failure(error)
            } catch {
                let e = StoreError(.io, path: t.file.path, "fdatasync failed: \(error)")
                markFailed(e, durable: d.position)
                return .failure(e)
            }
            if d.position < t.position { d.position = t.position }
            options.onDurable?(d.position.sequence)
            return .success(())
        }
        if case .failure(let error) = outcome {
            state.withLock { s in cutBack(&s) }
            reportFailure()
            throw error
        }
    }

    /// Records the writer's first failure (the caller holds the durability lock).
    private func markFailed(_ error: StoreError, durable: DurablePosition) {
        failed.withLock { f in
            if f == nil { f = Failure(error: error, durable: durable) }
        }
    }

    /// Fails the writer on an error met while holding the state lock.
    private func fail(_ error: StoreError, state s: inout State) {
        durability.withLock { d in markFailed(error, durable: d.position) }
        cutBack(&s)
    }

    /// Cuts the active segment back to the durable position, once, and reports the failure.
    private func cutBack(_ s: inout State) {
        guard !s.cutBack, var failure else { return }
        s.cutBack = true
        let durable = failure.durable
        // Whatever was written after the durable position (a partial frame
        // included) goes: a reader must not see what may not be on disk.
        if durable.segment == s.activeBase {
            do {
                try s.active.truncate(to: durable.offset)
                s.activeSize = durable.offset
            } catch {
                failure.cutBackError = error as? StoreError ?? StoreError(.io, path: s.active.path, "ftruncate failed: \(error)")
                let recorded = failure
                failed.withLock { $0 = recorded }
            }
        }
    }

    private let failureReported = Atomic<Bool>(false)

    /// Calls `onFailure` once the writer has failed, outside its locks.
    private func reportFailure() {
        guard let failure, !failureReported.exchange(true, ordering: .acquiringAndReleasing) else { return }
        options.onFailure?(failure)
    }

    private func rollOver(_ s: inout State, base: UInt64) throws {
        // The closed segment must be durable before the next one exists (FORMAT.md §1).
        let closedEnd = DurablePosition(segment: s.activeBase, offset: s.activeSize, sequence: s.nextSequence)
        try durability.withLock { d in
            if let failure { throw failure.error }
            do {
                try s.active.syncData()
            } catch let error as StoreError {
                markFailed(error, durable: d.position)
                throw error
            }
            if d.position < closedEnd {
                d.position = closedEnd
                if options.durability != .never { options.onDurable?(closedEnd.sequence) }
            }
        }
        let closed = SegmentFile(base: s.activeBase, path: directory.file(SegmentName.wal(s.activeBase)), kind: .wal)
        try WALRecovery.createSegment(directory, base: base)
        let file = try OwnedFile.open(directory.file(SegmentName.wal(base)), flags: O_RDWR | O_APPEND)
        let previous = s.active
        s.active = file
        s.activeBase = base
        s.activeSize = Int64(SegmentHeader.size)
        s.writebackStarted = 0
        let start = DurablePosition(segment: base, offset: Int64(SegmentHeader.size), sequence: base)
        tip.withLock { $0 = Tip(file: file, position: start) }
        durability.withLock { d in if d.position < start { d.position = start } }
        sealer?.enqueue(closed)
        // The closed segment was synced above; its descriptor is not needed any more.
        try previous.close()
    }

    /// Bytes appended between two writeback starts.
    static let writebackChunk: Int64 = 1 << 20

    /// Seals every closed WAL segment and, when it holds records, the active
    /// one too (after rolling over to a new, empty active segment). Waits
    /// until done; throws the first sealing failure.
    public func sealAll() throws {
        guard let sealer else { throw StoreError(.invalidArgument, path: directory.path, "this writer does not seal segments") }
        defer { reportFailure() }
        try state.withLock { s in
            if let failure { throw failure.error }
            guard !s.closed else { throw StoreError(.invalidArgument, path: directory.path, "writer is closed") }
            if s.activeSize > Int64(SegmentHeader.size) {
                do {
                    try rollOver(&s, base: s.nextSequence)
                } catch let error as StoreError {
                    fail(error, state: &s)
                    throw error
                }
            }
        }
        if let first = sealer.drain().first { throw first }
    }

    /// Waits for background sealing to finish; returns its failures (a segment
    /// that failed to seal stays a WAL segment, nothing is lost).
    public func waitForSealing() -> [StoreError] { sealer?.drain() ?? [] }

    /// Makes everything appended durable (under `batch` and `always`), closes
    /// the active segment and releases the store. Appends after close fail.
    /// Background sealing stops: closed WAL segments not yet sealed are sealed
    /// by the next writer (or `sealAll()`, `torqlog seal`). Call
    /// `waitForSealing()` first to let it finish.
    ///
    /// - Throws: the writer's failure (the lock is released all the same, so
    ///   that a new writer can resume), or the failure of the last sync.
    public func close() throws {
        syncer?.stop()
        let wasOpen = state.withLock { s in
            let was = !s.closed
            s.closed = true
            return was
        }
        guard wasOpen else {
            if let failure { throw failure.error }
            return
        }
        defer {
            // Sealing is maintenance, not durability: a seal in progress is abandoned
            // (the WAL segment stays, complete and synced) and the next writer resumes it.
            sealer?.stop()
            lock.release()
        }
        if let failure { throw failure.error }
        if options.durability != .never { try sync() }
        let file = durability.withLock { d in
            d.fileClosed = true
            return tip.withLock { $0.file }
        }
        try file.close()
    }

    /// Closes the writer after `error` ended the caller's work, and returns
    /// `error`: with the close's own failure added to its message when the
    /// close fails for another reason, never hidden by it.
    ///
    /// ```swift
    /// do { try work(writer); try writer.close() } catch { throw writer.close(after: error) }
    /// ```
    public func close(after error: any Error) -> any Error {
        do {
            try close()
            return error
        } catch let closing as StoreError {
            guard var e = error as? StoreError, e != closing else { return error }
            e.message += "; closing the store failed too: \(closing)"
            return e
        } catch {
            return error
        }
    }
}
