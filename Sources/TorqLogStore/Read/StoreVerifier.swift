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
        var expectedBase: UInt64? = nil
        for (i, segment) in segments.enumerated() {
            report.segments += 1
            let isLast = i == segments.count - 1
            let size = Filesystem.fileSize(segment.path) ?? 0
            report.bytes += size
            if let expectedBase, expectedBase != segment.base {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0,
                    reason: "segment starts at sequence \(segment.base), but the previous one ends before \(expectedBase): records \(min(expectedBase, segment.base))..<\(max(expectedBase, segment.base)) are missing or duplicated",
                    isDamage: true))
            }
            if segment.kind == .sealed {
                expectedBase = verifySealed(segment, size: size, into: &report)
                continue
            }
            let cursor: SegmentCursor
            do {
                cursor = try SegmentCursor(path: segment.path, verifyPayload: true)
            } catch let e as StoreError {
                report.problems.append(Problem(path: segment.path, offset: e.offset ?? 0, length: size, reason: e.message, isDamage: true))
                expectedBase = nil
                continue
            }
            if cursor.header.baseSequence != segment.base {
                report.problems.append(Problem(path: segment.path, offset: 16, length: 8,
                    reason: "segment header says base sequence \(cursor.header.baseSequence), file name says \(segment.base)", isDamage: true))
            }
            var damagedToEnd = false
            scan: while true {
                let step: SegmentCursor.Step
                do { step = try cursor.next() } catch let e as StoreError {
                    report.problems.append(Problem(path: segment.path, offset: e.offset ?? cursor.offset, length: 0, reason: e.message, isDamage: true))
                    break scan
                }
                switch step {
                case .frame:
                    report.records += 1
                case .end:
                    break scan
                case .partial(let at, let reason):
                    report.problems.append(Problem(path: segment.path, offset: at, length: cursor.fileLength - at,
                                                   reason: isLast ? "torn tail: " + reason : reason + " in a closed segment", isDamage: !isLast))
                    break scan
                case .zeroTail(let at):
                    report.problems.append(Problem(path: segment.path, offset: at, length: cursor.fileLength - at,
                                                   reason: isLast ? "torn tail: zero-filled" : "zero-filled bytes in a closed segment", isDamage: !isLast))
                    break scan
                case .corrupt(let at, let reason):
                    let resume = try? cursor.resynchronize(after: at)
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
                }
            }
            expectedBase = damagedToEnd ? nil : cursor.expectedSequence
        }
        return report
    }
}

extension StoreVerifier {
    /// Checks a sealed segment: trailer, index, every block's checksum, LZ4
    /// frames (with their content checksums), keys tables, and that the run
    /// lists match the blocks' keys. Returns the sequence after its last record.
    func verifySealed(_ segment: SegmentFileName, size: Int64, into report: inout Report) -> UInt64? {
        let sealed: SealedSegment
        do { sealed = try SealedSegment(path: segment.path, base: segment.base) } catch let e as StoreError {
            report.problems.append(Problem(path: segment.path, offset: e.offset ?? 0, length: size, reason: e.message, isDamage: true))
            return nil
        } catch {
            report.problems.append(Problem(path: segment.path, offset: 0, length: size, reason: "\(error)", isDamage: true))
            return nil
        }
        guard let block = try? DecodedBlock() else { return sealed.endSequence }
        var runsSeen: [[UInt8]: [UInt32]] = [:]
        for (i, b) in sealed.index.blocks.enumerated() {
            do {
                try sealed.read(block: i, into: block, verifyContentChecksums: true)
                report.records += Int(b.count)
                var minT = Int64.max, maxT = Int64.min
                var blockRuns = Set<[UInt8]>()
                for e in block.keys.entries {
                    let flags = FrameHeader.Flags(rawValue: e.flags)
                    if flags.contains(.hasRun) { blockRuns.insert(block.keys.runs[Int(e.run)]) }
                    if flags.contains(.hasTime) { minT = min(minT, e.time); maxT = max(maxT, e.time) }
                }
                for r in blockRuns { runsSeen[r, default: []].append(UInt32(i)) }
                if minT != b.minTime || maxT != b.maxTime {
                    report.problems.append(Problem(path: segment.path, offset: Int64(b.offset), length: Int64(b.totalLength),
                                                   reason: "block \(i): index time range differs from its records", isDamage: true))
                }
            } catch let e as StoreError {
                report.problems.append(Problem(path: segment.path, offset: e.offset ?? Int64(b.offset), length: Int64(b.totalLength),
                                               reason: e.message, isDamage: true))
            } catch {
                report.problems.append(Problem(path: segment.path, offset: Int64(b.offset), length: Int64(b.totalLength),
                                               reason: "block \(i): \(error)", isDamage: true))
            }
        }
        if !report.problems.contains(where: { $0.path == segment.path }) {
            for (run, blocks) in runsSeen.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where sealed.index.runs[ByteKey(run)] != blocks {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0,
                    reason: "index lists blocks \(sealed.index.runs[ByteKey(run)] ?? []) for run \(String(decoding: run, as: UTF8.self)), its blocks are \(blocks)", isDamage: true))
            }
            if runsSeen.count != sealed.index.runs.count {
                report.problems.append(Problem(path: segment.path, offset: 0, length: 0,
                    reason: "index lists \(sealed.index.runs.count) runs, the blocks hold \(runsSeen.count)", isDamage: true))
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
            if case .frame(let f)? = try? candidate(minimumSequence: minimum) {
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
