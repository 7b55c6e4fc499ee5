/// The one contiguity rule (FORMAT.md §1, §8.2): how each segment relates to
/// the ones before it. Every reader, the verifier and the compliance scanner
/// walk segments through it.
///
/// - A segment **follows** when its base sequence equals the previous
///   segment's end sequence: for a WAL segment, its last record's sequence
///   plus one; for a sealed segment, its index's `end_sequence` — not its last
///   record's, since compaction may have removed records at its end. The
///   first segment may start anywhere (retention removes the oldest ones).
/// - A sealed segment whose whole range `[base, end_sequence)` lies below the
///   end of the previous segment kept is a **leftover** of a merge interrupted
///   after its rename: readers skip it, it is not damage, and the next writer
///   deletes it. With several leftovers in a row, each is judged against the
///   last segment kept, never against another leftover.
/// - Anything else is a **gap** (records missing) or an **overlap** (records
///   that would be read twice): damage, reported with both segments.
struct SegmentChain {
    /// How a segment relates to the chain so far.
    enum Link {
        case follows
        case leftover(coveredBy: String)
        case gap(StoreError)
        case overlap(StoreError)
    }

    /// The end sequence of the last segment kept, when known.
    private(set) var end: UInt64?
    private var previousPath: String?

    /// How `segment` relates to the segments kept so far. `sealedEnd` reads a
    /// sealed segment's end sequence; it is called only when needed.
    func link(_ segment: SegmentFile, sealedEnd: () throws -> UInt64) throws -> Link {
        guard let end, segment.base != end else { return .follows }
        let previous = previousPath.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "the previous segment"
        if segment.base > end {
            return .gap(StoreError(.corruption, path: segment.path, offset: 0,
                "segment starts at sequence \(segment.base) but \(previous) ends before \(end): records \(end)..<\(segment.base) are missing"))
        }
        if segment.kind == .sealed, try sealedEnd() <= end {
            return .leftover(coveredBy: previousPath ?? "")
        }
        return .overlap(StoreError(.corruption, path: segment.path, offset: 0,
            "segment starts at sequence \(segment.base), inside \(previous), which ends before \(end): records from \(segment.base) would be read twice"))
    }

    /// Keeps `segment`, which ends before `end` (nil: not known yet, e.g. a
    /// WAL segment not read, or one damaged before its end).
    mutating func keep(_ segment: SegmentFile, end: UInt64?) {
        self.end = end
        previousPath = segment.path
    }

    /// `listing` without its merge leftovers, for readers that need the list
    /// before reading (sealed ends come from their indexes; a WAL segment's
    /// end is not read, so what follows it is kept). Gaps and overlaps are left
    /// for the readers to report when they read.
    static func withoutLeftovers(_ listing: [SegmentFile], sealedEnd: (SegmentFile) throws -> UInt64) throws
        -> (segments: [SegmentFile], leftovers: [SegmentFile]) {
        var chain = SegmentChain()
        var kept: [SegmentFile] = []
        var leftovers: [SegmentFile] = []
        for segment in listing {
            if case .leftover = try chain.link(segment, sealedEnd: { try sealedEnd(segment) }) {
                leftovers.append(segment)
                continue
            }
            kept.append(segment)
            chain.keep(segment, end: segment.kind == .sealed ? try sealedEnd(segment) : nil)
        }
        return (kept, leftovers)
    }

    /// Throws the first gap or overlap in `spans` (segments already read, with
    /// their ends), skipping leftovers.
    static func check(_ spans: [(segment: SegmentFile, end: UInt64)]) throws {
        var chain = SegmentChain()
        for span in spans.sorted(by: { $0.segment.base < $1.segment.base }) {
            switch try chain.link(span.segment, sealedEnd: { span.end }) {
            case .follows: chain.keep(span.segment, end: span.end)
            case .leftover: continue
            case .gap(let e), .overlap(let e): throw e
            }
        }
    }
}
