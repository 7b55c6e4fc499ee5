/// Where a ``TelemetryCollector`` writes its events.
public enum TelemetryStorage: Sendable, Equatable {
    /// The log-structured torqlog store in `directory` (created 0700 when
    /// missing). Readable by every `torqlog` command while the collector runs.
    case store(directory: String)
    /// One JSON event per line appended to the file at `path` (plain file
    /// storage, for tools that read JSONL). With `gzip`, each batch is
    /// appended as one gzip member, so the file is always a valid gzip
    /// stream (`zcat` reads it) up to the last complete batch.
    case jsonl(path: String, gzip: Bool)
    /// The newest `capacity` events, in memory (for tests). Older events are
    /// evicted and counted (``CollectorStatistics/eventsEvicted``).
    case memory(capacity: Int)
}
