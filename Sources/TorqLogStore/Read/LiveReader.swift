#if canImport(Glibc)
import Glibc
#endif

/// Follows a store as a writer appends to it, across segment rollovers
/// (`tail -f`). Waits on inotify, not in a sleep loop.
///
/// A partial frame at the end of the active segment means "not yet": the
/// reader waits for the rest. It only ever returns frames that pass their checksums.
public final class LiveReader {
    public let directory: StoreDirectory
    private var source: Source?
    private var segmentBase: UInt64
    private var position: StorePosition
    private let inotifyFD: Int32

    /// Follows `directory` from `position` (e.g. `StoreReader.endPosition()`).
    public init(directory: StoreDirectory, from position: StorePosition) throws {
        try directory.requireExisting()
        self.directory = directory
        self.position = position
        self.segmentBase = position.segment
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw StoreError.lastError(.inotify, path: directory.path) }
        inotifyFD = fd
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE)
        guard inotify_add_watch(fd, directory.path, mask) >= 0 else {
            close(fd)
            throw StoreError.lastError(.inotify, path: directory.path)
        }
    }

    deinit { close(inotifyFD) }

    /// The sequence number of the next record this reader will return.
    public var nextSequence: UInt64 { position.sequence }

    /// Calls `body` with the records available now (at most about `limit`); returns how many.
    public func readAvailable(limit: Int = 4096, _ body: (RecordView) throws -> Void) throws -> Int {
        var count = 0
        while count < limit {
            if source == nil { source = try openSource() }
            guard let current = source else { return count }
            switch current {
            case .sealed(let s, let groupIndex):
                // A segment sealed before we got to it (a reader lagging behind the writer):
                // one group at a time, its records back in sequence order.
                guard groupIndex < s.groups.count else {
                    move(to: s.endSequence)
                    continue
                }
                let group = try decodedGroup()
                if loadedGroup?.segment != s.base || loadedGroup?.group != groupIndex {
                    loadedGroup = nil
                    try group.load(s, group: groupIndex, blocks: Array(s.groups[groupIndex].blocks))
                    loadedGroup = (s.base, groupIndex)
                }
                let finished = try group.forEach(RecordFilter(), segment: s.base, from: position.sequence) { r, _ in
                    guard count < limit else { return false }
                    try body(r)
                    position.sequence = r.sequence + 1
                    count += 1
                    return true
                }
                if finished { source = .sealed(s, group: groupIndex + 1) }
            case .wal(let c):
                switch try c.next() {
                case .frame(let f):
                    try body(RecordView(f, segment: segmentBase))
                    position = StorePosition(segment: segmentBase, offset: c.offset, sequence: c.expectedSequence)
                    count += 1
                case .end, .partial, .zeroTail:
                    try c.refreshLength()
                    if case .frame = try peek(c) { continue }  // more arrived meanwhile
                    // Nothing more here: has the writer rolled over to the next segment?
                    // (An empty segment cannot have rolled over: the next one would have its own name.)
                    guard c.expectedSequence != segmentBase, segmentExists(c.expectedSequence) else {
                        try checkNotCutBack(c)
                        return count
                    }
                    // The writer syncs and finishes a segment before it creates the next,
                    // so this one is closed now: what is left must be whole frames.
                    try c.refreshLength()
                    let step = try peek(c)
                    if case .frame = step { continue }
                    try SegmentEnd(step, path: c.path, isActive: false)?.check()
                    move(to: c.expectedSequence)
                case .corrupt(let at, let reason):
                    throw StoreError(.corruption, path: c.path, offset: at, reason)
                }
            }
        }
        return count
    }

    /// Throws when the writer cut the segment back below what this reader has
    /// read: a failed writer drops what it had not made durable (FORMAT.md §3),
    /// and records this reader returned past that point may be written again
    /// with other contents.
    private func checkNotCutBack(_ c: SegmentCursor) throws {
        guard c.fileLength < c.offset else { return }
        throw StoreError(.corruption, path: c.path, offset: c.fileLength,
                         "the writer cut this segment back to byte \(c.fileLength) after a failed write or sync; records from sequence \(c.expectedSequence) on that were read here were not durable")
    }

    private enum Source {
        case wal(SegmentCursor)
        case sealed(SealedSegment, group: Int)
    }

    private var group: DecodedGroup?
    /// Which group `group` holds.
    private var loadedGroup: (segment: UInt64, group: Int)?

    private func decodedGroup() throws -> DecodedGroup {
        if let group { return group }
        let g = try DecodedGroup()
        group = g
        return g
    }

    private func move(to base: UInt64) {
        segmentBase = base
        position = StorePosition(segment: base, offset: Int64(SegmentHeader.size), sequence: base)
        source = nil
    }

    private func segmentExists(_ base: UInt64) -> Bool {
        Filesystem.exists(directory.file(SegmentName.wal(base))) || Filesystem.exists(directory.file(SegmentName.sealed(base)))
    }

    /// Opens the segment holding `position`: its WAL file, or its sealed file once it has been sealed.
    private func openSource() throws -> Source? {
        loadedGroup = nil
        let opened = try OpenedSegment.open(directory, base: segmentBase, chunkSize: 256 << 10) {
            try SealedSegment(path: $0.path, base: $0.base)
        }
        switch opened {
        case nil:
            return nil  // not created yet
        case .wal(let c):
            if position.segment == segmentBase { c.seek(to: position.offset, sequence: position.sequence) }
            return .wal(c)
        case .sealed(let s):
            let first = s.groups.firstIndex { $0.lastSequence >= position.sequence } ?? s.groups.count
            return .sealed(s, group: first)
        }
    }

    /// Whether the next step of `c` is a frame, without consuming it.
    private func peek(_ c: SegmentCursor) throws -> SegmentCursor.Step {
        let (off, seq) = (c.offset, c.expectedSequence)
        let step = try c.next()
        c.seek(to: off, sequence: seq)
        return step
    }

    /// Blocks until the store's directory changes or `timeoutMilliseconds` pass.
    /// Returns false on timeout.
    @discardableResult
    public func waitForChange(timeoutMilliseconds: Int32) -> Bool {
        var pfd = pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, timeoutMilliseconds)
        guard r > 0 else { return false }
        var buf = [UInt8](repeating: 0, count: 16 << 10)
        while buf.withUnsafeMutableBytes({ Glibc.read(inotifyFD, $0.baseAddress, $0.count) }) > 0 {}
        return true
    }
}
