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
    private var cursor: SegmentCursor?
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
        guard fd >= 0 else { throw StoreError.errno("inotify_init1", path: directory.path) }
        inotifyFD = fd
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE)
        guard inotify_add_watch(fd, directory.path, mask) >= 0 else {
            close(fd)
            throw StoreError.errno("inotify_add_watch", path: directory.path)
        }
    }

    deinit { close(inotifyFD) }

    /// The sequence number of the next record this reader will return.
    public var nextSequence: UInt64 { position.sequence }

    /// Calls `body` with the records available now (at most `limit`); returns how many.
    public func readAvailable(limit: Int = 4096, _ body: (RecordView) throws -> Void) throws -> Int {
        var count = 0
        while count < limit {
            let c = try currentCursor()
            guard let c else { return count }
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
                guard c.expectedSequence != segmentBase,
                      Filesystem.exists(directory.file(SegmentName.wal(c.expectedSequence))) else { return count }
                // The writer syncs and finishes a segment before it creates the next,
                // so what is left here now must be whole frames.
                try c.refreshLength()
                switch try peek(c) {
                case .frame: continue
                case .end: break
                case .partial(let at, let reason), .corrupt(let at, let reason):
                    throw StoreError(.corruption, path: c.path, offset: at, reason + " in a closed segment")
                case .zeroTail(let at):
                    throw StoreError(.corruption, path: c.path, offset: at, "zero-filled bytes in a closed segment")
                }
                segmentBase = c.expectedSequence
                position = StorePosition(segment: segmentBase, offset: Int64(SegmentHeader.size), sequence: segmentBase)
                cursor = nil
            case .corrupt(let at, let reason):
                throw StoreError(.corruption, path: c.path, offset: at, reason)
            }
        }
        return count
    }

    /// Whether the next step of `c` is a frame, without consuming it.
    private func peek(_ c: SegmentCursor) throws -> SegmentCursor.Step {
        let (off, seq) = (c.offset, c.expectedSequence)
        let step = try c.next()
        c.seek(to: off, sequence: seq)
        return step
    }

    private func currentCursor() throws -> SegmentCursor? {
        if let cursor { return cursor }
        let path = directory.file(SegmentName.wal(segmentBase))
        guard Filesystem.exists(path) else { return nil }
        let c = try SegmentCursor(path: path, verifyPayload: true, chunkSize: 256 << 10)
        c.seek(to: position.offset, sequence: position.sequence)
        cursor = c
        return c
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
