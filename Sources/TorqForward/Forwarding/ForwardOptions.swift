import TorqLogStore

/// What `torqlog forward` sends, where, and how hard it tries.
public struct ForwardOptions: Sendable {
    /// The endpoint's base URL; `/v1/traces` and `/v1/logs` are appended (as
    /// the OpenTelemetry SDKs do with `OTEL_EXPORTER_OTLP_ENDPOINT`).
    public var endpoint: String
    /// The cursor's name (a store keeps one cursor per name).
    public var name: String = "default"
    /// Extra request headers (`Authorization`, …).
    public var headers: [(String, String)] = []
    /// Only records of this run.
    public var runID: String?
    /// Only records at or after this time (nanoseconds since the epoch).
    public var since: Int64?
    /// The signals sent.
    public var signals: Set<ForwardSignal> = [.traces, .logs]
    /// Keep streaming records as they are written, until stopped.
    public var follow = false
    /// Spans or log records per request at most.
    public var maxBatchItems = 2048
    /// Estimated protobuf bytes per request at most (before gzip).
    public var maxBatchBytes = 2 << 20
    /// Requests in flight at once, per signal.
    public var maxInFlight = 4
    /// Spans open (and leaves pending) this long, in reading time, are sent as they are, and sent again once closed.
    public var openSpanAgeMilliseconds = 2_000
    /// When following: a partial batch waits at most this long for more records.
    public var lingerMilliseconds = 200
    /// Back-off: the first retry's delay, doubled each retry up to ``maxBackoffMilliseconds``, with jitter.
    public var initialBackoffMilliseconds = 100
    public var maxBackoffMilliseconds = 10_000
    /// A request unanswered after this long counts as a connection error (and is retried).
    public var requestTimeoutSeconds = 30
    /// Export content (`user_query`, routing `query`).
    public var includeContent = false
    /// Whether to draw a progress line (on a terminal).
    public var progress = false

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// The store filter of ``runID`` and ``since``.
    var filter: RecordFilter { RecordFilter(runKey: runID, since: since) }

    /// The URL of `signal`.
    func url(_ signal: ForwardSignal) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base + signal.path
    }

    /// Why these options cannot forward (nil: they can).
    public var problem: String? {
        if let problem = StoreCursor.problem(name: name) { return "--name: \(problem)" }
        let lower = endpoint.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), endpoint.count > 8 else {
            return "--to must be an http:// or https:// URL (got '\(endpoint)')"
        }
        if signals.isEmpty { return "--signals names no signal" }
        if maxBatchItems < 1 || maxBatchBytes < 1024 || maxInFlight < 1 { return "batch limits must be positive" }
        return nil
    }
}
