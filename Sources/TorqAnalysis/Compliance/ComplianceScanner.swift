import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqEvents
import TorqJSON
#endif

/// Checks every event of some sources against the compliance rule, streaming.
///
/// `threads` threads (the caller's among them) share the work: each takes
/// the next unit of input — a segment file of a store, read through
/// `StoreReader` (LZ4 blocks or WAL frames, checksums verified), or a JSONL
/// file read line by line (gzip through zlib) — and copies its events into
/// batches; full batches are parsed by whichever thread is free, each thread
/// with its own simdjson parser and counts, merged at the end. At most
/// `2 × threads + 2` batches of 512 KiB exist at a time, so memory stays
/// bounded whatever the input size (a record larger than a batch gets a
/// batch of its own size, given back afterwards).
public struct ComplianceScanner: Sendable {
    /// Which events count: `runKey`, `type`, `since`, `until`, with the
    /// store's semantics (on frame headers for stores; on the parsed
    /// `run_id`, `event_type` and `timestamp` for JSONL). Lines that are
    /// not JSON objects match no non-empty filter.
    public var filter: RecordFilter
    /// Threads that read and parse, the calling thread included (at least 1).
    public var threads: Int
    /// How many non-compliant events the report keeps as examples.
    public var maxExamples: Int

    /// The default number of threads: one per core this process may run on
    /// (its affinity mask, which `taskset` narrows; ``ParallelWidth``).
    public static var defaultThreads: Int {
        ParallelWidth.available()
    }

    /// A scanner; `threads` defaults to ``defaultThreads``.
    public init(filter: RecordFilter = RecordFilter(), threads: Int = ComplianceScanner.defaultThreads, maxExamples: Int = 10) {
        self.filter = filter
        self.threads = max(1, min(threads, 64))
        self.maxExamples = max(0, maxExamples)
    }

    /// Scans `sources` and reports on all their events together.
    ///
    /// A store is read segment by segment, several segments at a time (each
    /// segment verified as `StoreReader` does; segments must follow each
    /// other as FORMAT.md §1 says). Throws when a source
    /// cannot be opened or read, or a store is damaged.
    public func scan(_ sources: [ScanSource]) throws(TelemetryError) -> ComplianceReport {
        var units: [ScanUnit] = []
        for (index, source) in sources.enumerated() {
            switch source {
            case .store(let path):
                let segments: [SegmentFile]
                do {
                    // Leftovers of an interrupted merge are not read (FORMAT.md §8.2).
                    segments = try StoreReader(directory: StoreDirectory(path)).readableSegments()
                } catch let error as StoreError {
                    // The store's description names the file already.
                    throw TelemetryError(error)
                } catch {
                    throw TelemetryError(.store, path: path, "\(error)")
                }
                for segment in segments {
                    units += try Self.units(of: segment, source: index, threads: threads)
                }
            case .segment(let path):
                units.append(.segment(path: path, source: index))
            case .jsonl(let path):
                units.append(.lines(path: path, source: index, gzip: false))
            case .gzip(let path):
                units.append(.lines(path: path, source: index, gzip: true))
            }
        }
        return try run(units: units, names: sources.map(\.path), checkContiguity: true)
    }

    /// The units of one segment of a store: a WAL segment whole; a sealed one
    /// as up to two ranges of blocks per thread, so that the threads share
    /// one large segment's decompression and parsing. Counting needs no
    /// order, so each block is read on its own (a block's memory per thread,
    /// and no merge of a group back into sequence order), on one thread too.
    private static func units(of segment: SegmentFile, source: Int, threads: Int) throws(TelemetryError) -> [ScanUnit] {
        guard segment.kind == .sealed else { return [.segment(path: segment.path, source: source)] }
        let blocks: (count: Int, endSequence: UInt64)
        do {
            blocks = try StoreReader.sealedBlocks(segmentFile: segment.path)
        } catch let error as StoreError {
            throw TelemetryError(error)
        } catch {
            throw TelemetryError(.store, path: segment.path, "\(error)")
        }
        let parts = min(blocks.count, 2 * threads)
        guard parts >= 1 else { return [.segment(path: segment.path, source: source)] }  // no block: nothing to split
        return (0..<parts).map { k in
            let range = (blocks.count * k / parts)..<(blocks.count * (k + 1) / parts)
            return .sealedBlocks(path: segment.path, source: source, blocks: range, end: k == parts - 1 ? blocks.endSequence : nil)
        }
    }

    /// Checks in-memory JSON events (one per element, no newline needed),
    /// on the calling thread; their locations are `source:N`, N from 1.
    public func report(jsonLines: some Sequence<[UInt8]>, source: String = "<memory>") throws(TelemetryError) -> ComplianceReport {
        let coordinator = ScanCoordinator(units: [], threads: 1)
        guard var participant = ScanParticipant(coordinator: coordinator, filter: filter, names: [source], maxExamples: maxExamples) else {
            throw TelemetryError(.outOfMemory, "cannot allocate the JSON parser")
        }
        var number = 0
        for line in jsonLines {
            number += 1
            line.withUnsafeBytes { participant.add($0, source: 0, position: UInt64(number), fromStore: false) }
        }
        participant.flush()
        coordinator.finishReading()
        participant.drain()
        return ComplianceReport(participant.finish().tally)
    }

    // MARK: - Threads

    /// What one thread found.
    private final class ThreadResult: @unchecked Sendable {
        var tally: ComplianceTally?
        var segments: [SegmentSpan] = []
    }

    private func run(units: [ScanUnit], names: [String], checkContiguity: Bool) throws(TelemetryError) -> ComplianceReport {
        let threads = max(1, self.threads)
        let coordinator = ScanCoordinator(units: units, threads: threads)
        let filter = self.filter, maxExamples = self.maxExamples
        let body: @Sendable (ThreadResult) -> Void = { result in
            guard var participant = ScanParticipant(coordinator: coordinator, filter: filter, names: names, maxExamples: maxExamples) else {
                coordinator.fail(TelemetryError(.outOfMemory, "cannot allocate the JSON parser"))
                coordinator.finishReading()
                return
            }
            participant.readUnits()
            participant.drain()
            let (tally, segments) = participant.finish()
            result.tally = tally
            result.segments = segments
        }
        // One long job per worker: the scan is done when they have run (stop(.finishQueued) joins them).
        var spawned: [Worker<ThreadResult>] = []
        var results: [ThreadResult] = []
        for _ in 1..<threads {
            let result = ThreadResult()
            guard let worker = try? Worker<ThreadResult>(name: "torqlog-scan", capacity: 1, run: { body($0) }),
                  worker.submit(result) else {
                coordinator.finishReading() // this thread will never read
                continue
            }
            spawned.append(worker)
            results.append(result)
        }
        let mine = ThreadResult()
        body(mine)
        for worker in spawned { worker.stop(.finishQueued) }
        results.append(mine)
        if let error = coordinator.error { throw error }
        var tally = ComplianceTally(maxExamples: maxExamples)
        var segments: [SegmentSpan] = []
        for result in results {
            if let partial = result.tally { tally.merge(partial) }
            segments += result.segments
        }
        if checkContiguity { try SegmentSpan.checkContiguous(segments) }
        return ComplianceReport(tally)
    }
}

/// A segment file read by a scan, with its end sequence, for the contiguity check.
struct SegmentSpan {
    var source: Int
    var segment: SegmentFile
    /// The segment's end sequence (FORMAT.md §1); nil when it was not read to its end.
    var end: UInt64?

    /// The segments of each store must follow each other: the store's one
    /// contiguity rule (`StoreReader.checkContiguous`), per source.
    static func checkContiguous(_ spans: [SegmentSpan]) throws(TelemetryError) {
        for source in Set(spans.map(\.source)) {
            let chain = spans.filter { $0.source == source }.compactMap { span in span.end.map { (span.segment, $0) } }
            do {
                try StoreReader.checkContiguous(chain)
            } catch let e as StoreError {
                throw TelemetryError(e)
            } catch {
                throw TelemetryError(.store, "\(error)")
            }
        }
    }
}

/// One thread of a scan: reads units into batches, parses batches, counts.
struct ScanParticipant: ~Copyable {
    private let coordinator: ScanCoordinator
    private var worker: BatchWorker
    private var current: ScanBatch
    /// Counts what the reader itself finds (lines too long to hand over).
    private var readerTally: ComplianceTally
    private let names: [String]
    private let filter: RecordFilter
    private var spans: [SegmentSpan] = []
    /// Reads this thread's ranges of sealed blocks, one buffer for all of them (made at the first).
    private var blockReader: SealedBlockReader?

    init?(coordinator: ScanCoordinator, filter: RecordFilter, names: [String], maxExamples: Int) {
        guard let worker = BatchWorker(filter: filter, sources: names, maxExamples: maxExamples) else { return nil }
        self.coordinator = coordinator
        self.worker = worker
        self.names = names
        self.filter = filter
        current = coordinator.takeFree()
        readerTally = ComplianceTally(maxExamples: maxExamples)
    }

    /// Adds one record or line to the current batch, handing it over first
    /// when it is full or holds another source's records.
    @inline(__always)
    mutating func add(_ bytes: UnsafeRawBufferPointer, source: Int, position: UInt64, segment: UInt64 = 0, fromStore: Bool) {
        if !current.isEmpty, !current.hasRoom(for: bytes.count) || current.source != source {
            handOver()
        }
        if current.isEmpty {
            current.source = source
            current.fromStore = fromStore
        }
        current.append(bytes, position: position, segment: segment)
    }

    /// Hands over the current batch, if it holds anything.
    mutating func flush() {
        if !current.isEmpty { handOver() }
    }

    /// Queues the current batch and continues with a free one, or parses a
    /// ready batch first when none is free.
    private mutating func handOver() {
        if let fresh = coordinator.submit(current) {
            current = fresh
        } else if let batch = coordinator.takeReady() {
            worker.process(batch)
            batch.reset()
            current = batch
        } else {
            current = coordinator.takeFree()
        }
    }

    /// Reads units until none is left (or the scan failed), then says so.
    mutating func readUnits() {
        while let unit = coordinator.takeUnit() {
            do {
                try read(unit)
            } catch {
                coordinator.fail(error)
                break
            }
        }
        flush()
        coordinator.finishReading()
    }

    /// Parses ready batches until every thread has finished reading and none is left.
    mutating func drain() {
        while let batch = coordinator.waitReady() {
            worker.process(batch)
            coordinator.release(batch)
        }
    }

    /// The counts of this thread, and the segments it read.
    consuming func finish() -> (tally: ComplianceTally, segments: [SegmentSpan]) {
        var tally = readerTally
        tally.merge(worker.tally)
        return (tally, spans)
    }

    private mutating func read(_ unit: ScanUnit) throws(TelemetryError) {
        switch unit {
        case .segment(let path, let source):
            let filter = self.filter
            var end: UInt64?
            // (A WAL segment sealed meanwhile is read from its sealed file by the store's reader.)
            try readStore(path, source: source) { (body: (RecordView) throws -> Bool) throws in
                end = try StoreReader.forEach(segmentFile: path, filter, body)
            }
            spans.append(SegmentSpan(source: source, segment: Self.segment(path), end: end))
        case .sealedBlocks(let path, let source, let blocks, let end):
            let filter = self.filter
            let reader: SealedBlockReader
            if let blockReader {
                reader = blockReader
            } else {
                do {
                    reader = try SealedBlockReader()
                } catch {
                    throw TelemetryError(.outOfMemory, path: path, "cannot allocate the LZ4 decompressor: \(error)")
                }
                blockReader = reader
            }
            try readStore(path, source: source) { (body: (RecordView) throws -> Bool) throws in
                _ = try reader.forEach(sealedSegmentFile: path, blocks: blocks, filter, body)
            }
            // One span per segment: the unit holding its last block speaks for it.
            if let end { spans.append(SegmentSpan(source: source, segment: Self.segment(path), end: end)) }
        case .lines(let path, let source, let gzip):
            do throws(InputError) {
                let bytes: any ByteSource = gzip ? try GzipByteSource(path: path) : try FileByteSource(path: path)
                try readLines(bytes, source: source, filtering: !filter.isEmpty)
            } catch {
                throw TelemetryError(error)
            }
        }
    }

    /// The segment a file path names (base 0 when it has none).
    private static func segment(_ path: String) -> SegmentFile {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return SegmentFile(base: UInt64(name.prefix(20)) ?? 0, path: path, kind: name.hasSuffix(".wal") ? .wal : .sealed)
    }

    private mutating func readStore(_ path: String, source: Int, _ each: ((RecordView) throws -> Bool) throws -> Void) throws(TelemetryError) {
        do {
            try each { record in
                add(record.payload, source: source, position: record.sequence, segment: record.location.segment, fromStore: true)
                return true
            }
        } catch let error as StoreError {
            // The store's description names the file already.
            throw TelemetryError(error)
        } catch {
            throw TelemetryError(.store, path: path, "\(error)")
        }
    }

    private mutating func readLines(_ bytes: any ByteSource, source: Int, filtering: Bool) throws(InputError) {
        let lines = LineReader(source: bytes, maxLineLength: EventValidator.maxEventLength)
        while let line = try lines.next() {
            switch line {
            case .line(let text, let number):
                if text.isEmpty { continue }
                add(text, source: source, position: UInt64(number), fromStore: false)
            case .tooLong(let number):
                guard !filtering else { continue }
                let name = names[source]
                readerTally.addNotObject(reason: "longer than the 16 MiB limit", source: source, position: UInt64(number)) {
                    EventLocation(source: name, line: number)
                }
            }
        }
    }
}
