/// The keys of a block's records (FORMAT.md §7.2): what a WAL frame header
/// holds besides the payload, kept beside the compressed JSONL so that
/// filters never parse JSON and sealing loses nothing.
struct KeysTable {
    struct Entry: Equatable {
        /// The record's sequence minus the block's first sequence.
        var sequenceDelta: UInt32 = 0
        var run: UInt32 = SealedFormat.noRun
        var type: UInt16 = SealedFormat.noType
        var flags: UInt8 = 0
        var time: Int64 = 0
    }

    /// The run keys (entries refer to them by number): distinct, in order of first appearance.
    private(set) var runs: [[UInt8]] = []
    /// The type tags, likewise.
    private(set) var types: [[UInt8]] = []
    var entries: [Entry] = []

    mutating func removeAll() {
        runs.removeAll(keepingCapacity: true); types.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    /// Numbers a run key not in the table yet (the caller keeps them distinct).
    mutating func addRun(_ key: [UInt8]) -> UInt32 {
        runs.append(key)
        return UInt32(runs.count - 1)
    }

    /// Numbers a type tag not in the table yet (the caller keeps them distinct, and fewer than 65,535).
    mutating func addType(_ tag: [UInt8]) -> UInt16 {
        types.append(tag)
        return UInt16(types.count - 1)
    }

    /// Adds one record's keys: its run and type numbered by ``addRun(_:)`` and ``addType(_:)``.
    mutating func add(_ entry: Entry) {
        entries.append(entry)
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + entries.count * SealedFormat.keyEntrySize)
        out.appendLE(UInt32(entries.count))
        out.appendLE(UInt32(runs.count))
        for r in runs { out.appendLE(UInt16(r.count)); out.append(contentsOf: r) }
        out.appendLE(UInt32(types.count))
        for t in types { out.append(UInt8(t.count)); out.append(contentsOf: t) }
        for e in entries {
            out.appendLE(e.sequenceDelta); out.appendLE(e.run); out.appendLE(e.type); out.append(e.flags); out.append(0); out.appendLE(e.time)
        }
        return out
    }

    /// The order a keys table's entries are in.
    enum Order {
        /// Version 2: sequence order, the first entry's delta 0.
        case sequence
        /// Version 3 (FORMAT.md §7.4): by run (the run keys listed in byte
        /// order, entries without a run last), then by sequence; some entry's
        /// delta is 0. A run block holds exactly one run, and every entry has it.
        case clustered(SealedBlock.Kind)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, order: Order = .sequence) throws(FormatProblem) -> KeysTable {
        var r = ByteReader(bytes)
        var t = KeysTable()
        let count = Int(try r.u32())
        let nRuns = Int(try r.u32())
        guard nRuns <= bytes.count / 2 else { throw FormatProblem("keys table lists \(nRuns) runs") }
        for _ in 0..<nRuns { t.runs.append(try r.bytes(Int(try r.u16()))) }
        let nTypes = Int(try r.u32())
        guard nTypes <= bytes.count else { throw FormatProblem("keys table lists \(nTypes) types") }
        for _ in 0..<nTypes { t.types.append(try r.bytes(Int(try r.u8()))) }
        guard r.remaining == count * SealedFormat.keyEntrySize else {
            throw FormatProblem("keys table holds \(r.remaining) bytes of entries for \(count) records")
        }
        var clustered = false
        if case .clustered(let kind) = order {
            clustered = true
            for i in t.runs.indices.dropFirst() where !t.runs[i - 1].lexicographicallyPrecedes(t.runs[i]) {
                throw FormatProblem("keys table run keys not in byte order")
            }
            if kind == .run, nRuns != 1 { throw FormatProblem("run block's keys table lists \(nRuns) runs") }
        }
        t.entries.reserveCapacity(count)
        var sawZero = false
        for _ in 0..<count {
            let delta = try r.u32(), run = try r.u32(), type = try r.u16(), flagBits = try r.u8()
            _ = try r.u8()
            let e = Entry(sequenceDelta: delta, run: run, type: type, flags: flagBits, time: try r.i64())
            if clustered {
                if let last = t.entries.last, last.run > run || (last.run == run && last.sequenceDelta >= delta) {
                    throw FormatProblem("keys table entry \(t.entries.count): not in run, then sequence order")
                }
                if delta == 0 { sawZero = true }
            } else {
                guard t.entries.last.map({ $0.sequenceDelta < delta }) ?? (delta == 0) else {
                    throw FormatProblem("keys table entry \(t.entries.count): sequences not ascending")
                }
            }
            let flags = FrameHeader.Flags(rawValue: e.flags)
            guard flags.isSubset(of: .known),
                  (e.run == SealedFormat.noRun) != flags.contains(.hasRun),
                  (e.type == SealedFormat.noType) != flags.contains(.hasType),
                  e.run == SealedFormat.noRun || Int(e.run) < nRuns,
                  e.type == SealedFormat.noType || Int(e.type) < nTypes else {
                throw FormatProblem("keys table entry \(t.entries.count) is inconsistent")
            }
            t.entries.append(e)
        }
        if case .clustered(let kind) = order {
            guard count == 0 || sawZero else { throw FormatProblem("keys table: no entry at the block's first sequence") }
            if kind == .run, t.entries.contains(where: { $0.run != 0 }) { throw FormatProblem("run block holds records of other runs") }
        }
        return t
    }
}
