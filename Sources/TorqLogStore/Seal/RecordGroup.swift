/// The records of one group as the sealer collects them (in sequence order),
/// and their layout in blocks, clustered by run (FORMAT.md §7.4):
///
/// 1. each run with at least `runBlockMinimum` records in the group gets
///    blocks of its own (*run blocks*), in byte order of the run keys, its
///    records in sequence order, a block ending once its JSONL reaches
///    `runBlockBytes`;
/// 2. the other runs share blocks (*shared blocks*), in byte order of their
///    keys, each run's records together in sequence order, then the records
///    without a run key in sequence order; a shared block ends before a run
///    whose records would take its JSONL above `sharedBlockBytes` (so a small
///    run is in one block), or before a record without a run key that would.
///
/// Either kind also ends, rarely, before a record whose type tag would be the
/// block's 65,535th distinct one.
struct RecordGroup {
    struct Record {
        var sequence: UInt64
        /// Where its payload starts in `payloads` (followed by `0x0A`), and its length.
        var start: Int
        var length: Int
        /// Index into `runKeys`, or -1.
        var run: Int32
        /// Index into `typeTags`, or -1.
        var type: Int32
        var flags: FrameHeader.Flags
        var time: Int64
    }

    /// A block's records, in the order of its lines.
    struct Block {
        var kind: SealedBlock.Kind
        var records: [Int]
    }

    /// Every payload followed by `0x0A`, in sequence order.
    private(set) var payloads: [UInt8] = []
    private(set) var records: [Record] = []
    private var runNumbers = InternedKeys()
    private var typeNumbers = InternedKeys()
    /// The group's run keys and type tags, by number.
    var runKeys: [[UInt8]] { runNumbers.keys }
    var typeTags: [[UInt8]] { typeNumbers.keys }

    var isEmpty: Bool { records.isEmpty }
    /// Bytes of the group's JSONL.
    var jsonlBytes: Int { payloads.count }
    var firstSequence: UInt64? { records.first?.sequence }

    mutating func add(sequence: UInt64, payload: UnsafeRawBufferPointer, run: UnsafeRawBufferPointer?,
                      type: UnsafeRawBufferPointer?, flags: FrameHeader.Flags, time: Int64) {
        var r = Record(sequence: sequence, start: payloads.count, length: payload.count, run: -1, type: -1, flags: flags,
                       time: flags.contains(.hasTime) ? time : 0)
        payloads.append(contentsOf: payload)
        payloads.append(0x0A)
        if let run { r.run = Int32(runNumbers.number(of: run)) }
        if let type { r.type = Int32(typeNumbers.number(of: type)) }
        records.append(r)
    }

    /// Room for a group of `jsonlBytes` (its payloads are not moved as it grows).
    mutating func reserve(jsonlBytes: Int) {
        payloads.reserveCapacity(jsonlBytes)
    }

    mutating func removeAll() {
        payloads.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        runNumbers.removeAll()
        typeNumbers.removeAll()
    }

    /// The group's blocks, in file order (see the type's comment).
    func blocks(_ layout: SealLayout) -> [Block] {
        // Each run's records, in sequence order (records are added in sequence order).
        var counts = [Int](repeating: 0, count: runKeys.count)
        var bytes = [Int](repeating: 0, count: runKeys.count)
        var keyless: [Int] = []
        for (i, r) in records.enumerated() {
            if r.run >= 0 {
                counts[Int(r.run)] += 1
                bytes[Int(r.run)] += r.length + 1
            } else {
                keyless.append(i)
            }
        }
        var starts = [Int](repeating: 0, count: runKeys.count + 1)
        for i in 0..<runKeys.count { starts[i + 1] = starts[i] + counts[i] }
        var fill = starts
        var byRun = [Int](repeating: 0, count: records.count - keyless.count)
        for (i, r) in records.enumerated() where r.run >= 0 {
            byRun[fill[Int(r.run)]] = i
            fill[Int(r.run)] += 1
        }
        let order = runKeys.indices.sorted { runKeys[$0].lexicographicallyPrecedes(runKeys[$1]) }

        var out: [Block] = []
        var current = Block(kind: .run, records: [])
        var currentBytes = 0
        var types = TypeCounter(tags: typeTags.count)
        func close() {
            if !current.records.isEmpty { out.append(current) }
            current.records = []
            currentBytes = 0
            types.reset()
        }
        func add(_ i: Int) {
            let r = records[i]
            if !types.admits(r.type) { close() }
            types.insert(r.type)
            current.records.append(i)
            currentBytes += r.length + 1
        }
        // Run blocks.
        for run in order where counts[run] >= layout.runBlockMinimum {
            current.kind = .run
            for i in byRun[starts[run]..<starts[run + 1]] {
                add(i)
                if currentBytes >= layout.runBlockBytes { close() }
            }
            close()
        }
        // Shared blocks.
        current.kind = .shared
        for run in order where counts[run] < layout.runBlockMinimum {
            if !current.records.isEmpty && currentBytes + bytes[run] > layout.sharedBlockBytes { close() }
            for i in byRun[starts[run]..<starts[run + 1]] { add(i) }
        }
        for i in keyless {
            if !current.records.isEmpty && currentBytes + records[i].length + 1 > layout.sharedBlockBytes { close() }
            add(i)
        }
        close()
        return out
    }

    /// The distinct type tags of the block being laid out: a keys table holds at most 65,534.
    private struct TypeCounter {
        private var seen: [Bool]
        private var used: [Int32] = []

        init(tags: Int) { seen = [Bool](repeating: false, count: tags) }

        func admits(_ type: Int32) -> Bool {
            type < 0 || seen[Int(type)] || used.count < Int(SealedFormat.noType) - 1
        }

        mutating func insert(_ type: Int32) {
            guard type >= 0, !seen[Int(type)] else { return }
            seen[Int(type)] = true
            used.append(type)
        }

        mutating func reset() {
            for t in used { seen[Int(t)] = false }
            used.removeAll(keepingCapacity: true)
        }
    }
}
