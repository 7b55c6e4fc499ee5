/// Walks the frames of one WAL segment file, validating each as FORMAT.md §2.3 says.
///
/// The cursor reads the file in large chunks into one reusable buffer; a frame
/// it returns points into that buffer and is valid until the next call. It
/// never guesses: each frame is valid, or the walk ends with the reason.
final class SegmentCursor {
    /// What the cursor found at its position.
    enum Step {
        /// A valid frame.
        case frame(FrameView)
        /// The end of the file, exactly after a valid frame.
        case end
        /// An incomplete frame at the end of the file (a write in progress or a torn tail).
        case partial(offset: Int64, reason: String)
        /// Zero bytes from here to the end of the file (a zero-filled tail).
        case zeroTail(offset: Int64)
        /// A frame that fails a check.
        case corrupt(offset: Int64, reason: String)
    }

    let file: OwnedFile
    let header: SegmentHeader
    /// Whether to check the whole-frame checksum (false: header checksum only, for index scans).
    let verifyPayload: Bool

    /// File offset of the next frame.
    private(set) var offset: Int64
    /// The sequence number the next frame must carry.
    private(set) var expectedSequence: UInt64
    /// The file length as last seen.
    private(set) var fileLength: Int64

    private var buffer: UnsafeMutableRawBufferPointer
    /// File offset of `buffer[0]`, and how many bytes of it are valid.
    private var bufferStart: Int64 = 0
    private var bufferFill: Int = 0

    static let defaultChunk = 1 << 20

    /// Opens the segment at `path`, checks its header.
    convenience init(path: String, verifyPayload: Bool = true, chunkSize: Int = SegmentCursor.defaultChunk) throws {
        let file = try OwnedFile.open(path, flags: O_RDONLY)
        try self.init(file: file, verifyPayload: verifyPayload, chunkSize: chunkSize)
    }

    init(file: OwnedFile, verifyPayload: Bool = true, chunkSize: Int = SegmentCursor.defaultChunk) throws {
        var raw = [UInt8](repeating: 0, count: SegmentHeader.size)
        let n = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: SegmentHeader.size, at: 0) }
        switch raw.withUnsafeBytes({ SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
        case .success(let h): self.header = h
        case .failure(let problem): throw StoreError(.corruption, path: file.path, offset: 0, problem.description)
        }
        self.file = file
        self.verifyPayload = verifyPayload
        self.offset = Int64(SegmentHeader.size)
        self.expectedSequence = header.baseSequence
        self.fileLength = try file.size()
        self.buffer = .allocate(byteCount: max(chunkSize, 4096), alignment: 16)
    }

    deinit { buffer.deallocate() }

    var path: String { file.path }

    /// Re-reads the file length (for a file that a writer is appending to).
    func refreshLength() throws {
        fileLength = try file.size()
    }

    /// Moves to a frame at `offset` whose sequence is `sequence` (from an index).
    func seek(to offset: Int64, sequence: UInt64) {
        self.offset = offset
        self.expectedSequence = sequence
    }

    /// Makes `count` bytes at file offset `at` available in the buffer; returns a pointer, or nil past EOF.
    private func bytes(at: Int64, count: Int) throws -> UnsafeRawPointer? {
        if at + Int64(count) > fileLength { return nil }
        if at >= bufferStart && at + Int64(count) <= bufferStart + Int64(bufferFill) {
            return UnsafeRawPointer(buffer.baseAddress! + Int(at - bufferStart))
        }
        if count > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: count, alignment: 16)
        }
        let want = Int(min(Int64(buffer.count), fileLength - at))
        let got = try file.read(into: buffer.baseAddress!, count: want, at: at)
        bufferStart = at
        bufferFill = got
        guard got >= count else {
            // The file shrank under us (a writer truncated a torn tail).
            fileLength = at + Int64(got)
            return nil
        }
        return UnsafeRawPointer(buffer.baseAddress!)
    }

    /// Whether every byte from `from` to the end of the file is zero.
    private func zerosToEnd(from: Int64) throws -> Bool {
        var at = from
        while at < fileLength {
            let n = Int(min(Int64(4096), fileLength - at))
            guard let p = try bytes(at: at, count: n) else { return false }
            let raw = UnsafeRawBufferPointer(start: p, count: n)
            if raw.contains(where: { $0 != 0 }) { return false }
            at += Int64(n)
        }
        return true
    }

    /// The sequence number of a frame at `at` whose header checksum matches, or nil.
    func sequenceIfHeaderValid(at: Int64) throws -> UInt64? {
        guard let hp = try bytes(at: at, count: FrameHeader.size), FrameHeader.headerChecksumMatches(hp) else { return nil }
        return FrameHeader(loadingFrom: hp).sequence
    }

    /// The frame at the cursor, advancing past it when it is valid.
    func next() throws -> Step {
        if offset == fileLength { return .end }
        if fileLength - offset < Int64(FrameHeader.size) {
            if try zerosToEnd(from: offset) { return .zeroTail(offset: offset) }
            return .partial(offset: offset, reason: "incomplete frame header (\(fileLength - offset) of \(FrameHeader.size) bytes)")
        }
        guard let hp = try bytes(at: offset, count: FrameHeader.size) else {
            return .partial(offset: offset, reason: "file shrank while reading")
        }
        guard FrameHeader.headerChecksumMatches(hp) else {
            if try zerosToEnd(from: offset) { return .zeroTail(offset: offset) }
            return .corrupt(offset: offset, reason: "frame header checksum mismatch")
        }
        let h = FrameHeader(loadingFrom: hp)
        if let problem = h.fieldProblem(expectedSequence: expectedSequence) {
            return .corrupt(offset: offset, reason: problem)
        }
        let length = h.frameLength
        if offset + Int64(length) > fileLength {
            return .partial(offset: offset, reason: "frame of \(length) bytes extends past the end of the file (\(fileLength - offset) bytes present)")
        }
        let keysLength = Int(h.runLength) + Int(h.typeLength)
        let body: UnsafeRawPointer
        if verifyPayload {
            guard let fp = try bytes(at: offset, count: length) else {
                return .partial(offset: offset, reason: "file shrank while reading")
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: fp + 4, count: length - 4))
            guard crc == h.crc else {
                return .corrupt(offset: offset, reason: "frame checksum mismatch (stored \(hex(h.crc)), computed \(hex(crc)))")
            }
            body = fp + FrameHeader.size
        } else {
            guard let kp = try bytes(at: offset, count: FrameHeader.size + keysLength) else {
                return .partial(offset: offset, reason: "file shrank while reading")
            }
            body = kp + FrameHeader.size
        }
        let view = FrameView(
            header: h, offset: offset,
            runKey: h.flags.contains(.hasRun) ? UnsafeRawBufferPointer(start: body, count: Int(h.runLength)) : nil,
            type: h.flags.contains(.hasType) ? UnsafeRawBufferPointer(start: body + Int(h.runLength), count: Int(h.typeLength)) : nil,
            payload: verifyPayload ? UnsafeRawBufferPointer(start: body + keysLength, count: Int(h.payloadLength)) : nil
        )
        offset += Int64(length)
        expectedSequence = h.sequence &+ 1
        return .frame(view)
    }
}

/// A frame as read from a segment; its buffers are valid until the cursor moves.
struct FrameView {
    var header: FrameHeader
    /// Offset of the frame in its segment file.
    var offset: Int64
    var runKey: UnsafeRawBufferPointer?
    var type: UnsafeRawBufferPointer?
    /// The payload (nil when the cursor reads headers only).
    var payload: UnsafeRawBufferPointer?

    var sequence: UInt64 { header.sequence }
    var time: Int64? { header.flags.contains(.hasTime) ? header.time : nil }
}

#if canImport(Glibc)
import Glibc
#endif
