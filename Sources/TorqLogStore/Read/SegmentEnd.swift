/// Where a WAL segment's valid frames end, and what that end means: the one
/// rule (FORMAT.md §2.3) that every reader, the verifier, the sealer and the
/// writer's recovery apply, with one set of messages.
///
/// A partial frame or a zero-filled tail is the normal end of the **active**
/// segment (the last one, which a writer may be appending to, or was when it
/// crashed): readers stop there ("no more records yet"), the next writer
/// truncates it, and it holds nothing that was acknowledged. In a **closed**
/// segment, which was complete and synced before the next one was created,
/// the same bytes are damage. A frame that fails a check is damage anywhere.
enum SegmentEnd: Equatable {
    /// The end of the file, exactly after the last valid frame (or the segment header).
    case clean
    /// A partial frame or zero-filled tail at the end of the active segment, from `offset` on.
    case unfinished(offset: Int64, reason: String)
    /// Damage: the error names the segment, the offset and why.
    case damaged(StoreError)

    /// What `step` means for a segment at `path`; nil when it is a frame.
    ///
    /// - Parameter isActive: whether this is the store's active segment (the
    ///   last segment, a WAL one), where a torn tail is expected.
    init?(_ step: SegmentCursor.Step, path: String, isActive: Bool) {
        switch step {
        case .frame:
            return nil
        case .end:
            self = .clean
        case .partial(let offset, let reason):
            self = isActive ? .unfinished(offset: offset, reason: reason)
                : .damaged(StoreError(.corruption, path: path, offset: offset, reason + " in a closed segment"))
        case .zeroTail(let offset):
            self = isActive ? .unfinished(offset: offset, reason: "zero-filled tail")
                : .damaged(StoreError(.corruption, path: path, offset: offset, "zero-filled bytes in a closed segment"))
        case .corrupt(let offset, let reason):
            self = .damaged(StoreError(.corruption, path: path, offset: offset, reason))
        }
    }

    /// Returns when the segment's data ended legitimately; throws the damage otherwise.
    func check() throws {
        if case .damaged(let error) = self { throw error }
    }
}

extension SegmentCursor {
    /// Checks that the segment header names the base sequence its file name says.
    func checkBase(_ base: UInt64) throws {
        guard header.baseSequence == base else {
            throw StoreError(.corruption, path: path, offset: 16,
                             "segment header says base sequence \(header.baseSequence), file name says \(base)")
        }
    }

    /// Reads frames until the segment's data ends; returns that end.
    /// `body` sees each valid frame.
    func readToEnd(isActive: Bool, _ body: (FrameView) throws -> Void) throws -> SegmentEnd {
        while true {
            let step = try next()
            if let end = SegmentEnd(step, path: path, isActive: isActive) { return end }
            if case .frame(let f) = step { try body(f) }
        }
    }
}
