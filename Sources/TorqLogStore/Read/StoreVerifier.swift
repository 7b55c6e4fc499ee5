/// Checks every frame and checksum of every segment of a store (`torqlog verify`).
///
/// It reports each damaged region with the bytes it covers and why, then looks
/// for the next frame that validates in full (both checksums and a larger
/// sequence number) and goes on from there, so one flipped bit does not hide
/// damage further on. It never modifies the store.
public struct StoreVerifier {
    /// One problem found.
    public struct Problem: Sendable, CustomStringConvertible {
        /// The segment file.
        public var path: String
        /// Where the damage starts.
        public var offset: Int64
        /// How many bytes the damaged region covers (to the next valid frame or the end).
        public var length: Int64
        /// What failed.
        public var reason: String
        /// False for a torn tail at the end of the active segment: a write in
        /// progress or an interrupted one that the next writer drops; no
        /// acknowledged record is in it.
        public var isDamage: Bool

        public var description: String {
            "\(path) at byte \(offset): \(reason) (\(length) bytes\(isDamage ? "" : ", not damage: the next writer drops it"))"
        }
    }

    /// What a verification found.
    public struct Report: Sendable {
        /// Segments checked.
        public var segments = 0
        /// Valid records seen.
        public var records = 0
        /// Bytes of segment files checked.
        public var bytes: Int64 = 0
        /// Problems, in file order.
        public var problems: [Problem] = []
        /// Whether anything is damaged.
        public var isDamaged: Bool { problems.contains { $0.isDamage } }
    }

    public let directory: StoreDirectory

    /// A verifier for `directory`.
    public init(directory: StoreDirectory) { self.directory = directory }

    /// Checks the whole store. Throws only when the directory cannot be listed.
    public func run() throws -> Report {
        try directory.requireExisting()
        var report = Report()
        let segments = try directory.segments()
        var chain = SegmentChain()
        for (i, segment) in segments.enumerated() {
            report.segments += 1
            let isActive = i == segments.count - 1 && segment.kind == .wal
            let size = Filesystem.fileSize(segment.path) ?? 0
            report.bytes += size
            let link: SegmentChain.Link
            do {
                link = try chain.link(segment) { try SealedSegment(path: segment.path, base: segment.base).endSequence }
            } catch {
                link = .follows  // its own check below reports why it cannot be opened
            }
            switch link {
            case .follows: break
            case .leftover(let coveredBy):
                report.problems.append(Problem(path: segment.path, offset: 0, length: size,
                    reason: "leftover of an interrupted merge, covered by \(coveredBy); readers skip it and the next writer removes it",
                    isDamage: false))
                continue
            case .gap(let e), .overlap(let e):
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0, reason: e.message, isDamage: true))
            }
            if segment.kind == .sealed {
                chain.keep(segment, end: verifySealed(segment, size: size, into: &report))
                continue
            }
            let cursor: SegmentCursor
            do {
                cursor = try SegmentCursor(path: segment.path, verifyPayload: true)
            } catch let e as StoreError {
                report.problems.append(Problem(path: segment.path, offset: e.offset ?? 0, length: size, reason: e.message, isDamage: true))
                chain.keep(segment, end: nil)
                continue
            }
            do { try cursor.checkBase(segment.base) } catch let e as StoreError {
                report.problems.append(Problem(path: segment.path, offset: 16, length: 8, reason: e.message, isDamage: true))
            }
            var damagedToEnd = false
            scan: while true {
                let step: SegmentCursor.Step
                do { step = try cursor.next() } catch let e as StoreError {
                    report.problems.append(Problem(path: segment.path, offset: e.offset ?? cursor.offset, length: 0, reason: e.message, isDamage: true))
                    damagedToEnd = true
                    break scan
                }
                if case .frame = step {
                    report.records += 1
                    continue
                }
                if case .corrupt(let at, let reason) = step {
                    // Report the damaged region's extent: look for the next frame that validates in full.
                    let resume: (offset: Int64, sequence: UInt64)?
                    do { resume = try cursor.resynchronize(after: at) } catch let e as StoreError {
                        report.problems.append(Problem(path: segment.path, offset: e.offset ?? at, length: 0, reason: e.message, isDamage: true))
                        resume = nil
                    }
                    let end = resume?.offset ?? cursor.fileLength
                    var why = reason
                    if let resume {
                        why += "; next valid frame at byte \(resume.offset) (sequence \(resume.sequence))"
                    } else {
                        why += "; no valid frame after it in this segment"
                    }
                    report.problems.append(Problem(path: segment.path, offset: at, length: end - at, reason: why, isDamage: true))
                    guard let resume else {
                        // Where this segment really ended is unknown: do not report the next one as a gap too.
                        damagedToEnd = true
                        break scan
                    }
                    cursor.seek(to: resume.offset, sequence: resume.sequence)
                    continue
                }
                switch SegmentEnd(step, path: segment.path, isActive: isActive) {
                case .unfinished(let at, let reason):
                    report.problems.append(Problem(path: segment.path, offset: at, length: cursor.fileLength - at,
                                                   reason: "torn tail: " + reason, isDamage: false))
                case .damaged(let e):
                    let at = e.offset ?? cursor.offset
                    report.problems.append(Problem(path: segment.path, offset: at, length: cursor.fileLength - at, reason: e.message, isDamage: true))
                case .clean, nil:
                    break
                }
                break scan
            }
            chain.keep(segment, end: damagedToEnd ? nil : cursor.expectedSequence)
        }
        return report
    }
}

extension StoreVerifier {
    /// Checks a sealed segment: trailer, index (version 3: every block entry and
    /// run page by its own checksum too), every block's checksum, LZ4 frames
    /// (with their content checksums), keys tables, that each group's blocks
    /// hold its records once each, that a run's records ascend from block to
    /// block within a group, and that the run lists and totals match the
    /// blocks' keys. Returns the segment's end sequence.
    func verifySealed(_ segment: SegmentFile, size: Int64, into report: inout Report) -> UInt64? {
        let sealed: SealedSegment
        do { sealed = try SealedSegment(path: segment.path, base: segment.base) } catch let e as StoreError {
            report.problems.append(Problem(path: segment.path, offset: e.offset ?? 0, length: size, reason: e.message, isDamage: true))
            return nil
        } catch {
            report.problems.append(Problem(path: segment.path, offset: 0, length: size, reason: "\(error)", isDamage: true))
            return nil
        }
        func damage(_ e: any Error, at offset: Int64, length: Int64) {
            let message = (e as? StoreError)?.message ?? "\(e)"
            report.problems.append(Problem(path: segment.path, offset: (e as? StoreError)?.offset ?? offset, length: length,
                                           reason: message, isDamage: true))
        }
        let entries: [SealedBlock]
        let runs: [ByteKey: [UInt32]]
        let block: DecodedBlock
        do {
            entries = try sealed.allBlocks()
            runs = try sealed.allRuns()
            block = try DecodedBlock()
        } catch {
            // Where the blocks are is not known for sure: the segment is damaged as a whole.
            damage(error, at: 0, length: size)
            return sealed.endSequence
        }
        var runsSeen: [[UInt8]: [UInt32]] = [:]
        var totals = IndexTotals()
        for (g, group) in sealed.groups.enumerated() {
            var sequences: [UInt64] = []
            var lastOfRun: [[UInt8]: UInt64] = [:]
            var whole = true
            for i in group.blocks {
                let b = entries[i]
                do {
                    try sealed.read(block: i, into: block, verifyContentChecksums: true)
                    report.records += Int(b.count)
                    var minT = Int64.max, maxT = Int64.min
                    var blockRuns = Set<[UInt8]>()
                    for e in block.keys.entries {
                        let flags = FrameHeader.Flags(rawValue: e.flags)
                        let sequence = b.firstSequence + UInt64(e.sequenceDelta)
                        sequences.append(sequence)
                        if flags.contains(.hasRun) {
                            let run = block.keys.runs[Int(e.run)]
                            blockRuns.insert(run)
                            if let last = lastOfRun[run], last >= sequence {
                                throw StoreError(.corruption, path: segment.path, offset: Int64(b.offset),
                                                 "block \(i): record \(sequence) of run \(String(decoding: run, as: UTF8.self)) comes after its record \(last)")
                            }
                            lastOfRun[run] = sequence
                        } else {
                            totals.withoutRun += 1
                        }
                        if flags.contains(.hasTime) { minT = min(minT, e.time); maxT = max(maxT, e.time) } else { totals.withoutTime += 1 }
                        if e.type != SealedFormat.noType { totals.types[block.keys.types[Int(e.type)], default: 0] += 1 }
                    }
                    totals.records += UInt64(block.keys.entries.count)
                    totals.jsonlBytes += UInt64(b.jsonlLength)  // checked against the decompressed block
                    if minT <= maxT { totals.minTime = min(totals.minTime, minT); totals.maxTime = max(totals.maxTime, maxT) }
                    for r in blockRuns { runsSeen[r, default: []].append(UInt32(i)) }
                    if minT != b.minTime || maxT != b.maxTime {
                        report.problems.append(Problem(path: segment.path, offset: Int64(b.offset), length: Int64(b.totalLength),
                                                       reason: "block \(i): index time range differs from its records", isDamage: true))
                    }
                } catch {
                    whole = false
                    damage(error, at: Int64(b.offset), length: Int64(b.totalLength))
                }
            }
            sequences.sort()
            let repeated = zip(sequences, sequences.dropFirst()).first { $0.0 == $0.1 }?.0
            if whole, sequences.count != Int(group.count) || repeated != nil || sequences.first != group.firstSequence || sequences.last != group.lastSequence {
                let at = Int64(entries[group.firstBlock].offset)
                report.problems.append(Problem(path: segment.path, offset: at, length: 0,
                    reason: "group \(g): its blocks hold \(sequences.count) records\(repeated.map { ", sequence \($0) twice" } ?? ""), the index says \(group.count) from \(group.firstSequence) to \(group.lastSequence)",
                    isDamage: true))
            }
        }
        if !report.problems.contains(where: { $0.path == segment.path }) {
            for (run, blocks) in runsSeen.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where runs[ByteKey(run)] != blocks {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0,
                    reason: "index lists blocks \(runs[ByteKey(run)] ?? []) for run \(String(decoding: run, as: UTF8.self)), its blocks are \(blocks)", isDamage: true))
            }
            if runsSeen.count != runs.count {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0,
                    reason: "index lists \(runs.count) runs, the blocks hold \(runsSeen.count)", isDamage: true))
            }
            for problem in totals.differences(from: sealed.index) {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0, reason: problem, isDamage: true))
            }
        }
        return sealed.endSequence
    }
}

extension SegmentCursor {
    /// The first offset after `offset` where a frame validates in full with a
    /// sequence number at least the expected one, or nil. Used only to report
    /// the extent of damage; readers never skip.
    func resynchronize(after offset: Int64) throws -> (offset: Int64, sequence: UInt64)? {
        let minimum = expectedSequence
        var at = offset + 1
        while at + Int64(FrameHeader.size) <= fileLength {
            seek(to: at, sequence: 0)
            // A candidate that fails a check, or reads past the end, is simply not the next frame.
            if case .frame(let f)? = try candidate(minimumSequence: minimum) {
                return (at, f.sequence)
            }
            at += 1
        }
        return nil
    }

    /// Validates a frame at the cursor whose sequence is unknown (at least `minimumSequence`).
    private func candidate(minimumSequence: UInt64) throws -> Step? {
        let at = offset
        guard let peekSeq = try sequenceIfHeaderValid(at: at), peekSeq >= minimumSequence else { return nil }
        seek(to: at, sequence: peekSeq)
        let step = try next()
        if case .frame = step { return step }
        return nil
    }
}

/// The totals a sealed index states (FORMAT.md §7.3), recounted from the blocks' keys.
private struct IndexTotals {
    var records: UInt64 = 0
    var jsonlBytes: UInt64 = 0
    var withoutRun: UInt64 = 0
    var withoutTime: UInt64 = 0
    var types: [[UInt8]: UInt64] = [:]
    var minTime = Int64.max
    var maxTime = Int64.min

    /// One sentence per total that differs from `index`.
    func differences(from index: SealedIndex) -> [String] {
        var out: [String] = []
        func check(_ what: String, _ stated: some BinaryInteger, _ counted: some BinaryInteger) {
            if stated != counted { out.append("index says \(stated) \(what), the blocks hold \(counted)") }
        }
        check("records", index.recordCount, records)
        check("bytes of JSONL", index.jsonlBytes, jsonlBytes)
        check("records without a run key", index.recordsWithoutRun, withoutRun)
        check("records without an event time", index.recordsWithoutTime, withoutTime)
        if index.minTime != minTime || index.maxTime != maxTime {
            out.append("index time range \(index.minTime)...\(index.maxTime) differs from its records' \(minTime)...\(maxTime)")
        }
        if index.types != types {
            let stated = index.types.map { "\(String(decoding: $0.key, as: UTF8.self))=\($0.value)" }.sorted().joined(separator: ", ")
            let counted = types.map { "\(String(decoding: $0.key, as: UTF8.self))=\($0.value)" }.sorted().joined(separator: ", ")
            out.append("index type counts [\(stated)] differ from the blocks' [\(counted)]")
        }
        return out
    }
}
