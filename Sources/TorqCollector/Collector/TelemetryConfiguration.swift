import Logging
import TorqLogStore
import TorqPrivacy

/// Everything a ``TelemetryCollector`` is told: what it keeps, how it
/// batches, where it writes. A value: copy it, change a field, pass it on.
///
/// Every field has a default (documented on it): `TelemetryConfiguration()`
/// collects everything into the store at `$TORQLOG_DIR` (else `~/.torqlog`),
/// batches of 1,000, group commit every 100 ms, PII filtering on.
public struct TelemetryConfiguration: Sendable {
    /// Whether events are collected at all. When false, `record` returns
    /// `.dropped(.disabled)` (``DropReason/disabled``) at once and nothing is
    /// written. Default: true.
    public var enabled: Bool = true
    /// The most events written in one batch (one `write(2)` and, under
    /// ``DurabilityPolicy/always``, one `fdatasync`). Default: 1,000.
    public var batchSize: Int = 1000
    /// The longest an accepted event waits in the queue before the flusher
    /// writes it. The flusher also writes as soon as `batchSize` events are
    /// queued and, when ``writeWhenIdle`` is on, whenever it is idle and an
    /// event arrives. Default: 1 second.
    public var flushInterval: Duration = .seconds(1)
    /// Wake an idle flusher for the first event after a quiet spell, so events
    /// reach the store within a millisecond or so instead of up to
    /// `flushInterval` later. The wake costs that one `record` call a futex
    /// wake-up (about 2 µs); under steady load the flusher is never idle and
    /// recording makes no system call. Default: true.
    public var writeWhenIdle: Bool = true
    /// The fraction of runs kept, in 0…1. Sampling is per run and
    /// deterministic: a run is kept when a hash of its `run_id` falls below
    /// the rate, so a kept run is kept whole, in every process. Events with no
    /// `run_id` are sampled by `event_id`. Default: 1 (keep everything).
    public var samplingRate: Double = 1
    /// At most this many events are accepted in any sliding hour; the excess
    /// is dropped and counted as ``DropReason/rateLimited``. Nil: no limit.
    /// Default: nil.
    public var maxEventsPerHour: Int?
    /// Events older than this many days are removed from the store when its
    /// segments are sealed (``TelemetryStorage/store(directory:)`` only).
    /// Nil: keep everything (or whatever retention the store has saved).
    /// Default: nil.
    public var retentionDays: Double?
    /// Compress what is written: for the store, seal closed segments with LZ4
    /// (FORMAT.md §7); for ``TelemetryStorage/jsonl(path:gzip:)`` the `gzip`
    /// flag decides. Default: true.
    public var compression: Bool = true
    /// Redaction of personal data and secrets before anything is written.
    /// Default: on, for the fields `user_query`, `user_feedback`,
    /// `error_message` and `query`, every kind.
    public var piiFiltering = PIIFilteringConfiguration()
    /// The most events waiting to be written. The collector's memory is
    /// bounded by this: at most twice this many events are held (the queue,
    /// and the batch the flusher took from it), each 232 bytes plus its
    /// strings — about 16 MiB at the default for typical events. Default: 16,384.
    public var queueCapacity: Int = 16_384
    /// What `record` does when the queue is full. Default: ``OverflowPolicy/dropNewest``.
    public var overflowPolicy: OverflowPolicy = .dropNewest
    /// When written events become durable (FORMAT.md §3): `always` syncs each
    /// batch before the next, `batch` syncs every interval (group commit),
    /// `never` leaves it to the kernel. Default: `batch` every 100 ms.
    public var fsync: DurabilityPolicy = .defaultBatch
    /// Where events go. Default: the store at `$TORQLOG_DIR`, else `~/.torqlog`.
    public var storage: TelemetryStorage = .store(directory: StoreDirectory.resolve(nil).path)
    /// How long `shutdown()` keeps retrying a failing sink before dropping
    /// what is left (counted as ``DropReason/sinkError``). Default: 5 seconds.
    public var shutdownTimeout: Duration = .seconds(5)
    /// Where the collector reports sink failures and recoveries.
    public var logger = Logger(label: "torqlog.collector")

    /// The defaults.
    public init() {}

    /// The defaults with the given storage.
    public init(storage: TelemetryStorage) {
        self.storage = storage
    }

    /// What `record` does when the queue is full.
    public enum OverflowPolicy: Sendable, Equatable {
        /// Drop the event being recorded and count it (``DropReason/queueFull``).
        /// `record` never blocks.
        case dropNewest
        /// Block the recording thread until there is room (back-pressure on
        /// the agent). Events are dropped only when the collector shuts down.
        case wait
    }

    /// Checks the values; returns the first problem found.
    func validationError() -> String? {
        if batchSize < 1 { return "batchSize must be at least 1 (is \(batchSize))" }
        if queueCapacity < 1 { return "queueCapacity must be at least 1 (is \(queueCapacity))" }
        if !(0...1).contains(samplingRate) { return "samplingRate must be in 0…1 (is \(samplingRate))" }
        if let max = maxEventsPerHour, max < 0 { return "maxEventsPerHour must not be negative (is \(max))" }
        if let days = retentionDays, !(days > 0) { return "retentionDays must be positive (is \(days))" }
        if flushInterval <= .zero { return "flushInterval must be positive" }
        return nil
    }
}
