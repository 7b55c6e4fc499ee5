import TorqJSON
/// What ``LineValidator/add(_:count:to:)`` made of one line.
enum LineVerdict {
    /// Empty or only spaces, tabs and carriage returns: skipped silently.
    case blank
    /// Appended to the batch; the payload's length in bytes.
    case stored(Int)
    /// Not stored, with the reason and the byte offset of the problem (when known).
    case rejected(reason: String, byteOffset: Int?)
}

/// Validates JSONL lines and appends the good ones to a batch: the per-line work
/// of ``JSONLIngester``, shared by the calling thread and its ``ParseWorker``
/// (each owns one, since a `JSONLineParser` is not thread-safe).
struct LineValidator: ~Copyable {
    private var parser: JSONLineParser
    /// The longest payload stored (the record limit).
    let maxLine: Int
    /// Applied to each valid line before it is stored (``JSONLIngester/transform``).
    var transform: JSONLIngester.Transform?
    /// A transformed line followed by the parser's padding (kept for reuse).
    private var scratch: [UInt8] = []

    init(maxLine: Int, keys: IndexedKeys) {
        self.maxLine = maxLine
        self.parser = JSONLineParser(maxLineLength: maxLine, keys: keys.inSlotOrder)
    }

    /// Appends `line` to `batch`, indexed by the keys the parser extracted.
    @inline(__always)
    private func append(_ line: UnsafeRawBufferPointer, _ keys: JSONLineParser.ExtractedKeys, to batch: inout RecordBatch) throws {
        let time = keys[IndexedKeys.timeSlot].bytes.flatMap { RFC3339.parseNanoseconds($0) }
        try batch.append(payload: line, runKey: keys[IndexedKeys.runSlot].bytes, type: keys[IndexedKeys.typeSlot].bytes, time: time)
    }

    /// Validates one line (without its `\n`; a trailing `\r` is dropped) and
    /// appends it to `batch` when it is exactly one JSON object.
    ///
    /// - Precondition: `JSONLineParser.requiredPadding` bytes after the line are readable.
    @inline(__always)
    mutating func add(_ p: UnsafeRawPointer, count rawCount: Int, to batch: inout RecordBatch) throws -> LineVerdict {
        var count = rawCount
        if count > 0 && p.load(fromByteOffset: count - 1, as: UInt8.self) == 0x0D { count -= 1 }  // CRLF
        if Self.isBlank(p, count) { return .blank }
        if count > maxLine {
            return .rejected(reason: "line is longer than the maximum record size (\(maxLine) bytes)", byteOffset: maxLine)
        }
        let line = UnsafeRawBufferPointer(start: p, count: count)
        switch parser.parse(line) {
        case .object(let keys):
            if let transform {
                let replaced: [UInt8]?
                do {
                    replaced = try transform(line)
                } catch {
                    return .rejected(reason: String(describing: error), byteOffset: nil)
                }
                if let replaced { return try addTransformed(replaced, to: &batch) }
            }
            try append(line, keys, to: &batch)
            return .stored(count)
        case .invalid(let error):
            return .rejected(reason: error.reason, byteOffset: error.byteOffset)
        }
    }

    /// Validates a line produced by ``transform`` (it must again be one JSON
    /// object, with no newline byte, within the record limit) and appends it,
    /// indexed by its own keys.
    private mutating func addTransformed(_ bytes: [UInt8], to batch: inout RecordBatch) throws -> LineVerdict {
        guard !bytes.isEmpty else { return .rejected(reason: "the transform produced an empty line", byteOffset: nil) }
        guard bytes.count <= maxLine else {
            return .rejected(reason: "the transform produced a line longer than the maximum record size (\(maxLine) bytes)", byteOffset: nil)
        }
        if let nl = bytes.firstIndex(of: 0x0A) {
            return .rejected(reason: "the transform produced a line containing a newline byte", byteOffset: nl)
        }
        var padded: [UInt8] = []
        swap(&padded, &scratch)
        defer { swap(&padded, &scratch) }
        padded.removeAll(keepingCapacity: true)
        padded.append(contentsOf: bytes)
        padded.append(contentsOf: repeatElement(0, count: JSONLineParser.requiredPadding))
        return try padded.withUnsafeBytes { raw in
            let line = UnsafeRawBufferPointer(rebasing: raw[0..<bytes.count])
            switch parser.parse(line) {
            case .object(let keys):
                try append(line, keys, to: &batch)
                return .stored(bytes.count)
            case .invalid(let error):
                return .rejected(reason: "the transform produced invalid JSON: \(error.reason)", byteOffset: error.byteOffset)
            }
        }
    }

    @inline(__always)
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
