/// Records and failures per minute of event time, over some records of a
/// store (one segment's, or the whole store's): what the viewer's "events
/// over time" chart draws, kept in the run summaries (FORMAT.md §9) so that
/// drawing it never reads every event. Timelines over disjoint sets of
/// records merge (``merge(_:)``) into the timeline of their union, in any order.
public struct ActivityTimeline: Sendable, Hashable {
    /// The counts of one minute.
    public struct Counts: Sendable, Hashable {
        /// Records whose event time falls in the minute.
        public var events: Int
        /// Those of them that report a failure (as ``RunFigures/errors`` counts them).
        public var errors: Int

        /// Counts.
        public init(events: Int = 0, errors: Int = 0) {
            self.events = events
            self.errors = errors
        }
    }

    /// One bucket of ``buckets(count:since:until:)``.
    public struct Bucket: Sendable, Hashable {
        /// The bucket's first minute, minutes since the Unix epoch.
        public var startMinute: Int64
        /// Its counts.
        public var counts: Counts
    }

    /// Counts by minute (minutes since the Unix epoch, floor of the event time).
    public private(set) var minutes: [Int64: Counts] = [:]
    /// Records without an event time (counted nowhere else).
    public private(set) var untimed: Int = 0

    /// An empty timeline.
    public init() {}

    /// The minute of an event time in nanoseconds (floor, also before 1970).
    public static func minute(ofNanoseconds t: Int64) -> Int64 {
        let perMinute: Int64 = 60_000_000_000
        return t >= 0 ? t / perMinute : -((-t - 1) / perMinute) - 1
    }

    /// Adds one record: its event time (nil: untimed) and whether it reports a failure.
    mutating func add(time: Int64?, failure: Bool) {
        guard let time else {
            untimed += 1
            return
        }
        minutes[Self.minute(ofNanoseconds: time), default: Counts()].add(Counts(events: 1, errors: failure ? 1 : 0))
    }

    /// Adds a minute's counts (decoding a sidecar).
    mutating func add(minute: Int64, _ counts: Counts) {
        minutes[minute, default: Counts()].add(counts)
    }

    /// Adds records without an event time (decoding a sidecar).
    mutating func addUntimed(_ n: Int) { untimed += n }

    /// Adds the counts of `other`.
    public mutating func merge(_ other: ActivityTimeline) {
        for (minute, counts) in other.minutes { minutes[minute, default: Counts()].add(counts) }
        untimed += other.untimed
    }

    /// The bucket widths ``buckets(count:since:until:)`` chooses from, in minutes:
    /// 1, 5, 15 and 30 minutes, 1, 3, 6 and 12 hours, 1 day, 1 week, then whole weeks.
    static let widths: [Int64] = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 10_080]

    /// The counts in at most `count` buckets of equal width (the narrowest of
    /// ``widths`` that fits, aligned to the Unix epoch), from the bucket of the
    /// first minute with records (or of `since`) to that of the last (or of
    /// `until`, exclusive), empty buckets included; empty when there is nothing
    /// in the range. Returns the width in minutes with the buckets.
    public func buckets(count: Int, since: Int64? = nil, until: Int64? = nil) -> (widthMinutes: Int64, buckets: [Bucket]) {
        let limit = max(count, 1)
        let lowest = since.map(Self.minute(ofNanoseconds:))
        let highest = until.map { Self.minute(ofNanoseconds: $0 - 1) }
        let inRange = minutes.filter { m, _ in (lowest.map { m >= $0 } ?? true) && (highest.map { m <= $0 } ?? true) }
        guard let first = lowest ?? inRange.keys.min(), let last = highest ?? inRange.keys.max(), first <= last else {
            return (1, [])
        }
        func floor(_ m: Int64, _ w: Int64) -> Int64 { m >= 0 ? m / w * w : -((-m - 1) / w) * w - w }
        var width = Self.widths.first { floor(last, $0) - floor(first, $0) < Int64(limit) * $0 } ?? 0
        if width == 0 {
            // Longer than `limit` weeks: whole weeks, as many as needed.
            let week = Self.widths[Self.widths.count - 1]
            width = ((last - first) / Int64(limit) / week + 1) * week
        }
        let start = floor(first, width)
        var buckets = (0...((floor(last, width) - start) / width)).map { Bucket(startMinute: start + $0 * width, counts: Counts()) }
        for (m, c) in inRange {
            buckets[Int((floor(m, width) - start) / width)].counts.add(c)
        }
        return (width, buckets)
    }
}

extension ActivityTimeline.Counts {
    mutating func add(_ other: Self) {
        events += other.events
        errors += other.errors
    }
}
