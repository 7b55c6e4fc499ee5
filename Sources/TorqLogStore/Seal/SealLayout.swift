/// How a sealer lays out a version 3 sealed segment (FORMAT.md §7.4): the
/// sizes it cuts groups, blocks and run pages at. These are the writer's
/// choices, not part of the format: readers assume none of them, and a store
/// may hold segments sealed with different layouts.
///
/// What they cost and buy (measured on 300,000 events from 4,000 interleaved
/// runs; see the `replay` and `seal` benchmarks and FORMAT.md §7.4):
/// - `groupBytes` bounds the memory of every reader that returns records in
///   sequence order (export, tail, compaction hold one group decompressed),
///   and of the sealer; larger groups cluster more of each run together.
/// - `sharedBlockBytes` is what a replay of a small run reads per group.
/// - `runBlockMinimum` decides which runs get blocks of their own.
package struct SealLayout: Sendable, Equatable {
    /// A group ends once its JSONL reaches this many bytes.
    package var groupBytes: Int
    /// A run with at least this many records in a group gets blocks of its own.
    package var runBlockMinimum: Int
    /// A run block ends once its JSONL reaches this many bytes.
    package var runBlockBytes: Int
    /// A shared block ends before a run (or a record without a run key) that would take its JSONL above this.
    package var sharedBlockBytes: Int
    /// A page of the run directory ends once it holds this many bytes.
    package var runPageBytes: Int

    package init(groupBytes: Int, runBlockMinimum: Int, runBlockBytes: Int, sharedBlockBytes: Int, runPageBytes: Int) {
        self.groupBytes = groupBytes
        self.runBlockMinimum = runBlockMinimum
        self.runBlockBytes = runBlockBytes
        self.sharedBlockBytes = sharedBlockBytes
        self.runPageBytes = runPageBytes
    }

    /// What sealing writes.
    package static let standard = SealLayout(groupBytes: 16 << 20, runBlockMinimum: 32, runBlockBytes: 256 << 10,
                                             sharedBlockBytes: 64 << 10, runPageBytes: 4096)
}
