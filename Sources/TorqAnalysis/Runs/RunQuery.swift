import TorqEvents
import TorqJSON

/// A page of the runs list: which runs, newest first (by start time, then
/// by run id, descending; a run without an event time last), and where the
/// page starts.
public struct RunQuery: Sendable, Equatable {
    /// Runs on a page at most.
    public var limit: Int = 50
    /// Only runs that come after this position in the order: that started
    /// before `before`, or at `before` with a run id below `beforeRun`. The
    /// next page of a list is asked for with the last run's start and id.
    public var before: Int64?
    /// See ``before``: nil takes only runs that started strictly before it.
    public var beforeRun: String?
    /// Only runs of this agent.
    public var agent: String?
    /// Only runs with this status (``RunFigures/status``).
    public var status: String?
    /// Only runs whose id contains this text.
    public var text: String?
    /// Only runs that started at or after this time, nanoseconds.
    public var since: Int64?
    /// Only runs that started before this time, nanoseconds.
    public var until: Int64?

    public init() {}

    /// The largest `limit` served.
    public static let maxLimit = 1000

    /// The page of `runs` this query asks for, and whether runs follow it.
    public func page(_ runs: [RunFigures]) -> (runs: [RunFigures], more: Bool) {
        // The first `n` in order by one pass, keeping them sorted: no sort of the whole list.
        let n = max(0, min(limit, Self.maxLimit))
        var top: [RunFigures] = []
        top.reserveCapacity(n + 1)
        var matching = 0
        for r in runs where matches(r) {
            matching += 1
            if top.count == n, let last = top.last, !Self.newerFirst(r, last) { continue }
            var lo = 0, hi = top.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Self.newerFirst(top[mid], r) { lo = mid + 1 } else { hi = mid }
            }
            top.insert(r, at: lo)
            if top.count > n { top.removeLast() }
        }
        return (top, matching > n)
    }

    func matches(_ r: RunFigures) -> Bool {
        if let agent, r.agent != agent { return false }
        if let status, r.status != status { return false }
        if let text, !text.isEmpty, !r.runID.contains(text) { return false }
        let start = r.firstTime ?? Int64.min
        if let since, start < since { return false }
        if let until, start >= until { return false }
        if let before {
            if start > before { return false }
            if start == before {
                guard let beforeRun, r.runID < beforeRun else { return false }
            }
        }
        return true
    }

    /// Newest first: later start, then greater run id.
    static func newerFirst(_ a: RunFigures, _ b: RunFigures) -> Bool {
        let x = a.firstTime ?? Int64.min, y = b.firstTime ?? Int64.min
        return x != y ? x > y : a.runID > b.runID
    }

    /// The API's answer for a page: `{"runs":[…],"next_before":…,"next_before_run":…}` (both null on the last page).
    public static func json(_ page: (runs: [RunFigures], more: Bool)) -> String {
        func time(_ t: Int64?) -> OrderedJSON { t.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 9)) } ?? .null }
        let rows: [OrderedJSON] = page.runs.map { r in
            .object([
                (EventField.runID.key, .string(r.runID)),
                ("agent", r.agent.map { .string($0) } ?? .null),
                (EventField.status.key, .string(r.status)),
                ("start", time(r.firstTime)),
                ("end", time(r.lastTime)),
                (EventField.durationMs.key, .number(r.durationMs)),
                ("events", .int(r.events)),
                ("input_tokens", .int(r.inputTokens)),
                ("output_tokens", .int(r.outputTokens)),
                ("tool_calls", .int(r.toolCalls)),
                ("errors", .int(r.errors)),
            ])
        }
        let last = page.more ? page.runs.last : nil
        let document = OrderedJSON.object([
            ("runs", .array(rows)),
            ("next_before", last.map { r in r.firstTime.map { .string(RFC3339.format(nanoseconds: $0, fractionDigits: 9)) } ?? .null } ?? .null),
            ("next_before_run", last.map { .string($0.runID) } ?? .null),
        ])
        return document.rendered(pretty: false) + "\n"
    }
}
