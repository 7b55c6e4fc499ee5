import TorqJSON
/// A batch of events handed from a reading thread to a parsing one: the
/// bytes of up to ``maxRecords`` records back to back, with the parser's
/// padding after the last, and where each came from.
///
/// A batch is only ever used by one thread at a time (the coordinator hands
/// it over under its lock), so the dynamic exclusivity checks of its
/// properties are turned off.
final class ScanBatch: @unchecked Sendable {
    /// Bytes of records a batch holds before it is handed over.
    static let defaultCapacity = 512 << 10
    /// Records a batch holds before it is handed over.
    static let maxRecords = 2048
    private static let padding = JSONLineParser.requiredPadding

    /// Where one record is and where it came from.
    struct Record {
        /// Offset of its bytes in the batch.
        var start: Int
        /// Length of its bytes.
        var length: Int
        /// Line number (JSONL) or sequence number (store records).
        var position: UInt64
        /// Segment base sequence (store records), else 0.
        var segment: UInt64
    }

    @exclusivity(unchecked) private(set) var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) private(set) var capacity: Int
    @exclusivity(unchecked) private(set) var used = 0
    /// The records, `count` of them initialized.
    let records: UnsafeMutablePointer<Record>
    @exclusivity(unchecked) private(set) var count = 0
    /// Index of the source in the scan.
    @exclusivity(unchecked) var source = 0
    /// Whether the records come from a store or segment file: the reader
    /// already applied the filter, and positions are sequence numbers.
    @exclusivity(unchecked) var fromStore = false

    init() {
        capacity = Self.defaultCapacity
        base = .allocate(byteCount: capacity + Self.padding, alignment: 64)
        records = .allocate(capacity: Self.maxRecords)
    }

    deinit {
        base.deallocate()
        records.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Whether a record of `length` bytes fits without handing the batch over first.
    @inline(__always)
    func hasRoom(for length: Int) -> Bool {
        count < Self.maxRecords && used + length <= capacity
    }

    /// Appends a record. An empty batch grows to take a record larger than
    /// its capacity; callers check ``hasRoom(for:)`` otherwise.
    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer, position: UInt64, segment: UInt64 = 0) {
        guard count < Self.maxRecords else { return }
        if used + bytes.count > capacity { grow(to: used + bytes.count) }
        if let from = bytes.baseAddress, bytes.count > 0 {
            (base + used).copyMemory(from: from, byteCount: bytes.count)
        }
        records[count] = Record(start: used, length: bytes.count, position: position, segment: segment)
        count += 1
        used += bytes.count
    }

    /// The bytes of `record`, followed by at least the parser's padding of readable bytes.
    @inline(__always)
    func bytes(of record: Record) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + record.start, count: record.length)
    }

    /// Empties the batch for reuse, giving back memory grown for a huge record.
    func reset() {
        used = 0
        count = 0
        fromStore = false
        if capacity > 4 * Self.defaultCapacity {
            base.deallocate()
            capacity = Self.defaultCapacity
            base = .allocate(byteCount: capacity + Self.padding, alignment: 64)
        }
    }

    private func grow(to needed: Int) {
        let bigger = max(needed, capacity * 2)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: bigger + Self.padding, alignment: 64)
        if used > 0 { fresh.copyMemory(from: base, byteCount: used) }
        base.deallocate()
        base = fresh
        capacity = bigger
    }
}
