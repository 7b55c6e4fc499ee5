#if canImport(Glibc)
import Glibc
#endif

/// Reads JSONL from a file descriptor and appends every valid line to a store
/// (the engine of `torqlog ingest`).
///
/// Each non-empty line must be exactly one JSON object; its `run_id`,
/// `event_type` and `timestamp` (when present as strings) become the frame's
/// run key, type tag and event time. Lines that are not — invalid JSON or
/// UTF-8, not an object, longer than the 16 MiB record limit, starting with a
/// byte order mark — are reported through `onRejection` with their line
/// number, and the lines around them are still stored (unless `strict`).
///
/// The input is read in large chunks into one buffer and lines are validated
/// in place, so a line costs one simdjson parse and one copy into the batch.
/// After each `read(2)` the complete lines gathered so far are appended, so a
/// producer that waits for `acked` lines is never left waiting for a full buffer.
public struct JSONLIngester: ~Copyable {
    /// A line that was not stored.
    public struct Rejection: Sendable, CustomStringConvertible {
        /// The input's name (a path, or `-` for standard input).
        public var source: String
        /// 1-based line number.
        public var line: Int
        /// Why it was rejected.
        public var reason: String
        /// Byte offset of the problem within the line, when known.
        public var byteOffset: Int?

        public var description: String {
            "\(source):\(line): \(reason)"
        }
    }

    /// What one input produced.
    public struct Summary: Sendable {
        /// Records appended.
        public var events = 0
        /// Bytes of the stored lines (payloads).
        public var bytes: Int64 = 0
        /// Lines rejected.
        public var rejected = 0
        /// Lines read, including empty ones.
        public var lines = 0
        /// Whether ingestion stopped at a rejected line (`strict`).
        public var stoppedEarly = false

        /// An empty summary.
        public init() {}
    }

    /// Stop at the first rejected line.
    public var strict = false
    /// Records per append (one `write(2)`).
    public var batchRecords = 8192
    /// Called for each rejected line.
    public var onRejection: (Rejection) -> Void = { _ in }
    /// Called after each append with the running totals.
    public var onProgress: (Summary) -> Void = { _ in }

    private let writer: LogWriter
    private let pipeline: AppendPipeline
    private var parser: JSONLineParser
    private var batch = RecordBatch()
    private let maxLine = FrameHeader.maxPayloadLength
    private let chunk = 4 << 20
    private var buffer: UnsafeMutableRawBufferPointer

    /// An ingester appending to `writer`.
    public init(writer: LogWriter) {
        self.writer = writer
        self.pipeline = AppendPipeline(writer: writer)
        self.parser = JSONLineParser(maxLineLength: FrameHeader.maxPayloadLength)
        // Room for the longest line plus a read chunk, plus the parser's padding.
        self.buffer = .allocate(byteCount: FrameHeader.maxPayloadLength + (4 << 20) + JSONLineParser.requiredPadding, alignment: 64)
    }

    deinit {
        pipeline.stop()
        buffer.deallocate()
    }

    /// Ingests everything readable from `fd` until end of input; on return every
    /// stored line has been appended (and is as durable as the writer's policy makes it).
    /// - Parameter source: the name used in rejection messages.
    /// - Throws: `StoreError` when reading the input or writing the store fails.
    public mutating func ingest(fd: Int32, source: String) throws -> Summary {
        let summary = try ingestLines(fd: fd, source: source)
        try pipeline.drain()
        onProgress(summary)
        return summary
    }

    private mutating func ingestLines(fd: Int32, source: String) throws -> Summary {
        var summary = Summary()
        let base = buffer.baseAddress!
        let capacity = buffer.count - JSONLineParser.requiredPadding
        var fill = 0          // valid bytes in the buffer
        var lineStart = 0     // start of the current (incomplete) line
        var discarding = false // inside a line that is already rejected as too long
        var eof = false

        while !eof {
            // Make room: move the incomplete line to the front.
            if lineStart > 0 {
                if fill > lineStart { memmove(base, base + lineStart, fill - lineStart) }
                fill -= lineStart
                lineStart = 0
            }
            let want = min(chunk, capacity - fill)
            let n = read(fd, base + fill, want)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.errno("read", path: source)
            }
            if n == 0 { eof = true } else { fill += n }

            var scan = lineStart
            while scan < fill {
                guard let nl = memchr(base + scan, 0x0A, fill - scan) else { break }
                let end = base.distance(to: UnsafeMutableRawPointer(nl))
                summary.lines += 1
                if discarding {
                    discarding = false
                } else if try !handleLine(base + lineStart, count: end - lineStart, lineNumber: summary.lines, source: source, summary: &summary) {
                    try flush(&summary)
                    return summary
                }
                scan = end + 1
                lineStart = scan
            }
            if eof && lineStart < fill {
                // A last line without a newline.
                summary.lines += 1
                if !discarding,
                   try !handleLine(base + lineStart, count: fill - lineStart, lineNumber: summary.lines, source: source, summary: &summary) {
                    try flush(&summary)
                    return summary
                }
                lineStart = fill
            } else if fill - lineStart > maxLine + 1 {
                // No newline within the record limit: reject the line, skip to its end.
                if !discarding {
                    let rej = Rejection(source: source, line: summary.lines + 1,
                                        reason: "line is longer than the maximum record size (\(maxLine) bytes)", byteOffset: maxLine)
                    summary.rejected += 1
                    onRejection(rej)
                    if strict { summary.stoppedEarly = true; try flush(&summary); return summary }
                    discarding = true
                }
                lineStart = fill
            }
            // Append what this read completed, so acknowledgements never wait for a full buffer.
            try flush(&summary)
        }
        return summary
    }

    /// Validates one line and adds it to the batch; returns false to stop (strict mode).
    private mutating func handleLine(_ p: UnsafeMutableRawPointer, count rawCount: Int, lineNumber: Int,
                                     source: String, summary: inout Summary) throws -> Bool {
        var count = rawCount
        if count > 0 && p.load(fromByteOffset: count - 1, as: UInt8.self) == 0x0D { count -= 1 }  // CRLF
        if Self.isBlank(p, count) { return true }
        let line = UnsafeRawBufferPointer(start: p, count: count)
        if count > maxLine {
            return reject(Rejection(source: source, line: lineNumber,
                                    reason: "line is longer than the maximum record size (\(maxLine) bytes)", byteOffset: maxLine), &summary)
        }
        switch parser.parse(line) {
        case .object(let keys):
            let time = keys.timestamp.flatMap { RFC3339.parseNanoseconds($0) }
            try batch.append(payload: line, runKey: keys.runID, type: keys.eventType, time: time)
            summary.events += 1
            summary.bytes += Int64(count)
            if batch.count >= batchRecords { try flush(&summary) }
            return true
        case .invalid(let error):
            return reject(Rejection(source: source, line: lineNumber, reason: error.reason, byteOffset: error.byteOffset), &summary)
        }
    }

    private func reject(_ r: Rejection, _ summary: inout Summary) -> Bool {
        summary.rejected += 1
        onRejection(r)
        if strict { summary.stoppedEarly = true }
        return !strict
    }

    /// Hands the batch to the append thread, which writes it while the next one is parsed.
    private mutating func flush(_ summary: inout Summary) throws {
        guard !batch.isEmpty else { return }
        try pipeline.submit(&batch)
        onProgress(summary)
    }

    private static func isBlank(_ p: UnsafeRawPointer, _ count: Int) -> Bool {
        for i in 0..<count {
            switch p.load(fromByteOffset: i, as: UInt8.self) {
            case 0x20, 0x09, 0x0D: continue
            default: return false
            }
        }
        return true
    }
}
