import CZlib
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// Appends events to a JSONL file (the seed's file storage), one event per
/// line; with `gzip`, each batch as one gzip member, so the file is a valid
/// multi-member gzip stream after every commit.
///
/// A commit is one `write(2)`; when it fails the file is cut back to its
/// length before the commit, so a reader never sees half a batch (or a
/// broken gzip member). Durability: `always` syncs after each commit; `batch`
/// syncs at a commit when the interval has passed since the last sync, and at
/// close; `never` leaves it to the kernel.
final class JSONLSink: EventSink, @unchecked Sendable {
    let path: String
    let gzip: Bool
    private let fd: Int32
    private let durability: DurabilityPolicy
    /// Flusher thread only: the batch being built, and the file's committed length.
    private var lines: [UInt8] = []
    private var count = 0
    private var committedLength: Int64
    private var compressed: [UInt8] = []
    private var lastSync: UInt64 = 0
    private var unsynced = false

    init(path: String, gzip: Bool, durability: DurabilityPolicy) throws(TelemetryError) {
        self.path = path
        self.gzip = gzip
        self.durability = durability
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TelemetryError(.io, path: path, "cannot open for appending: " + String(cString: strerror(errno))) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            Glibc.close(fd)
            throw TelemetryError(.io, path: path, "cannot seek: " + String(cString: strerror(errno)))
        }
        self.fd = fd
        committedLength = Int64(end)
        lastSync = Self.monotonicMilliseconds
    }

    deinit { Glibc.close(fd) }

    private static var monotonicMilliseconds: UInt64 { TelemetryCollector.monotonicNanoseconds() / 1_000_000 }

    var pendingCount: Int { count }

    func add(json: UnsafeRawBufferPointer, runID: String?, type: String, time: Int64) throws {
        lines.append(contentsOf: json)
        lines.append(0x0A)
        count += 1
    }

    func commit() throws -> Int {
        guard count > 0 else { return 0 }
        if gzip {
            try deflateMember()
            try writeAtEnd(compressed)
        } else {
            try writeAtEnd(lines)
        }
        let n = count
        lines.removeAll(keepingCapacity: true)
        count = 0
        switch durability {
        case .always: try sync()
        case .batch(let ms):
            unsynced = true
            if Self.monotonicMilliseconds - lastSync >= UInt64(ms) { try sync() }
        case .never: break
        }
        return n
    }

    func discardPending() {
        lines.removeAll(keepingCapacity: true)
        count = 0
    }

    func close() throws {
        if unsynced || durability == .always { try sync() }
    }

    private func sync() throws(TelemetryError) {
        guard fdatasync(fd) == 0 else { throw TelemetryError(.io, path: path, "fdatasync failed: " + String(cString: strerror(errno))) }
        lastSync = Self.monotonicMilliseconds
        unsynced = false
    }

    /// Writes `bytes` after the committed end; on failure cuts the file back.
    private func writeAtEnd(_ bytes: [UInt8]) throws(TelemetryError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 {
            _ = ftruncate(fd, off_t(committedLength))
            throw TelemetryError(.io, path: path, "write failed: " + String(cString: strerror(failure)))
        }
        committedLength += Int64(bytes.count)
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
        var parser = JSONLineParser(maxLineLength: FrameHeader.maxPayloadLength)
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
            let run = keys.runID.map { String(decoding: $0, as: UTF8.self) }
            let type = keys.eventType.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let time = keys.timestamp.flatMap { RFC3339.parseNanoseconds($0) }
            if query.matches(runID: run, type: type, time: time) { found.append(StoredEvent(json: Array(line))) }
        }
        return found
    }
}
