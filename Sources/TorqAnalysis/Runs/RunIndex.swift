#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TorqJSON
import TorqLogStore

/// The figures of every run in a store (the runs list of `torqlog serve`),
/// without reading every event each time: each sealed segment's figures are
/// read from its sidecar (``RunSidecar``, built by one scan of the segment
/// when missing or stale, and kept in memory once read); only WAL segments
/// (the active one, at most a rollover's size, and any closed one waiting to
/// be sealed) are scanned, and the part of one already scanned is not
/// parsed again.
public enum RunIndex {
    /// Every run with a record in `store`, its figures merged over all segments,
    /// in order of first record. Sidecars that are missing or stale are
    /// written; sidecars whose segment is gone are removed.
    ///
    /// - Throws: what the store's reader throws (damage, a segment removed while reading).
    public static func runs(_ store: StoreDirectory) throws -> [RunFigures] {
        try merged(store).runs
    }

    /// The records and failures per minute of every record in `store`, from
    /// the same sidecars and scans as ``runs(_:)``.
    ///
    /// - Throws: what the store's reader throws (damage, a segment removed while reading).
    public static func timeline(_ store: StoreDirectory) throws -> ActivityTimeline {
        try merged(store).timeline
    }

    /// The figures of every segment of `store`, merged.
    private static func merged(_ store: StoreDirectory) throws -> MergedFigures {
        let reader = try StoreReader(directory: store)
        let segments = try reader.readableSegments()
        // The sealed segments before the first WAL segment change only by
        // compaction: their merged figures are kept, keyed by their identities.
        let prefixCount = segments.firstIndex { $0.kind == .wal } ?? segments.count
        var identities: [SealedSegmentIdentity] = []
        for seg in segments[..<prefixCount] { identities.append(try reader.sealedIdentity(seg)) }
        let storeKey = store.path
        var merged: MergedFigures
        let kept = cache.withLock { $0.merged[storeKey] }
        if let kept, kept.identities == identities {
            merged = kept
        } else {
            // Segments sealed since (the usual change) are merged onto what was kept; anything else starts over.
            if let kept, identities.starts(with: kept.identities) {
                merged = kept
            } else {
                merged = MergedFigures(identities: [])
            }
            for (seg, identity) in zip(segments[..<prefixCount], identities).dropFirst(merged.identities.count) {
                merged.merge(try sealedFigures(store, identity, path: seg.path))
            }
            merged.identities = identities
            let done = merged
            cache.withLock { $0.merged[storeKey] = done }
        }
        var sealedBases = Set(identities.map(\.base))
        for seg in segments[prefixCount...] {
            switch seg.kind {
            case .sealed:
                sealedBases.insert(seg.base)
                merged.merge(try sealedFigures(store, reader.sealedIdentity(seg), path: seg.path))
            case .wal:
                merged.merge(try walFigures(store, seg))
            }
        }
        removeOrphans(store, keeping: sealedBases)
        return merged
    }

    /// Figures merged over segments in order, and where each run is.
    private struct MergedFigures {
        var identities: [SealedSegmentIdentity]
        var runs: [RunFigures] = []
        var position: [String: Int] = [:]
        var timeline = ActivityTimeline()

        mutating func merge(_ segment: SegmentFigures) {
            timeline.merge(segment.timeline)
            for r in segment.runs {
                if let i = position[r.runID] {
                    runs[i].merge(r)
                } else {
                    position[r.runID] = runs.count
                    runs.append(r)
                }
            }
        }
    }

    /// Makes (or checks) the sidecar of the sealed segment `segment` ahead of
    /// the runs list, e.g. right after sealing it. Errors are left to the list.
    public static func prepare(_ store: StoreDirectory, _ segment: SegmentFile) {
        guard segment.kind == .sealed, let reader = try? StoreReader(directory: store),
              let identity = try? reader.sealedIdentity(segment) else { return }
        _ = try? sealedFigures(store, identity, path: segment.path)
    }

    /// The figures of one segment.
    struct SegmentFigures {
        var runs: [RunFigures]
        var timeline: ActivityTimeline
    }

    /// The figures of a sealed segment: from memory, its sidecar, or one scan (which writes the sidecar).
    static func sealedFigures(_ store: StoreDirectory, _ identity: SealedSegmentIdentity, path: String) throws -> SegmentFigures {
        let key = CacheKey(store: store.path, base: identity.base)
        if let cached = cache.withLock({ $0.sealed[key] }), cached.segment == identity {
            return SegmentFigures(runs: cached.runs, timeline: cached.timeline)
        }
        let sidecar: RunSidecar
        if let loaded = RunSidecar.load(store, identity) {
            sidecar = loaded
        } else {
            var builder = RunFiguresBuilder()
            try StoreReader.forEach(segmentFile: path) { record in
                builder.add(record)
                return true
            }
            sidecar = RunSidecar(segment: identity, runs: builder.runs, timeline: builder.timeline)
            sidecar.save(store)
        }
        cache.withLock { $0.sealed[key] = sidecar }
        return SegmentFigures(runs: sidecar.runs, timeline: sidecar.timeline)
    }

    /// The figures of a WAL segment: the records already scanned come from memory, the rest are parsed.
    static func walFigures(_ store: StoreDirectory, _ seg: SegmentFile) throws -> SegmentFigures {
        let key = CacheKey(store: store.path, base: seg.base)
        let known = cache.withLock { $0.wal[key] }
        var builder = RunFiguresBuilder()
        var next = known?.nextSequence ?? 0
        try StoreReader.forEach(segmentFile: seg.path) { record in
            if record.sequence >= next {
                builder.add(record)
                next = record.sequence + 1
            }
            return true
        }
        var figures = known?.runs ?? []
        if !builder.runs.isEmpty {
            var position: [String: Int] = [:]
            for (i, r) in figures.enumerated() { position[r.runID] = i }
            for r in builder.runs {
                if let i = position[r.runID] { figures[i].merge(r) } else { figures.append(r) }
            }
        }
        var timeline = known?.timeline ?? ActivityTimeline()
        timeline.merge(builder.timeline)
        cache.withLock { $0.wal[key] = WALFigures(nextSequence: next, runs: figures, timeline: timeline) }
        return SegmentFigures(runs: figures, timeline: timeline)
    }

    /// Removes the sidecars of segments no longer in the store (deleted by
    /// retention, merged away, archived with `--move`).
    private static func removeOrphans(_ store: StoreDirectory, keeping sealed: Set<UInt64>) {
        guard let files = try? store.derivedFiles(extension: RunSidecar.fileExtension) else { return }
        for file in files where !sealed.contains(file.base) {
            // A segment named like it may have appeared since the listing (a seal): keep its sidecar then.
            if access(store.file(SegmentName.sealed(file.base)), F_OK) == 0 { continue }
            unlink(file.path)
        }
        cache.withLock { state in
            state.sealed = state.sealed.filter { $0.key.store != store.path || sealed.contains($0.key.base) }
            state.wal = state.wal.filter { $0.key.store != store.path || !sealed.contains($0.key.base) }
        }
    }

    private struct CacheKey: Hashable { var store: String; var base: UInt64 }
    private struct WALFigures { var nextSequence: UInt64; var runs: [RunFigures]; var timeline: ActivityTimeline }
    private struct CacheState {
        var sealed: [CacheKey: RunSidecar] = [:]
        var wal: [CacheKey: WALFigures] = [:]
        var merged: [String: MergedFigures] = [:]
    }
    private static let cache = Mutex(CacheState())

    /// Forgets what was kept in memory (for tests that damage sidecars).
    package static func forgetCached() { cache.withLock { $0 = CacheState() } }
}
