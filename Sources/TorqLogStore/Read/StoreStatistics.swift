/// Counts of a store, from frame headers alone (`torqlog info`).
public struct StoreStatistics: Sendable {
    /// One segment's figures.
    public struct Segment: Sendable {
        public var name: String
        public var baseSequence: UInt64
        public var bytes: Int64
        public var records: Int
        public var isActive: Bool
        /// Sealed (compressed, indexed) rather than a WAL segment.
        public var isSealed: Bool
        /// For a sealed segment: bytes of its JSONL once decompressed.
        public var jsonlBytes: Int64
    }

    /// Per segment, in order.
    public var segments: [Segment] = []
    /// Sealed segments left by a merge interrupted after its rename: covered by
    /// the segment before them, not read and not counted (FORMAT.md §8.2); the
    /// next writer removes them.
    public var leftovers: [Segment] = []
    /// Records in the store.
    public var records = 0
    /// Distinct run keys.
    public var runs = 0
    /// Records without a run key.
    public var recordsWithoutRun = 0
    /// Records per type tag.
    public var types: [String: Int] = [:]
    /// Bytes of segment files on disk.
    public var bytesOnDisk: Int64 = 0
    /// Bytes of payload (what `export` writes, less one newline per record).
    public var payloadBytes: Int64 = 0
    /// Earliest and latest event time (nanoseconds), over records that have one.
    public var firstTime: Int64?
    public var lastTime: Int64?
    /// First and last sequence numbers.
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?

    /// Sealed segments: their compressed bytes and the JSONL they hold.
    public var sealedBytes: Int64 { segments.filter(\.isSealed).reduce(0) { $0 + $1.bytes } }
    public var sealedJSONLBytes: Int64 { segments.filter(\.isSealed).reduce(0) { $0 + $1.jsonlBytes } }

    /// Computes the statistics of the store `reader` reads (headers and indexes only).
    public init(_ reader: StoreReader) throws {
        var runs = Set<ByteKey>()
        var types: [[UInt8]: Int] = [:]
        let readable = try reader.readableSegments()
        for seg in reader.segments where !readable.contains(seg) {
            let idx = try reader.sealed(seg).index
            leftovers.append(Segment(name: String(seg.path.split(separator: "/").last ?? ""), baseSequence: seg.base,
                                     bytes: Filesystem.fileSize(seg.path) ?? 0, records: Int(idx.recordCount),
                                     isActive: false, isSealed: true, jsonlBytes: Int64(idx.jsonlBytes)))
        }
        for seg in readable {
            var s = Segment(name: String(seg.path.split(separator: "/").last ?? ""), baseSequence: seg.base,
                            bytes: Filesystem.fileSize(seg.path) ?? 0, records: 0,
                            isActive: seg.base == readable.last?.base && seg.kind == .wal, isSealed: seg.kind == .sealed, jsonlBytes: 0)
            if seg.kind == .sealed {
                let sealed = try reader.sealed(seg)
                let idx = sealed.index
                s.records = Int(idx.recordCount)
                s.jsonlBytes = Int64(idx.jsonlBytes)
                payloadBytes += Int64(idx.jsonlBytes) - Int64(idx.recordCount)
                runs.formUnion(try sealed.allRuns().keys)
                for (k, v) in idx.types { types[k, default: 0] += Int(v) }
                if idx.minTime <= idx.maxTime {
                    firstTime = min(firstTime ?? idx.minTime, idx.minTime)
                    lastTime = max(lastTime ?? idx.maxTime, idx.maxTime)
                }
                if let firstGroup = idx.groups.first, let lastGroup = idx.groups.last {
                    if firstSequence == nil { firstSequence = firstGroup.firstSequence }
                    lastSequence = lastGroup.lastSequence
                }
                recordsWithoutRun += Int(idx.recordsWithoutRun)
                records += s.records
                bytesOnDisk += s.bytes
                segments.append(s)
                continue
            }
            try reader.scanHeaders(seg) { f in
                s.records += 1
                payloadBytes += Int64(f.header.payloadLength)
                if let r = f.runKey { runs.insert(ByteKey(r)) } else { recordsWithoutRun += 1 }
                if let t = f.type { types[Array(t), default: 0] += 1 }
                if let t = f.time {
                    firstTime = min(firstTime ?? t, t)
                    lastTime = max(lastTime ?? t, t)
                }
                if firstSequence == nil { firstSequence = f.sequence }
                lastSequence = f.sequence
            }
            records += s.records
            bytesOnDisk += s.bytes
            segments.append(s)
        }
        self.runs = runs.count
        for (k, v) in types { self.types[String(decoding: k, as: UTF8.self), default: 0] += v }
    }
}
