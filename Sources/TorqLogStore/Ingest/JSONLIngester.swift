#if canImport(Glibc)
import Glibc
#endif
import TorqJSON

/// Reads JSONL from a file descriptor and appends every valid line to a store
/// (the engine of `torqlog ingest`).
///
/// Each non-empty line must be exactly one JSON object; the string values of
/// its ``IndexedKeys`` (the run, type and time keys the caller names) become the frame's
/// run key, type tag and event time. Lines that are not — invalid JSON or
/// UTF-8, not an object, longer than the 16 MiB record limit, starting with a
/// byte order mark — are reported through `onRejection` with their line
/// number, and the lines around them are still stored (unless `strict`).
///
/// The input is read in large chunks into one buffer and lines are validated
/// in place, so a line costs one simdjson parse and one copy into the batch.
/// When a read completes at least 64 KiB of lines, they are split at line
/// boundaries into one part per core this process may use (``ParallelWidth``;
/// at least 32 KiB each): this thread validates the first part while
/// `ParseWorker` threads validate the others, and the parts are merged in
/// input order (rejections, line numbers, `strict`, appends), as if one
/// thread had read them.
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

    /// Rewrites a valid line (without its line terminator) before it is
    /// stored: returns the bytes to store instead, or nil to store the line as is.
    public typealias Transform = @Sendable (UnsafeRawBufferPointer) throws -> [UInt8]?

    /// Applied to each valid line before it is stored (e.g. redaction); nil,
    /// the default, stores lines as given and costs nothing.
    ///
    /// - The result must again be exactly one JSON object, with no newline
    ///   byte, within the record limit: it is validated like an input line
    ///   (else the line is rejected, saying the transform produced it), and its
    ///   own indexed keys are indexed.
    /// - A throw rejects the line, with the error's description as the reason
    ///   (counted, reported through `onRejection`, stops a `strict` ingest).
    /// - It must be safe to call from several threads at once: the lines of
    ///   the parts of a large read are transformed on the worker threads,
    ///   concurrently with the first part's on the calling thread, so calls do
    ///   not come in input order. Records are still appended in input order.
    public var transform: Transform?

    private let appender: any RecordAppender
    /// Appends on another thread (created at the first append).
    private var pipeline: AppendPipeline?
    private var validator: LineValidator
    /// Validate the parts of large reads after the first, one each (created at the first large read).
    private var workers: [ParseWorker] = []
    /// Parts a large read is validated in, at most: the cores this process
    /// may use when the ingester is made (``ParallelWidth``). Tests set it to
    /// run several parts on a machine with fewer cores.
    package var width = ParallelWidth.available()
    private var batch = RecordBatch()
    private let maxLine = FrameHeader.maxPayloadLength
    private let chunk = 4 << 20
    /// Complete lines gathered by one read below this size are validated on the
    /// calling thread alone: a pipe delivering a few lines at a time gets them
    /// appended (and acknowledged) without a round trip through the worker.
    private let parallelMinimum = 64 << 10
    private var buffer: UnsafeMutableRawBufferPointer

    /// The keys indexed (run key, type tag, event time).
    public let keys: IndexedKeys

    /// An ingester appending to `writer`, indexing each line by `keys`.
    public init(writer: LogWriter, indexing keys: IndexedKeys) {
        self.init(appender: writer, indexing: keys)
    }

    /// An ingester handing its batches to `appender` (a writer, or a server
    /// holding the store), indexing each line by `keys`.
    public init(appender: any RecordAppender, indexing keys: IndexedKeys) {
        self.appender = appender
        self.keys = keys
        self.validator = LineValidator(maxLine: FrameHeader.maxPayloadLength, keys: keys)
        // Room for the longest line plus a read chunk, plus the parser's padding.
        self.buffer = .allocate(byteCount: FrameHeader.maxPayloadLength + (4 << 20) + JSONLineParser.requiredPadding, alignment: 64)
    }

    deinit {
        for worker in workers { worker.stop() }
        pipeline?.stop()
        buffer.deallocate()
    }

    /// Ingests everything readable from `fd` until end of input; on return every
    /// stored line has been appended (and is as durable as the writer's policy makes it).
    /// - Parameters:
    ///   - fd: the input, read until end of file (not closed).
    ///   - source: the name used in rejection messages.
    /// - Throws: `StoreError` when reading the input or writing the store fails.
    public mutating func ingest(fd: Int32, source: String) throws -> Summary {
        let summary = try ingestLines(fd: fd, source: source)
        try pipeline?.drain()
        onProgress(summary)
        return summary
    }

    private mutating func ingestLines(fd: Int32, source: String) throws -> Summary {
        var summary = Summary()
        validator.transform = transform
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
                throw StoreError.lastError(.read, path: source)
            }
            if n == 0 { eof = true } else { fill += n }

            // The end of an over-long line being skipped.
            if discarding, let nl = memchr(base + lineStart, 0x0A, fill - lineStart) {
                summary.lines += 1
                discarding = false
                lineStart = base.distance(to: UnsafeMutableRawPointer(nl)) + 1
            }
            // Many complete lines: validate them on every core, a part each.
            if width > 1 && !discarding && fill - lineStart >= parallelMinimum,
               let last = Self.lastNewline(base, from: lineStart, to: fill) {
                let complete = last + 1
                while complete - lineStart >= parallelMinimum {
                    let bounds = Self.parts(base, from: lineStart, to: complete,
                                            count: min(width, (complete - lineStart) / (parallelMinimum / 2)))
                    if bounds.count < 3 { break }  // one part: read below, on this thread
                    let (next, stop) = try parallelRound(base, bounds: bounds, source: source, summary: &summary)
                    if stop {
                        try flush(&summary)
                        return summary
                    }
                    lineStart = next
                }
            }

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

    /// The boundaries of up to `count` parts of about equal size of the
    /// complete lines `from ..< to`, each at the start of a line:
    /// `[from, b1, …, to]`, strictly increasing (fewer parts when lines are long).
    private static func parts(_ base: UnsafeMutableRawPointer, from: Int, to: Int, count: Int) -> [Int] {
        var bounds = [from]
        guard count > 1 else { return [from, to] }
        for k in 1..<count {
            let target = max(from + (to - from) * k / count, bounds[bounds.count - 1])
            guard target < to, let nl = memchr(base + target, 0x0A, to - target) else { break }
            let next = base.distance(to: UnsafeMutableRawPointer(nl)) + 1
            if next >= to { break }
            if next > bounds[bounds.count - 1] { bounds.append(next) }
        }
        bounds.append(to)
        return bounds
    }

    /// Validates the complete lines of part 0 (`bounds[0] ..< bounds[1]`) here
    /// and those of part i on worker i − 1 at the same time, then merges in
    /// input order: rejections with their exact line numbers, then each part's
    /// batch. A part that stopped early (its batch full, or `strict` at a bad
    /// line) ends the round there: the parts after it are dropped unappended,
    /// and read again by the next round.
    ///
    /// - Returns: where the next unread line starts, and whether to stop
    ///   (`strict` and a bad line).
    private mutating func parallelRound(_ base: UnsafeMutableRawPointer, bounds: [Int],
                                        source: String, summary: inout Summary) throws -> (next: Int, stop: Bool) {
        let parts = bounds.count - 1
        while workers.count < parts - 1 { workers.append(ParseWorker(maxLine: maxLine, keys: keys)) }
        let workers = Array(self.workers[0..<(parts - 1)])
        // Never leave a worker reading the buffer: wait for every started one, even when this part throws.
        var started = 0
        var results: [ParseWorker.Result] = []
        defer { for worker in workers[results.count..<started] { _ = worker.wait() } }
        for (i, worker) in workers.enumerated() {
            do {
                try worker.start(UnsafeRawPointer(base + bounds[i + 1]), count: bounds[i + 2] - bounds[i + 1], strict: strict,
                                 batchLimit: batchRecords, transform: transform)
            } catch {
                throw StoreError(error, path: source)
            }
            started += 1
        }

        // Part 0, reported as it goes (it comes first in the input).
        var scan = bounds[0]
        while scan < bounds[1] {
            guard let nl = memchr(base + scan, 0x0A, bounds[1] - scan) else { break }
            let lineEnd = base.distance(to: UnsafeMutableRawPointer(nl))
            summary.lines += 1
            if try !handleLine(base + scan, count: lineEnd - scan, lineNumber: summary.lines, source: source, summary: &summary) {
                // Strict stop in part 0: nothing of the other parts is kept.
                for worker in workers {
                    results.append(worker.wait())
                    worker.batch.removeAll()
                }
                return (lineEnd + 1, true)
            }
            scan = lineEnd + 1
        }
        for worker in workers { results.append(worker.wait()) }
        defer { for worker in workers { worker.batch.removeAll() } }  // the parts dropped, or on a throw

        try flush(&summary)  // part 0's records go first
        var next = bounds[1]
        for (i, r) in results.enumerated() {
            if let error = r.error { throw error }
            for rej in r.rejections {
                summary.rejected += 1
                onRejection(Rejection(source: source, line: summary.lines + rej.line, reason: rej.reason, byteOffset: rej.byteOffset))
            }
            summary.lines += r.lines
            summary.events += r.events
            summary.bytes += r.bytes
            if !workers[i].batch.isEmpty {
                try appendPipeline().submit(&workers[i].batch)
                onProgress(summary)
            }
            next = bounds[i + 1] + r.consumed
            if r.stoppedAtRejection {
                summary.stoppedEarly = true
                return (next, true)
            }
            if next < bounds[i + 2] { break }  // its batch filled up: the rest is read again
        }
        return (next, false)
    }

    /// Validates one line and adds it to the batch; returns false to stop (strict mode).
    @inline(__always)
    private mutating func handleLine(_ p: UnsafeMutableRawPointer, count: Int, lineNumber: Int,
                                     source: String, summary: inout Summary) throws -> Bool {
        switch try validator.add(p, count: count, to: &batch) {
        case .blank:
            return true
        case .stored(let n):
            summary.events += 1
            summary.bytes += Int64(n)
            if batch.count >= batchRecords { try flush(&summary) }
            return true
        case .rejected(let reason, let byteOffset):
            return reject(Rejection(source: source, line: lineNumber, reason: reason, byteOffset: byteOffset), &summary)
        }
    }

    /// The offset of the last `\n` in `lo ..< hi`, searched with `memchr` in
    /// windows from the end (glibc's `memrchr` is not visible from Swift).
    private static func lastNewline(_ base: UnsafeMutableRawPointer, from lo: Int, to hi: Int) -> Int? {
        var windowEnd = hi
        while windowEnd > lo {
            let windowStart = max(lo, windowEnd - 4096)
            var found: Int?
            var s = windowStart
            while s < windowEnd, let nl = memchr(base + s, 0x0A, windowEnd - s) {
                let at = base.distance(to: UnsafeMutableRawPointer(nl))
                found = at
                s = at + 1
            }
            if let found { return found }
            windowEnd = windowStart
        }
        return nil
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
        try appendPipeline().submit(&batch)
        onProgress(summary)
    }

    private mutating func appendPipeline() throws -> AppendPipeline {
        if let pipeline { return pipeline }
        do {
            let created = try AppendPipeline(appender: appender)
            pipeline = created
            return created
        } catch {
            throw StoreError(error, path: appender.storePath)
        }
    }
}
