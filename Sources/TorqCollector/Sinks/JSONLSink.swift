import CZlib
import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqEvents
import TorqJSON
#endif

/// Appends events to a JSONL file, one event per
/// line; with `gzip`, each batch as one gzip member, so the file is a valid
/// multi-member gzip stream after every commit.
///
/// A commit is one `write(2)`. Durability: `always` syncs after each commit;
/// `batch` syncs at a commit when the interval has passed since the last
/// sync, and at close; `never` leaves it to the kernel.
///
/// Failures follow the store's rule (FORMAT.md §3): after a failed write or
/// `fdatasync` the descriptor is never used again, since Linux reports a lost
/// write-back once and the next `fdatasync` would succeed without the data.
/// The sink keeps every byte written since its last good sync; the next
/// commit (or close) opens the file anew, cuts it back to that sync's length,
/// and writes those bytes again before its own: a reader never sees half a
/// batch, and no event is lost or written twice.
final class JSONLSink: EventSink, @unchecked Sendable {
    let path: String
    let gzip: Bool
    private let durability: DurabilityPolicy
    /// Flusher thread only: the open file (nil after a failure), the batch being built.
    private var file: Int32?
    private var lines: [UInt8] = []
    private var count = 0
    private var compressed: [UInt8] = []
    private var lastSync: UInt64 = 0
    /// The file's length at the last good sync, and what was written since (events and bytes).
    private var syncedLength: Int64
    private var unsynced: [UInt8] = []
    private var unsyncedEvents = 0
    /// A background-style failure (a `batch` sync after a written batch) not yet reported.
    private var unreported: TelemetryError?

    init(path: String, gzip: Bool, durability: DurabilityPolicy) throws(TelemetryError) {
        self.path = path
        self.gzip = gzip
        self.durability = durability
        let fd = try Self.open(path)
        self.file = fd
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let code = errno
            Glibc.close(fd)
            throw Self.error("lseek", path: path, errno: code)
        }
        syncedLength = Int64(end)
        lastSync = Self.monotonicMilliseconds
    }

    deinit { if let file { Glibc.close(file) } }

    private static func open(_ path: String) throws(TelemetryError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error("open", path: path, errno: errno) }
        return fd
    }

    private static func error(_ call: String, path: String, errno code: Int32) -> TelemetryError {
        TelemetryError(.io, path: path, "\(call) failed: \(String(cString: strerror(code))) (errno \(code))")
    }

    private static var monotonicMilliseconds: UInt64 { TelemetryCollector.monotonicNanoseconds() / 1_000_000 }

    var pendingCount: Int { count }

    var unacknowledgedCount: Int { unsyncedEvents }

    func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws {
        lines.append(contentsOf: json)
        lines.append(0x0A)
        count += 1
    }

    func commit() throws -> Int {
        guard count > 0 else { return 0 }
        let fd = try workingFile()
        if gzip { try deflateMember() }
        let bytes = gzip ? compressed : lines
        try write(bytes, to: fd)
        let n = count
        if durability == .never {
            syncedLength += Int64(bytes.count)
        } else {
            unsynced.append(contentsOf: bytes)
            unsyncedEvents += n
        }
        switch durability {
        case .always:
            do { try sync(fd) } catch {
                // Not durable: the batch stays pending (and is no longer among the bytes to write again).
                unsynced.removeLast(bytes.count)
                unsyncedEvents -= n
                throw error
            }
        case .batch(let ms):
            // The batch is written and held until a sync succeeds: committed
            // either way. A failed sync is reported by the next commit or close.
            if Self.monotonicMilliseconds - lastSync >= UInt64(ms) {
                do { try sync(fd) } catch { unreported = error }
            }
        case .never: break
        }
        lines.removeAll(keepingCapacity: true)
        count = 0
        return n
    }

    func discardPending() {
        lines.removeAll(keepingCapacity: true)
        count = 0
    }

    private var closed = false

    func close() throws {
        guard !closed else { return }
        let fd = try workingFile()
        if !unsynced.isEmpty || durability == .always { try sync(fd) }
        file = nil
        closed = true
        guard Glibc.close(fd) == 0 else { throw Self.error("close", path: path, errno: errno) }
    }

    /// The open file; after a failure, the file opened anew, cut back to the
    /// last good sync, with what was written since written again.
    private func workingFile() throws(TelemetryError) -> Int32 {
        if let failure = unreported {
            unreported = nil
            throw failure
        }
        if let file { return file }
        guard !closed else { throw TelemetryError(.invalidArgument, path: path, "the JSONL sink is closed") }
        let fd = try Self.open(path)
        file = fd
        guard ftruncate(fd, off_t(syncedLength)) == 0 else {
            let code = errno
            fail()
            throw Self.error("ftruncate", path: path, errno: code)
        }
        if !unsynced.isEmpty { try write(unsynced, to: fd) }
        return fd
    }

    /// Gives up the descriptor after a failed call (it is never used again).
    private func fail() {
        if let file { Glibc.close(file) }  // the failure being reported is the one that matters
        file = nil
    }

    private func sync(_ fd: Int32) throws(TelemetryError) {
        guard (InjectedFaults.failure(.fdatasync, path: path) ?? fdatasync(fd)) == 0 else {
            let code = errno
            fail()
            throw Self.error("fdatasync", path: path, errno: code)
        }
        syncedLength += Int64(unsynced.count)
        unsynced.removeAll(keepingCapacity: true)
        unsyncedEvents = 0
        lastSync = Self.monotonicMilliseconds
    }

    /// Writes all of `bytes` at the end of the file; on a failure gives up the
    /// descriptor (the next attempt cuts the file back).
    private func write(_ bytes: [UInt8], to fd: Int32) throws(TelemetryError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = InjectedFaults.failure(.write, path: path) ?? Glibc.write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 {
            fail()
            throw Self.error("write", path: path, errno: failure)
        }
    }

    /// Compresses `lines` into `compressed` as one complete gzip member.
    private func deflateMember() throws(TelemetryError) {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer; level 1: the flusher's time matters more than 10% of size.
        guard deflateInit2_(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TelemetryError(.outOfMemory, path: path, "cannot start gzip compression")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(lines.count)))
        if compressed.count < bound { compressed = [UInt8](repeating: 0, count: bound) }
        var produced = 0
        let status: Int32 = lines.withUnsafeMutableBytes { input in
            compressed.withUnsafeMutableBytes { output in
                stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(output.count)
                let status = deflate(&stream, Z_FINISH)
                produced = output.count - Int(stream.avail_out)
                return status
            }
        }
        guard status == Z_STREAM_END else { throw TelemetryError(.io, path: path, "gzip compression failed (zlib status \(status))") }
        compressed.removeSubrange(produced...)
    }

    func events(matching query: EventQuery) throws -> [StoredEvent] {
        let source: any ByteSource = gzip ? try GzipByteSource(path: path) : try FileByteSource(path: path)
        let reader = LineReader(source: source, maxLineLength: FrameHeader.maxPayloadLength)
        var parser = EventKeys.parser(maxLineLength: FrameHeader.maxPayloadLength)
        var padded: [UInt8] = []
        var found: [StoredEvent] = []
        while found.count < query.limit ?? .max, let next = try reader.next() {
            guard case .line(let line, let number) = next else {
                if case .tooLong(let number) = next {
                    throw TelemetryError(.invalidSource, path: path, "line \(number): longer than \(FrameHeader.maxPayloadLength) bytes")
                }
                continue
            }
            guard !line.isEmpty else { continue }
            padded.removeAll(keepingCapacity: true)
            padded.append(contentsOf: line)
            padded.append(contentsOf: repeatElement(0x20, count: JSONLineParser.requiredPadding))
            let outcome = padded.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<line.count])) }
            guard case .object(let keys) = outcome else {
                throw TelemetryError(.invalidSource, path: path, "line \(number): not a JSON object")
            }
            let run = keys[EventKeys.runSlot].bytes.map { String(decoding: $0, as: UTF8.self) }
            let type = keys[EventKeys.typeSlot].bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let time = keys[EventKeys.timeSlot].bytes.flatMap { RFC3339.parseNanoseconds($0) }
            if query.matches(runID: run, type: type, time: time) { found.append(StoredEvent(json: Array(line))) }
        }
        return found
    }
}
