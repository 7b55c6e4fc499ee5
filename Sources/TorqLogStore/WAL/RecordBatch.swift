#if canImport(Glibc)
import Glibc
#endif

/// Records prepared for one append: already laid out as frames, so the writer
/// only stamps sequence numbers and checksums and issues one `write(2)`.
///
/// Reuse a batch (`removeAll()`) to keep its buffers: building a batch does not
/// allocate once its capacity has grown to the batch size.
public struct RecordBatch: Sendable {
    /// The frames, back to back; sequence and checksums are filled in by the writer.
    var bytes: [UInt8] = []
    /// The start offset of each frame in `bytes`.
    var frameStarts: [Int] = []

    /// An empty batch.
    public init() {}

    /// The number of records in the batch.
    public var count: Int { frameStarts.count }
    /// Whether the batch is empty.
    public var isEmpty: Bool { frameStarts.isEmpty }
    /// Bytes the batch's frames take on disk.
    public var byteCount: Int { bytes.count }
    /// Bytes of payload in the batch (excluding framing and keys).
    public private(set) var payloadByteCount: Int = 0
    /// The sequence number of the first record, once a writer has stamped the
    /// batch (``LogWriter/append(_:keepingRecords:)``); nil before.
    public private(set) var firstSequence: UInt64?
    /// The sequence numbers of the records, once stamped.
    public var sequences: Range<UInt64>? { firstSequence.map { $0..<($0 + UInt64(count)) } }

    /// Empties the batch, keeping its capacity.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        frameStarts.removeAll(keepingCapacity: true)
        payloadByteCount = 0
        firstSequence = nil
    }

    /// Makes room for `records` more records of `bytes` more bytes of frames
    /// in all, so that filling the batch does not grow its buffers step by step.
    package mutating func reserveCapacity(records: Int, bytes: Int) {
        frameStarts.reserveCapacity(frameStarts.count + records)
        self.bytes.reserveCapacity(self.bytes.count + bytes)
    }

    /// Adds the records of `other`, an unstamped batch, after these.
    ///
    /// - Precondition: neither batch is stamped.
    public mutating func append(contentsOf other: RecordBatch) {
        precondition(firstSequence == nil && other.firstSequence == nil, "RecordBatch.append(contentsOf:): a stamped batch")
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        frameStarts.append(contentsOf: other.frameStarts.lazy.map { $0 + base })
        payloadByteCount += other.payloadByteCount
    }

    /// Calls `body` with each record's payload, in order.
    package func forEachPayload(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            for start in frameStarts {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
                let run = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 12, as: UInt16.self)))
                let type = Int(raw.load(fromByteOffset: start + 14, as: UInt8.self))
                let from = start + FrameHeader.size + run + type
                try body(UnsafeRawBufferPointer(rebasing: raw[from..<(from + length)]))
            }
        }
    }

    /// Calls `body` with each record as it was added, in order: its payload,
    /// its run key and type tag (nil when not given, or too long to be
    /// stored) and its time (nil when not given).
    package func forEachRecord(
        _ body: (_ payload: UnsafeRawBufferPointer, _ runKey: UnsafeRawBufferPointer?, _ type: UnsafeRawBufferPointer?, _ time: Int64?) throws -> Void
    ) rethrows {
        try bytes.withUnsafeBytes { raw in
            for start in frameStarts {
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
                let run = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 12, as: UInt16.self)))
                let type = Int(raw.load(fromByteOffset: start + 14, as: UInt8.self))
                let flags = FrameHeader.Flags(rawValue: raw.load(fromByteOffset: start + 15, as: UInt8.self))
                let time = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 24, as: Int64.self))
                let keys = start + FrameHeader.size
                let from = keys + run + type
                try body(UnsafeRawBufferPointer(rebasing: raw[from..<(from + length)]),
                         flags.contains(.hasRun) ? UnsafeRawBufferPointer(rebasing: raw[keys..<(keys + run)]) : nil,
                         flags.contains(.hasType) ? UnsafeRawBufferPointer(rebasing: raw[(keys + run)..<from]) : nil,
                         flags.contains(.hasTime) ? time : nil)
            }
        }
    }

    /// Drops the records numbered below `sequence` (of a stamped batch: the
    /// ones a failed writer had made durable), keeping the rest in order.
    public mutating func removeRecords(before sequence: UInt64) {
        guard let first = firstSequence, sequence > first else { return }
        removeFirst(frames: Int(min(sequence - first, UInt64(count))))
    }

    /// Adds a record.
    ///
    /// - Parameters:
    ///   - payload: the JSON bytes, stored exactly as given; 1 byte to 16 MiB, no newline byte.
    ///   - runKey: the record's run key, if any (longer than 65,535 bytes: flagged, not stored).
    ///   - type: the record's type tag, if any (longer than 255 bytes: flagged, not stored).
    ///   - time: the event time in nanoseconds since the epoch, if any.
    /// - Throws: `StoreError.invalidArgument` for an empty or oversized payload or one containing a newline.
    public mutating func append(
        payload: UnsafeRawBufferPointer,
        runKey: UnsafeRawBufferPointer? = nil,
        type: UnsafeRawBufferPointer? = nil,
        time: Int64? = nil
    ) throws {
        guard payload.count > 0 else { throw StoreError(.invalidArgument, "empty payload") }
        guard payload.count <= FrameHeader.maxPayloadLength else {
            throw StoreError(.invalidArgument, "payload of \(payload.count) bytes exceeds the \(FrameHeader.maxPayloadLength)-byte limit")
        }
        if memchr(payload.baseAddress!, 0x0A, payload.count) != nil {
            throw StoreError(.invalidArgument, "payload contains a newline byte")
        }
        let start = bytes.count
        frameStarts.append(start)
        payloadByteCount += payload.count
        appendHeader(runKey: runKey, type: type, time: time, payloadLength: payload.count)
        bytes.append(contentsOf: payload)
    }

    /// Adds a record whose payload `write` appends to the batch's own buffer,
    /// so the payload is written once, where it will be stored (an encoder
    /// writes there instead of into a buffer of its own that is then copied).
    /// `write` must only append. The payload is then checked as
    /// ``append(payload:runKey:type:time:)`` checks it; when it fails, nothing
    /// of the record stays in the batch.
    /// - Throws: `StoreError.invalidArgument` for an empty or oversized payload or one containing a newline.
    package mutating func append(runKey: UnsafeRawBufferPointer?, type: UnsafeRawBufferPointer?, time: Int64?,
                                 writingPayload write: (inout [UInt8]) -> Void) throws {
        let start = bytes.count
        appendHeader(runKey: runKey, type: type, time: time, payloadLength: 0)
        let payloadStart = bytes.count
        write(&bytes)
        do {
            try checkPayload(from: payloadStart)
        } catch {
            bytes.removeLast(bytes.count - start)
            throw error
        }
        setPayloadLength(bytes.count - payloadStart, ofFrameAt: start)
        frameStarts.append(start)
        payloadByteCount += bytes.count - payloadStart
    }

    /// Calls `body` with the payload of the last record added; nil for an empty batch.
    package func withLastPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let start = frameStarts.last else { return nil }
        return try bytes.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[payloadStart(ofFrameAt: start, in: raw)...]))
        }
    }

    /// Replaces the payload of the last record added (unstamped) with
    /// `payload`. When `payload` is refused (as ``append(payload:runKey:type:time:)``
    /// refuses), the last record is removed from the batch and the error thrown.
    package mutating func replaceLastPayload(with payload: UnsafeRawBufferPointer) throws {
        guard let start = frameStarts.last else { return }
        precondition(firstSequence == nil, "RecordBatch.replaceLastPayload: a stamped batch")
        let from = bytes.withUnsafeBytes { payloadStart(ofFrameAt: start, in: $0) }
        payloadByteCount -= bytes.count - from
        bytes.removeLast(bytes.count - from)
        bytes.append(contentsOf: payload)
        do {
            try checkPayload(from: from)
        } catch {
            bytes.removeLast(bytes.count - start)
            frameStarts.removeLast()
            throw error
        }
        setPayloadLength(bytes.count - from, ofFrameAt: start)
        payloadByteCount += bytes.count - from
    }

    private func payloadStart(ofFrameAt start: Int, in raw: UnsafeRawBufferPointer) -> Int {
        let run = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 12, as: UInt16.self)))
        let type = Int(raw.load(fromByteOffset: start + 14, as: UInt8.self))
        return start + FrameHeader.size + run + type
    }

    /// Checks the payload in `from ..< bytes.count`: 1 byte to 16 MiB, no newline.
    private func checkPayload(from: Int) throws {
        let count = bytes.count - from
        guard count > 0 else { throw StoreError(.invalidArgument, "empty payload") }
        guard count <= FrameHeader.maxPayloadLength else {
            throw StoreError(.invalidArgument, "payload of \(count) bytes exceeds the \(FrameHeader.maxPayloadLength)-byte limit")
        }
        let newline = bytes.withUnsafeBytes { raw in raw.baseAddress.map { memchr($0 + from, 0x0A, count) != nil } ?? false }
        if newline { throw StoreError(.invalidArgument, "payload contains a newline byte") }
    }

    private mutating func setPayloadLength(_ length: Int, ofFrameAt start: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(length).littleEndian, toByteOffset: start + 8, as: UInt32.self) }
    }

    /// Appends a frame's header (checksums and sequence zero, for `stamp`), run key and type tag.
    private mutating func appendHeader(runKey: UnsafeRawBufferPointer?, type: UnsafeRawBufferPointer?, time: Int64?, payloadLength: Int) {
        var flags: FrameHeader.Flags = []
        var run = UnsafeRawBufferPointer(start: nil, count: 0)
        if let runKey {
            if runKey.count > FrameHeader.maxRunKeyLength { flags.insert(.runTooLong) } else { flags.insert(.hasRun); run = runKey }
        }
        var tag = UnsafeRawBufferPointer(start: nil, count: 0)
        if let type {
            if type.count > FrameHeader.maxTypeLength { flags.insert(.typeTooLong) } else { flags.insert(.hasType); tag = type }
        }
        if time != nil { flags.insert(.hasTime) }
        var header: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &header) { h in
            h.storeBytes(of: UInt32(payloadLength).littleEndian, toByteOffset: 8, as: UInt32.self)
            h.storeBytes(of: UInt16(run.count).littleEndian, toByteOffset: 12, as: UInt16.self)
            h.storeBytes(of: UInt8(tag.count), toByteOffset: 14, as: UInt8.self)
            h.storeBytes(of: flags.rawValue, toByteOffset: 15, as: UInt8.self)
            h.storeBytes(of: (time ?? 0).littleEndian, toByteOffset: 24, as: Int64.self)
        }
        withUnsafeBytes(of: &header) { bytes.append(contentsOf: $0) }
        if run.count > 0 { bytes.append(contentsOf: run) }
        if tag.count > 0 { bytes.append(contentsOf: tag) }
    }

    /// Adds a record from byte arrays or strings (convenience for tests and tools).
    public mutating func append(payload: [UInt8], runKey: String? = nil, type: String? = nil, time: Int64? = nil) throws {
        var runBytes = runKey.map { Array($0.utf8) }
        var typeBytes = type.map { Array($0.utf8) }
        try payload.withUnsafeBytes { p in
            try withOptionalBytes(&runBytes) { r in
                try withOptionalBytes(&typeBytes) { t in
                    try append(payload: p, runKey: r, type: t, time: time)
                }
            }
        }
    }

    /// Stamps sequence numbers from `first` and computes both checksums of every frame.
    mutating func stamp(firstSequence first: UInt64) {
        firstSequence = first
        frameStarts.withUnsafeBufferPointer { starts in
            bytes.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                for (i, start) in starts.enumerated() {
                    let p = base + start
                    p.storeBytes(of: (first + UInt64(i)).littleEndian, toByteOffset: 16, as: UInt64.self)
                    let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(start: p + 8, count: 24))
                    p.storeBytes(of: headerCRC.littleEndian, toByteOffset: 4, as: UInt32.self)
                    let end = i + 1 < starts.count ? starts[i + 1] : raw.count
                    let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: p + 4, count: end - start - 4))
                    p.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
                }
            }
        }
    }

    /// Drops the first `n` frames (already written), keeping the rest in order.
    package mutating func removeFirst(frames n: Int) {
        guard n > 0 else { return }
        guard n < frameStarts.count else { removeAll(); return }
        if let first = firstSequence { firstSequence = first + UInt64(n) }
        let cut = frameStarts[n]
        for i in 0..<n { payloadByteCount -= payloadLength(i) }
        bytes.removeFirst(cut)
        frameStarts.removeFirst(n)
        for i in frameStarts.indices { frameStarts[i] -= cut }
    }

    /// Payload length of frame `i`, from its header.
    private func payloadLength(_ i: Int) -> Int {
        bytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: frameStarts[i] + 8, as: UInt32.self))) }
    }

    /// Length of frame `i`.
    func frameLength(_ i: Int) -> Int {
        (i + 1 < frameStarts.count ? frameStarts[i + 1] : bytes.count) - frameStarts[i]
    }
}

private func withOptionalBytes<R>(_ bytes: inout [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    try TorqLogStore.withOptionalBytes(bytes, body)
}
