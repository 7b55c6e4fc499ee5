// Longer than most files here: the span tree, its oddities (repeated starts,
// cycles, missing parents) and the critical path are one algorithm over one
// set of maps, and read best in one place.
import TorqLogStore
import TorqEvents
import TorqJSON

/// Builds a ``TraceModel`` from one run's records, fed one at a time in
/// store order with ``add(json:)-(UnsafeRawBufferPointer)``, then ``build()``.
///
/// What becomes what:
/// - `span_start` / `span_end` with the same `span_id` make one span. A start
///   without an end is an open span (still running, or cut off by a crash):
///   ``TraceSpan/endNanoseconds`` is nil and it is drawn to the trace's end.
///   An end without a start is kept, its start derived from `duration_ms`
///   (or equal to its end when there is none; ``TraceSpan/hasRecordedStart``
///   is false either way). The end's `attributes` add to the start's; an
///   `attributes.events` array of `{name, timestamp, attributes}` becomes
///   the span's events.
/// - Any other record (`agent_run`, `tool_execution`, …) whose `span_id`
///   names a recorded span is attached to it as an event. One whose
///   `span_id` names no recorded span becomes a leaf span of its own (records
///   sharing that id make one leaf): it ends at the record's timestamp and
///   lasts its duration field (`execution_time_ms`, `response_time_ms`,
///   `operation_time_ms`, `routing_time_ms`), or is an instant when there
///   is none; its parent is its `parent_span_id`. A record without a
///   `span_id` is attached to the span its `parent_span_id` names, or is
///   left unattached (``TraceModel/unattachedEvents``).
/// - A `parent_span_id` naming a span of which nothing was recorded gives an
///   ``TraceSpan/Source/unrecorded`` span whose interval is the envelope of
///   its children: the parent existed, but no time of its own is invented.
///
/// Nothing is dropped silently: a record that cannot be read throws (the
/// caller reports it); oddities that still let the record count are listed
/// in ``TraceModel/warnings``.
public struct TraceBuilder {
    private struct SpanParts {
        var start: TraceRecord?
        var end: TraceRecord?
        var order: Int
    }

    private struct PendingFailure {
        var order: Int
        var spanID: SpanID?
        var parentSpanID: SpanID?
        var failure: TraceRunSummary.Failure
    }

    private let runID: String?
    /// How much of each record is read.
    public let detail: TraceDetail
    private let scanner: TraceRecordScanner?
    private var firstRunID: String?
    private var recordCount = 0
    private var counts: [String: Int] = [:]
    private var sessions: [String] = []
    private var sessionSet: Set<String> = []
    private var traceIDs: [TraceID] = []
    private var traceSet: Set<TraceID> = []
    private var minTime: Int64?
    private var maxTime: Int64?
    private var spanParts: [SpanID: SpanParts] = [:]
    private var spanOrder: [SpanID] = []
    private var others: [(order: Int, record: TraceRecord)] = []
    private var inputTokens = 0, outputTokens = 0, totalTokens = 0
    private var tools: [String] = []
    private var toolSet: Set<String> = []
    private var failures: [PendingFailure] = []
    private var warnings: [String] = []

    /// A builder for the run `runID` (nil: the first record's `run_id`
    /// names it), reading `detail` of each record.
    public init(runID: String? = nil, detail: TraceDetail = .full) {
        self.runID = runID
        self.detail = detail
        scanner = TraceRecordScanner(keepAll: detail == .full)
    }

    /// Records added so far.
    public var count: Int { recordCount }

    /// Adds one record (a JSON event as stored). Throws, and leaves the
    /// builder as it was, when the record is not a JSON object, lacks a
    /// string `event_type` or an RFC 3339 `timestamp`, or has a malformed
    /// `trace_id`, `span_id` or `parent_span_id`; a `span_start` or `span_end`
    /// without `span_id` throws too.
    public mutating func add(json: UnsafeRawBufferPointer) throws(TraceInputError) {
        if let scanner {
            try add(try scanner.scan(json))
        } else {
            try add(try TraceRecord(json: json.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// Notes a record that ``add(json:)-(UnsafeRawBufferPointer)`` refused:
    /// the model's ``TraceModel/warnings`` name it (its sequence and why), so
    /// that a view built without it says so instead of dropping it silently.
    /// The first 20 are named, the rest counted in one more warning.
    public mutating func noteLeftOut(sequence: UInt64, _ error: TraceInputError) {
        leftOut += 1
        if leftOut <= Self.leftOutNamed {
            warnings.append("record at sequence \(sequence): \(error); left out of the trace")
        }
    }

    private var leftOut = 0
    private static let leftOutNamed = 20

    /// Adds one record given as a string; see ``add(json:)-(UnsafeRawBufferPointer)``.
    public mutating func add(json: String) throws(TraceInputError) {
        let bytes = Array(json.utf8)
        let parsed = bytes.withUnsafeBytes { buffer in Result { () throws(TraceInputError) in try add(json: buffer) } }
        try parsed.get()
    }

    private mutating func add(_ record: TraceRecord) throws(TraceInputError) {
        let isSpan = record.eventType == "span_start" || record.eventType == "span_end"
        if isSpan && record.spanID == nil { throw TraceInputError(field: EventField.spanID.key, "a \(record.eventType) needs a \(EventField.spanID)") }
        let order = recordCount
        recordCount += 1
        counts[record.eventType, default: 0] += 1
        if firstRunID == nil { firstRunID = record.runID }
        if let s = record.sessionID, s != sessions.last, sessionSet.insert(s).inserted { sessions.append(s) }
        if let t = record.traceID, t != traceIDs.last, traceSet.insert(t).inserted { traceIDs.append(t) }
        note(record.timestamp)
        if isSpan, let id = record.spanID {
            addSpanRecord(record, id: id, order: order)
            return
        }
        if let ms = record.durationMs { note(record.timestamp - Self.nanoseconds(ms)) }
        switch record.eventType {
        case "model_interaction":
            let prompt = record.integer(.promptTokens) ?? 0, completion = record.integer(.completionTokens) ?? 0
            inputTokens += prompt
            outputTokens += completion
            totalTokens += record.integer(.totalTokens) ?? (prompt + completion)
        case "tool_execution":
            if let tool = record.string(.toolName) { addTool(tool) }
        case "agent_run":
            if case .array(let used)? = record.fields[EventField.toolsUsed.key] {
                for case .string(let tool) in used { addTool(tool) }
            }
        default: break
        }
        if record.isFailure {
            failures.append(PendingFailure(
                order: order, spanID: record.spanID, parentSpanID: record.parentSpanID,
                failure: .init(spanIndex: nil, eventType: record.eventType, subject: GenAIAttributes.subject(record),
                               message: record.failureMessage, timestampNanoseconds: record.timestamp)))
        }
        others.append((order, record))
    }

    private mutating func addTool(_ tool: String) {
        if toolSet.insert(tool).inserted { tools.append(tool) }
    }

    private mutating func note(_ time: Int64) {
        minTime = min(minTime ?? time, time)
        maxTime = max(maxTime ?? time, time)
    }

    private mutating func addSpanRecord(_ record: TraceRecord, id: SpanID, order: Int) {
        // In place: the parts are not copied out of the dictionary and back.
        let index: Dictionary<SpanID, SpanParts>.Index
        if let found = spanParts.index(forKey: id) {
            index = found
        } else {
            spanOrder.append(id)
            spanParts[id] = SpanParts(order: order)
            guard let made = spanParts.index(forKey: id) else { return }
            index = made
        }
        if record.eventType == "span_start" {
            if spanParts.values[index].start != nil {
                warnings.append("span \(id): span_start repeated (record \(order + 1)); the first is used")
            } else {
                spanParts.values[index].start = record
            }
            return
        }
        if spanParts.values[index].end != nil {
            warnings.append("span \(id): span_end repeated (record \(order + 1)); the first is used")
            return
        }
        spanParts.values[index].end = record
        let hasStart = spanParts.values[index].start != nil
        if let ms = record.durationMs, !hasStart { note(record.timestamp - Self.nanoseconds(ms)) }
        if let status = record.string(.status), status != "ok", status.lowercased() == "error" {
            let name = record.string(.name) ?? spanParts.values[index].start?.string(.name) ?? "span \(id)"
            failures.append(PendingFailure(
                order: order, spanID: id, parentSpanID: nil,
                failure: .init(spanIndex: nil, eventType: "span_end", subject: name,
                               message: record.string(.errorMessage) ?? "status error", timestampNanoseconds: record.timestamp)))
        }
    }

    static func nanoseconds(_ ms: Double) -> Int64 {
        let ns = (ms * 1_000_000).rounded()
        return ns < 9.2e18 ? Int64(ns) : Int64.max / 2
    }

    // MARK: - Building

    /// A span under construction (indices are provisional until the tree is ordered).
    private struct Node {
        var span: TraceSpan
        var order: Int
        var parent: Int?
        var children: [Int] = []
    }

    /// The trace of everything added so far.
    public func build() -> TraceModel {
        var warnings = self.warnings
        if leftOut > Self.leftOutNamed {
            warnings.append("\(leftOut - Self.leftOutNamed) more records left out of the trace")
        }
        var nodes: [Node] = []
        nodes.reserveCapacity(spanOrder.count + others.count)
        var nodeBySpan: [SpanID: Int] = [:]
        nodeBySpan.reserveCapacity(spanOrder.count + others.count)

        // 1. Spans from span_start / span_end.
        for id in spanOrder {
            guard let parts = spanParts[id] else { continue }
            nodeBySpan[id] = nodes.count
            nodes.append(Node(span: Self.recordedSpan(id: id, parts.start, parts.end, full: detail == .full, &warnings), order: parts.order))
        }

        // 2. Other records: attached to their span, or leaves of their own.
        var noSpanID: [(order: Int, record: TraceRecord)] = []
        for i in others.indices {
            let order = others[i].order
            guard let id = others[i].record.spanID else {
                noSpanID.append(others[i])
                continue
            }
            let record = others[i].record
            let full = detail == .full
            let attributes = full ? Self.fieldsAndAttributes(record) : [:]
            if let n = nodeBySpan[id] {
                if nodes[n].span.source == .event { Self.extendLeaf(&nodes[n].span, with: record, attributes: attributes) }
                if full { nodes[n].span.events.append(Self.event(record, attributes: attributes)) }
            } else {
                nodeBySpan[id] = nodes.count
                var leaf = Self.leaf(id: id, record, attributes: attributes)
                if full { leaf.events.append(Self.event(record, attributes: attributes)) }
                nodes.append(Node(span: leaf, order: order))
            }
        }

        // 3. Parents named but never recorded.
        for n in nodes.indices {
            guard let parent = nodes[n].span.parentSpanID, parent != nodes[n].span.spanID, nodeBySpan[parent] == nil else { continue }
            nodeBySpan[parent] = nodes.count
            let placeholder = TraceSpan(
                index: 0, traceID: nodes[n].span.traceID, spanID: parent, parentSpanID: nil, parentIndex: nil, childIndices: [], depth: 0,
                name: "span \(parent) (not recorded)", kind: .internal, source: .unrecorded, eventType: nil,
                startNanoseconds: nodes[n].span.startNanoseconds, endNanoseconds: nil, hasRecordedStart: false, hasRecordedEnd: false,
                status: .unset, errorMessage: nil, attributes: [:], events: [], isOnCriticalPath: false)
            nodes.append(Node(span: placeholder, order: nodes[n].order))
        }

        // 4. Records without a span id: under their parent, else unattached.
        var unattached: [TraceSpanEvent] = []
        for (_, record) in noSpanID {
            if let parent = record.parentSpanID, let n = nodeBySpan[parent] {
                if detail == .full { nodes[n].span.events.append(Self.event(record)) }
            } else {
                unattached.append(Self.event(record))
            }
        }

        // 5. Parent links, breaking cycles.
        for n in nodes.indices {
            guard let parent = nodes[n].span.parentSpanID, let p = nodeBySpan[parent] else { continue }
            if p == n {
                warnings.append("span \(nodes[n].span.spanID): its own parent; drawn as a root")
                continue
            }
            nodes[n].parent = p
        }
        // Walk up from each span; reaching a span of the walk itself means a cycle: cut the link there.
        var state = [UInt8](repeating: 0, count: nodes.count) // 0 unseen, 1 on the current walk, 2 done
        for n in nodes.indices where state[n] == 0 {
            var walk: [Int] = []
            var current: Int? = n
            while let c = current, state[c] == 0 {
                state[c] = 1
                walk.append(c)
                current = nodes[c].parent
                if let p = current, state[p] == 1 {
                    warnings.append("span \(nodes[c].span.spanID): its parent chain loops back to it; drawn as a root")
                    nodes[c].parent = nil
                    current = nil
                }
            }
            for w in walk { state[w] = 2 }
        }
        for n in nodes.indices { if let p = nodes[n].parent { nodes[p].children.append(n) } }

        let traceEnd = maxTime ?? 0
        // 6. Unrecorded parents span their children (they are roots, so their children are recorded or leaves).
        for n in nodes.indices where nodes[n].span.source == .unrecorded {
            var start = Int64.max, end = Int64.min
            for c in nodes[n].children {
                start = min(start, nodes[c].span.startNanoseconds)
                end = max(end, nodes[c].span.displayEnd(traceEnd: traceEnd))
            }
            if start == Int64.max { (start, end) = (traceEnd, traceEnd) }
            nodes[n].span.startNanoseconds = start
            nodes[n].span.endNanoseconds = end
        }

        // 7. Depth-first order, siblings by start time then record order.
        func sortKey(_ n: Int) -> (Int64, Int) { (nodes[n].span.startNanoseconds, nodes[n].order) }
        let roots = nodes.indices.filter { nodes[$0].parent == nil }.sorted { sortKey($0) < sortKey($1) }
        var newIndex = [Int](repeating: -1, count: nodes.count)
        var ordered: [Int] = []
        ordered.reserveCapacity(nodes.count)
        var stack: [(node: Int, depth: Int)] = roots.reversed().map { ($0, 0) }
        var depths = [Int](repeating: 0, count: nodes.count)
        while let (n, depth) = stack.popLast() {
            newIndex[n] = ordered.count
            ordered.append(n)
            depths[n] = depth
            let children = nodes[n].children.sorted { sortKey($0) < sortKey($1) }
            nodes[n].children = children
            for c in children.reversed() { stack.append((c, depth + 1)) }
        }
        var spans: [TraceSpan] = []
        spans.reserveCapacity(ordered.count)
        for n in ordered {
            // Moved out of the node, not copied.
            var span = Self.blank(nodes[n].span.spanID)
            swap(&span, &nodes[n].span)
            span.index = newIndex[n]
            span.depth = depths[n]
            span.parentIndex = nodes[n].parent.map { newIndex[$0] }
            span.childIndices = nodes[n].children.map { newIndex[$0] }
            if span.events.count > 1 {
                span.events = span.events.enumerated()
                    .sorted { ($0.element.timestampNanoseconds, $0.offset) < ($1.element.timestampNanoseconds, $1.offset) }.map(\.element)
            }
            spans.append(span)
        }
        let rootIndices = roots.map { newIndex[$0] }

        // 8. The critical path.
        var critical: [Int] = []
        var candidates = rootIndices
        while !candidates.isEmpty {
            var best = candidates[0]
            for c in candidates.dropFirst() {
                let (e, be) = (spans[c].displayEnd(traceEnd: traceEnd), spans[best].displayEnd(traceEnd: traceEnd))
                if e > be || (e == be && spans[c].startNanoseconds > spans[best].startNanoseconds) { best = c }
            }
            critical.append(best)
            spans[best].isOnCriticalPath = true
            candidates = spans[best].childIndices
        }

        // 9. The summary.
        var start = minTime, end = maxTime
        var openCount = 0
        for i in spans.indices {
            start = min(start ?? spans[i].startNanoseconds, spans[i].startNanoseconds)
            if let e = spans[i].endNanoseconds { end = max(end ?? e, e) } else if spans[i].source == .span { openCount += 1 }
        }
        let failures = self.failures.sorted { $0.order < $1.order }.map { pending -> TraceRunSummary.Failure in
            var failure = pending.failure
            let id = pending.spanID ?? pending.parentSpanID
            failure.spanIndex = id.flatMap { nodeBySpan[$0] }.map { newIndex[$0] }
            return failure
        }
        let summary = TraceRunSummary(
            runID: runID ?? firstRunID, sessionIDs: sessions, traceIDs: traceIDs, startNanoseconds: start, endNanoseconds: end,
            recordCount: recordCount, eventCounts: counts, inputTokens: inputTokens, outputTokens: outputTokens,
            totalTokens: totalTokens, toolsUsed: tools, failures: failures, spanCount: spans.count,
            openSpanCount: openCount)
        return TraceModel(summary: summary, spans: spans, rootIndices: rootIndices, criticalPath: critical,
                          unattachedEvents: unattached, warnings: warnings, detail: detail)
    }

    /// An empty span (no allocation), to swap with.
    private static func blank(_ id: SpanID) -> TraceSpan {
        TraceSpan(index: 0, traceID: nil, spanID: id, parentSpanID: nil, parentIndex: nil, childIndices: [], depth: 0, name: "",
                  kind: .internal, source: .span, eventType: nil, startNanoseconds: 0, endNanoseconds: nil, hasRecordedStart: false,
                  hasRecordedEnd: false, status: .unset, errorMessage: nil, attributes: [:], events: [], isOnCriticalPath: false)
    }

    /// The span of a `span_start` and/or `span_end`.
    static func recordedSpan(id: SpanID, _ start: TraceRecord?, _ end: TraceRecord?, full: Bool, _ warnings: inout [String]) -> TraceSpan {
        var name = start?.string(.name) ?? end?.string(.name)
        if name == nil {
            warnings.append("span \(id): no name in its span records")
            name = "span \(id)"
        }
        if let a = start?.string(.name), let b = end?.string(.name), a != b {
            warnings.append("span \(id): named \"\(a)\" at its start and \"\(b)\" at its end; the start's name is used")
        }
        var kind = TraceSpanKind.internal
        if let text = start?.string(.kind) {
            if let k = TraceSpanKind(rawValue: text.lowercased()) { kind = k } else {
                warnings.append("span \(id): unknown kind \"\(text)\"; drawn as internal")
            }
        }
        var status = TraceSpanStatus.unset
        if let end {
            if let text = end.string(.status) {
                if let s = TraceSpanStatus(rawValue: text.lowercased()) { status = s } else {
                    warnings.append("span \(id): unknown status \"\(text)\"; taken as unset")
                }
            } else {
                warnings.append("span \(id): span_end without a status; taken as unset")
            }
        }
        if let a = start?.parentSpanID, let b = end?.parentSpanID, a != b {
            warnings.append("span \(id): parent \(a) at its start and \(b) at its end; the start's parent is used")
        }
        var startTime: Int64
        var hasStart = true
        if let start {
            startTime = start.timestamp
        } else if let end, let ms = end.durationMs {
            startTime = end.timestamp - nanoseconds(ms)
            hasStart = false
        } else {
            startTime = end?.timestamp ?? 0
            hasStart = false
        }
        if let end, end.timestamp < startTime {
            warnings.append("span \(id): ends before it starts (\(Double(startTime - end.timestamp) / 1_000_000) ms)")
        }
        var attributes: [String: TelemetryValue] = [:]
        if full {
            attributes = start?.attributes ?? [:]
            for (k, v) in end?.attributes ?? [:] { attributes[k] = v }
        }
        var events: [TraceSpanEvent] = []
        if full, let raw = attributes["events"] {
            if let parsed = spanEvents(raw) {
                events = parsed
                attributes["events"] = nil
            } else {
                warnings.append("span \(id): attributes.events is not an array of {name, timestamp (RFC 3339), attributes}; kept as an attribute")
            }
        }
        return TraceSpan(
            index: 0, traceID: start?.traceID ?? end?.traceID, spanID: id, parentSpanID: start?.parentSpanID ?? end?.parentSpanID,
            parentIndex: nil, childIndices: [], depth: 0, name: name ?? "", kind: kind, source: .span, eventType: nil,
            startNanoseconds: startTime, endNanoseconds: end?.timestamp, hasRecordedStart: hasStart, hasRecordedEnd: end != nil,
            status: status, errorMessage: end?.string(.errorMessage), attributes: attributes, events: events, isOnCriticalPath: false)
    }

    /// OpenTelemetry span events from `attributes.events`; nil when malformed.
    static func spanEvents(_ value: TelemetryValue) -> [TraceSpanEvent]? {
        guard case .array(let items) = value else { return nil }
        var events: [TraceSpanEvent] = []
        for item in items {
            guard case .object(let o) = item, case .string(let name)? = o[EventField.name.key], case .string(let stamp)? = o[EventField.timestamp.key],
                  let time = RFC3339.parseNanoseconds(stamp) else { return nil }
            var attributes: [String: TelemetryValue] = [:]
            switch o[EventField.attributes.key] {
            case nil, .null?: break
            case .object(let a)?: attributes = a
            default: return nil
            }
            events.append(TraceSpanEvent(name: name, timestampNanoseconds: time, attributes: attributes, source: .spanEvent,
                                         summary: TraceText.attributeSummary(attributes)))
        }
        return events
    }

    /// A record as an event of its span.
    static func event(_ record: TraceRecord, attributes: [String: TelemetryValue]? = nil) -> TraceSpanEvent {
        TraceSpanEvent(name: record.eventType, timestampNanoseconds: record.timestamp, attributes: attributes ?? fieldsAndAttributes(record),
                       source: .record, eventID: record.eventID, durationMs: record.durationMs, isFailure: record.isFailure,
                       summary: TraceText.recordSummary(record))
    }

    /// The record's attributes with its other fields added (fields win).
    static func fieldsAndAttributes(_ record: TraceRecord) -> [String: TelemetryValue] {
        var out = record.attributes
        for (k, v) in record.fields { out[k] = v }
        return out
    }

    /// A leaf span for a record whose span id has no span records.
    static func leaf(id: SpanID, _ record: TraceRecord, attributes: [String: TelemetryValue]) -> TraceSpan {
        let end = record.timestamp
        let start = end - (record.durationMs.map(nanoseconds) ?? 0)
        let status: TraceSpanStatus = record.isFailure ? .error : record.isSuccess ? .ok : .unset
        return TraceSpan(
            index: 0, traceID: record.traceID, spanID: id, parentSpanID: record.parentSpanID, parentIndex: nil, childIndices: [],
            depth: 0, name: GenAIAttributes.spanName(record), kind: record.eventType == "model_interaction" ? .client : .internal,
            source: .event, eventType: record.eventType, startNanoseconds: start, endNanoseconds: end, hasRecordedStart: true,
            hasRecordedEnd: true, status: status, errorMessage: record.isFailure ? record.failureMessage : nil,
            attributes: attributes, events: [], isOnCriticalPath: false)
    }

    /// Widens an event leaf to another record with the same span id.
    static func extendLeaf(_ span: inout TraceSpan, with record: TraceRecord, attributes: [String: TelemetryValue]) {
        let end = record.timestamp
        let start = end - (record.durationMs.map(nanoseconds) ?? 0)
        span.startNanoseconds = min(span.startNanoseconds, start)
        span.endNanoseconds = max(span.endNanoseconds ?? end, end)
        if record.isFailure {
            if span.status != .error { span.errorMessage = record.failureMessage }
            span.status = .error
        } else if record.isSuccess && span.status == .unset {
            span.status = .ok
        }
        for (k, v) in attributes { span.attributes[k] = v }
        if span.parentSpanID == nil { span.parentSpanID = record.parentSpanID }
        if span.traceID == nil { span.traceID = record.traceID }
    }
}
