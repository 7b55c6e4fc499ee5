import TorqEvents
import TorqJSON

/// One span per span id from a stream of records, made by the same rules and
/// the same code as `trace` makes its tree (``TraceBuilder``'s span makers),
/// for writers that cannot hold a whole store: the OTLP export and
/// `torqlog forward`.
///
/// - A `span_start` opens a span; its `span_end` closes it and the span is
///   ready (``TraceBuilder/recordedSpan(id:_:_:full:_:)``). An end whose
///   start was never seen is ready at once, its start derived from
///   `duration_ms`.
/// - Another record whose `span_id` names an open span is attached to it
///   (its event id is listed in ``Assembled/eventIDs``). One whose `span_id`
///   names no span seen makes a leaf span (``TraceBuilder/leaf(id:_:attributes:)``),
///   widened by later records with the same id (``TraceBuilder/extendLeaf(_:with:attributes:)``);
///   a `span_start` or `span_end` for a leaf's id turns the leaf into a
///   recorded span with the leaf's records attached, as `trace` draws it.
/// - A leaf is held while more records may name it: until more than
///   `leafHold` leaves are pending (the oldest is released first), until
///   ``release(now:minimumAge:)`` finds it old enough, or ``finish()``.
/// - A record naming a span already released closed (among the last 65,536)
///   changes nothing here: it travels as a record only. This is the one
///   place where a stream differs from `trace`, which sees the whole run.
///
/// Every span carries ``Assembled/hold``: the lowest sequence of a record
/// whose delivery it completes, so that a cursor can stay below it until the
/// span is answered. ``lowestHold`` is the lowest sequence still held here.
struct SpanAssembler {
    /// A span ready to be written.
    struct Assembled {
        var span: TraceSpan
        /// The record that names the span's run, session and service: its start, else its first record.
        var first: TraceRecord
        /// `event_id` of the `span_start` and `span_end`, when recorded.
        var startEventID: String?
        var endEventID: String?
        /// The ids of the other records naming this span (attached to it, or a leaf's own).
        var eventIDs: [String]
        /// The lowest sequence this span answers for.
        var hold: UInt64
        /// Released open: started, not ended (yet).
        var isOpen: Bool { span.endNanoseconds == nil }
    }

    private struct Open {
        var start: TraceRecord
        var sequence: UInt64
        var eventIDs: [String] = []
        /// Released once already as open; the start's record is then answered by that release.
        var releasedOpen = false
        var seenAt: Int64
    }

    private struct Leaf {
        var span: TraceSpan
        var first: TraceRecord
        var eventIDs: [String]
        var hold: UInt64
        var seenAt: Int64
        var serial: Int
    }

    let leafHold: Int
    private var open: [SpanID: Open] = [:]
    private var leaves: [SpanID: Leaf] = [:]
    /// Leaves by age (serial, id); entries whose leaf is gone or newer are skipped.
    private var leafQueue: [(serial: Int, id: SpanID)] = []
    private var leafQueueHead = 0
    private var serial = 0
    private var released = RecentSpanIDs(capacity: 1 << 16)
    private var ready: [Assembled] = []

    /// An assembler holding at most `leafHold` leaves.
    init(leafHold: Int) {
        self.leafHold = max(leafHold, 0)
    }

    /// Spans started and not ended.
    var openCount: Int { open.count }
    /// Leaves held.
    var pendingLeafCount: Int { leaves.count }

    /// The lowest sequence held by a span not released yet (an open span
    /// released open no longer holds its start).
    var lowestHold: UInt64? {
        var low: UInt64?
        for o in open.values where !o.releasedOpen { low = min(low ?? o.sequence, o.sequence) }
        for l in leaves.values { low = min(low ?? l.hold, l.hold) }
        return low
    }

    /// Adds a record that names a span (`span_id`), seen at `now` (any
    /// monotonic clock, for ``release(now:minimumAge:)``).
    mutating func add(_ record: TraceRecord, sequence: UInt64, now: Int64 = 0) {
        guard let id = record.spanID else { return }
        switch record.eventType {
        case "span_start":
            if open[id] != nil { return }  // a repeated start: the first is used, as in `trace`
            var o = Open(start: record, sequence: sequence, seenAt: now)
            if let leaf = leaves.removeValue(forKey: id) {
                o.eventIDs = leaf.eventIDs
                o.sequence = min(sequence, leaf.hold)
            }
            open[id] = o
        case "span_end":
            var warnings: [String] = []
            if let o = open.removeValue(forKey: id) {
                let span = TraceBuilder.recordedSpan(id: id, o.start, record, full: true, &warnings)
                ready.append(Assembled(span: span, first: o.start, startEventID: o.start.eventID, endEventID: record.eventID,
                                       eventIDs: o.eventIDs, hold: o.releasedOpen ? sequence : o.sequence))
            } else {
                let leaf = leaves.removeValue(forKey: id)
                let span = TraceBuilder.recordedSpan(id: id, nil, record, full: true, &warnings)
                ready.append(Assembled(span: span, first: record, startEventID: nil, endEventID: record.eventID,
                                       eventIDs: leaf?.eventIDs ?? [], hold: min(sequence, leaf?.hold ?? sequence)))
            }
            released.insert(id)
        default:
            if open[id] != nil {
                if let e = record.eventID { open[id]?.eventIDs.append(e) }
            } else if leaves[id] != nil {
                let attributes = TraceBuilder.fieldsAndAttributes(record)
                if let e = record.eventID { leaves[id]?.eventIDs.append(e) }
                if var leaf = leaves[id] {
                    TraceBuilder.extendLeaf(&leaf.span, with: record, attributes: attributes)
                    leaves[id] = leaf
                }
            } else if !released.contains(id) {
                let span = TraceBuilder.leaf(id: id, record, attributes: TraceBuilder.fieldsAndAttributes(record))
                serial += 1
                leaves[id] = Leaf(span: span, first: record, eventIDs: record.eventID.map { [$0] } ?? [], hold: sequence,
                                  seenAt: now, serial: serial)
                leafQueue.append((serial, id))
                while leaves.count > leafHold, let oldest = nextQueuedLeaf() { releaseLeaf(oldest) }
            }
        }
    }

    /// The oldest pending leaf in the queue, dropping stale entries.
    private mutating func nextQueuedLeaf() -> SpanID? {
        while leafQueueHead < leafQueue.count {
            let (s, id) = leafQueue[leafQueueHead]
            if let leaf = leaves[id], leaf.serial == s { return id }
            leafQueueHead += 1
        }
        return nil
    }

    private mutating func compactQueue() {
        if leafQueueHead > 4096 && leafQueueHead * 2 > leafQueue.count {
            leafQueue.removeFirst(leafQueueHead)
            leafQueueHead = 0
        }
    }

    private mutating func releaseLeaf(_ id: SpanID) {
        guard let leaf = leaves.removeValue(forKey: id) else { return }
        ready.append(Assembled(span: leaf.span, first: leaf.first, startEventID: nil, endEventID: nil, eventIDs: leaf.eventIDs, hold: leaf.hold))
        released.insert(id)
        compactQueue()
    }

    /// Releases the leaves seen at least `minimumAge` before `now`, and the
    /// spans open since then as open spans, once each (a span released open is
    /// released again, closed, when its end arrives).
    mutating func release(now: Int64, minimumAge: Int64) {
        while let id = nextQueuedLeaf(), let leaf = leaves[id], now - leaf.seenAt >= minimumAge { releaseLeaf(id) }
        var warnings: [String] = []
        for (id, o) in open where !o.releasedOpen && now - o.seenAt >= minimumAge {
            open[id]?.releasedOpen = true
            let span = TraceBuilder.recordedSpan(id: id, o.start, nil, full: true, &warnings)
            ready.append(Assembled(span: span, first: o.start, startEventID: o.start.eventID, endEventID: nil,
                                   eventIDs: o.eventIDs, hold: o.sequence))
        }
    }

    /// Releases every leaf, and every open span not released open yet, as open.
    mutating func finish() {
        release(now: .max, minimumAge: 0)
    }

    /// The spans ready since the last call, in the order they became ready.
    mutating func takeReady() -> [Assembled] {
        defer { ready.removeAll(keepingCapacity: true) }
        return ready
    }
}

/// The span ids most recently released closed: a set with a ring of insertion order, oldest out first.
struct RecentSpanIDs {
    private var set: Set<SpanID> = []
    private var ring: [SpanID?]
    private var next = 0

    init(capacity: Int) { ring = Array(repeating: nil, count: max(capacity, 1)) }

    func contains(_ id: SpanID) -> Bool { set.contains(id) }

    mutating func insert(_ id: SpanID) {
        guard set.insert(id).inserted else { return }
        if let old = ring[next] { set.remove(old) }
        ring[next] = id
        next = (next + 1) % ring.count
    }
}
