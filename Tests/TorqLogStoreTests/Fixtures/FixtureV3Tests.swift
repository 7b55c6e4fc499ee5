import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// `Fixtures/v3/` pins format version 3: the version 2 fixture's store (four
/// version 2 sealed segments and its WAL segment), 110 more events written on
/// top of it, and the closed WAL segments sealed as version 3 with a small
/// layout (``layout``), so that a few kilobytes hold several groups, run
/// blocks and shared blocks, records without a run key and several run pages.
/// The last WAL segment stays active. Read by this code and by a Python reader
/// written from FORMAT.md alone (``FixtureV2Tests``).
///
/// ``build(into:)`` made it: `TORQLOG_WRITE_V3_FIXTURE=DIR swift test --filter
/// FixtureV3Tests` writes a fresh copy into DIR.
@Suite struct FixtureV3Tests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let root = repo.appendingPathComponent("Fixtures/v3").path
    /// Events 52… of `events.jsonl` are the ones written on top of the version 2 store (0…51).
    static let v2Events = 52
    static let segmentSize = 8192
    static let layout = SealLayout(groupBytes: 3000, runBlockMinimum: 4, runBlockBytes: 1200, sharedBlockBytes: 1000, runPageBytes: 48)

    /// Builds the fixture's store in `store` (an empty directory).
    static func build(into store: StoreDirectory) throws {
        let v2 = repo.appendingPathComponent("Fixtures/v2/store").path
        for name in try FileManager.default.contentsOfDirectory(atPath: v2).sorted() {
            try FileManager.default.copyItem(atPath: v2 + "/" + name, toPath: store.file(name))
        }
        let lines = readFile(root + "/events.jsonl").split(separator: 0x0A, omittingEmptySubsequences: false)
        let input = TemporaryStore("fixture-v3-input")
        let more = input.path + "/more.jsonl"
        writeFile(more, Array(lines[v2Events...].joined(separator: [0x0A])))
        let writer = try LogWriter(directory: store, options: .init(segmentSize: segmentSize, durability: .always, sealClosedSegments: false))
        var ingester = JSONLIngester(writer: writer, indexing: IndexedKeys(run: "run_id", type: "event_type", time: "timestamp"))
        let fd = open(more, O_RDONLY)
        guard fd >= 0 else { throw HarnessError("cannot open \(more)") }
        defer { close(fd) }
        let summary = try ingester.ingest(fd: fd, source: "events.jsonl")
        try writer.close()
        guard summary.events == lines.count - 1 - v2Events, summary.rejected == 0 else {
            throw HarnessError("ingested \(summary.events) events, rejected \(summary.rejected)")
        }
        for wal in try store.walSegments().dropLast() {
            _ = try SegmentSealer(directory: store, layout: layout).seal(wal)
        }
    }

    @Test func theV3StoreReadsBackToItsExpectedExport() throws {
        let store = StoreDirectory(Self.root + "/store")
        let segments = try store.segments()
        let versions = try segments.filter { $0.kind == .sealed }.map { try SealedSegment(path: $0.path, base: $0.base).version }
        #expect(versions.prefix(4) == [2, 2, 2, 2])
        #expect(versions.count > 5 && versions.dropFirst(4).allSatisfy { $0 == 3 })
        #expect(segments.last?.kind == .wal)
        let export = try exportBytes(store)
        #expect(export == readFile(Self.root + "/expected-export.jsonl"))
        #expect(export == readFile(Self.root + "/events.jsonl"))
        let report = try StoreVerifier(directory: store).run()
        #expect(report.problems.isEmpty && report.records == 162)

        // Each run, replayed across both versions, is its events in order (found by JSON, not by torqlog).
        let lines = readFile(Self.root + "/events.jsonl").split(separator: 0x0A).map { Data($0) }
        let facts = try EventFacts.of(lines)
        for run in ["run-v2-1", "run-v3-big", "run-v3-s4", "run-été-v3", ""] {
            var got: [UInt64] = []
            try StoreReader(directory: store).forEach(RecordFilter(runKey: run)) { r in got.append(r.sequence); return true }
            let expected = facts.indices.filter { facts[$0].runID == run }.map(UInt64.init)
            #expect(!expected.isEmpty && got == expected, "run \(run)")
        }
    }

    @Test func theV3SegmentsHoldEveryPartOfTheLayout() throws {
        let store = StoreDirectory(Self.root + "/store")
        var groups = 0, runBlocks = 0, sharedBlocks = 0, pages = 0, multiGroup = 0, keylessShared = 0
        for seg in try store.segments() where seg.kind == .sealed {
            let s = try SealedSegment(path: seg.path, base: seg.base)
            guard s.version == 3 else { continue }
            groups += s.groups.count
            if s.groups.count > 1 { multiGroup += 1 }
            pages += s.index.pages.count
            let block = try DecodedBlock()
            for (i, b) in try s.allBlocks().enumerated() {
                if b.kind == .run { runBlocks += 1 } else { sharedBlocks += 1 }
                try s.read(block: i, into: block)
                if block.keys.entries.contains(where: { $0.run == SealedFormat.noRun }) { keylessShared += 1 }
            }
        }
        #expect(multiGroup > 0 && groups > 4)
        #expect(runBlocks > 0 && sharedBlocks > 0 && keylessShared > 0)
        #expect(pages > 4)
    }

    @Test func writingTheSameEventsAgainGivesTheSameBytes() throws {
        let tmp = TemporaryStore("fixture-v3")
        try Self.build(into: tmp.directory)
        if let out = ProcessInfo.processInfo.environment["TORQLOG_WRITE_V3_FIXTURE"] {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(atPath: tmp.path, toPath: out)
        }
        let fixture = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/store").sorted()
        let fresh = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0 != "LOCK" }.sorted()
        #expect(fixture == fresh)
        for name in fixture {
            #expect(readFile(Self.root + "/store/" + name) == readFile(tmp.path + "/" + name), "\(name) differs from the v3 fixture")
        }
    }
}
