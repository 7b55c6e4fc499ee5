/// What a forward did, counted as it goes.
public struct ForwardStatistics: Sendable, Equatable {
    /// Records read from the store (after the filters).
    public var records = 0
    /// Records that could not be read as events (reported, not sent).
    public var unreadable = 0
    /// Spans and log records answered 200 (accepted or rejected in part).
    public var spansSent = 0
    public var logsSent = 0
    /// Requests answered 200.
    public var batches = 0
    /// Requests sent again (429, 502, 503, 504, connection errors).
    public var retries = 0
    /// Items the far side rejected: a 400 (or another status not retried) for a whole request, or a partial success.
    public var rejected = 0
    /// Request body bytes on the wire (gzip) for requests answered.
    public var bytes = 0
    /// The same bodies before gzip.
    public var uncompressedBytes = 0
    /// Records retention removed before they were forwarded (counted in the cursor file too).
    public var droppedByRetention: UInt64 = 0
    /// Where the cursor ended: every record below it is answered.
    public var cursor: UInt64 = 0

    public init() {}

    /// One line: records sent, batches, retries, rejected, bytes.
    public var summary: String {
        var line = "\(records) records, \(spansSent) spans and \(logsSent) log records sent in \(batches) batches, "
        line += "\(retries) retries, \(rejected) rejected, \(bytes) bytes (gzip, \(uncompressedBytes) before)"
        if unreadable > 0 { line += ", \(unreadable) unreadable records not sent" }
        if droppedByRetention > 0 { line += ", \(droppedByRetention) records removed by retention before they were sent" }
        return line + "; cursor at \(cursor)"
    }
}
