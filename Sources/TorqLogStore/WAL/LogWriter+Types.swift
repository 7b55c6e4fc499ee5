// The values a LogWriter takes and reports: its options, what recovery did,
// and, after a failure, why it failed and what of its data is durable.

extension LogWriter {
    /// How a writer behaves.
    public struct Options: Sendable {
        /// Roll over to a new segment when the active one would exceed this many bytes (default 64 MiB).
        public var segmentSize: Int = 64 << 20
        /// When appended records reach stable storage (default `batch`, 100 ms).
        public var durability: DurabilityPolicy = .defaultBatch
        /// Seal each WAL segment (LZ4, indexed) in the background once it is closed (default true).
        public var sealClosedSegments: Bool = true
        /// Retention applied in the background after each segment is sealed
        /// (default: the policy saved in the store's `retention.json`, if any).
        public var retention: RetentionPolicy?
        /// Whether to apply the store's saved policy when `retention` is nil (default true).
        public var applySavedRetention = true
        /// Called (on the syncing thread) after records become durable, with the
        /// number of the first record that is not yet durable: every record
        /// below it is durable. Under `never`, called after each write. Never
        /// called once the writer has failed.
        public var onDurable: (@Sendable (UInt64) -> Void)?
        /// Called once when the writer fails, after the segment was cut back,
        /// on the thread that met the failure (outside the writer's locks): a
        /// background `fdatasync` can fail while no append is in progress to
        /// report it.
        public var onFailure: (@Sendable (Failure) -> Void)?
        /// Called on the sealing thread after a segment was sealed in the
        /// background (and retention applied), with the sealed segment: for
        /// data derived from sealed segments (the runs list's summaries). It
        /// delays the next seal while it runs; it is not called for a seal
        /// that failed or was abandoned.
        public var onSealed: (@Sendable (SegmentFile) -> Void)?
        /// How sealing lays out its segments (group, block and run-page sizes,
        /// FORMAT.md §7.4): writer choices readers assume nothing about. For
        /// tests, fixtures and layout measurements; the default is what `torqlog` writes.
        package var sealLayout: SealLayout = .standard

        /// Default options.
        public init(segmentSize: Int = 64 << 20, durability: DurabilityPolicy = .defaultBatch,
                    sealClosedSegments: Bool = true, onDurable: (@Sendable (UInt64) -> Void)? = nil) {
            self.segmentSize = segmentSize
            self.durability = durability
            self.sealClosedSegments = sealClosedSegments
            self.onDurable = onDurable
        }
    }

    /// What recovery did when the writer opened the store.
    public struct Recovery: Sendable {
        /// Bytes cut from the active segment: a torn tail, and what a failed writer had not made durable.
        public var bytesDropped: Int64
        /// The active segment that was checked.
        public var segment: String
        /// Where the valid data ended, and why the rest was dropped, when something was.
        public var truncatedAt: Int64?
        public var reason: String?
        /// Temporary files removed.
        public var temporaryFilesRemoved: Int
        /// WAL segments removed because their sealed twin was complete (a seal interrupted before cleanup).
        public var sealedDuplicatesRemoved = 0
        /// Sealed segments removed because a merged segment covers them (a merge interrupted before cleanup).
        public var coveredSegmentsRemoved = 0
    }

    /// Where a writer's durable data ends: every record below `sequence` is
    /// durable, and the last of them ends at byte `offset` of the WAL segment
    /// whose base sequence is `segment`.
    public struct DurablePosition: Sendable, Hashable, Comparable {
        public var segment: UInt64
        public var offset: Int64
        public var sequence: UInt64

        public static func < (a: Self, b: Self) -> Bool {
            (a.segment, a.offset) < (b.segment, b.offset)
        }
    }

    /// Why a writer failed, and what of its data is durable.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The first error; every later call throws it again.
        public var error: StoreError
        /// Where the data was last made durable (under `never`: the last complete write).
        public var durable: DurablePosition
        /// The error met while cutting the segment back to `durable`, if that failed too
        /// (the next writer opened with `resumingAfter:` cuts it again).
        public var cutBackError: StoreError?

        public var description: String { error.description }
    }
}
