import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// `Fixtures/v1/` pins format version 1: a store written by this version and
/// the JSONL it was written from. Reading it, and writing it again byte for
/// byte, must keep working for as long as we support version 1.
@Suite struct FixtureV1Tests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/v1").path

    @Test func theV1StoreReadsBackToItsExpectedExport() throws {
        let store = StoreDirectory(Self.root + "/store")
        let export = try exportBytes(store)
        #expect(export == readFile(Self.root + "/expected-export.jsonl"))
        let report = try StoreVerifier(directory: store).run()
        #expect(report.problems.isEmpty)
        #expect(report.segments == 3)
        #expect(report.records == 12)
    }

    @Test func theV1KeysAreWhatFormatMdSays() throws {
        let store = StoreDirectory(Self.root + "/store")
        var keys: [(String?, String?, Int64?)] = []
        try StoreReader(directory: store).forEach { r in
            keys.append((r.runKeyString, r.typeString, r.time))
            return true
        }
        #expect(keys.count == 12)
        #expect(keys[0].0 == "run-alpha" && keys[0].1 == "routing_decision")
        #expect(keys[0].2 == 1_768_469_400_000_000_000)
        #expect(keys[4].2 == 1_768_469_401_400_000_000, "+01:00 offset converted to UTC")
        #expect(keys[6].0 == "run-été 🚀", "escapes decoded")
        #expect(keys[7].2 == nil, "no timestamp")
        #expect(keys[8].2 == nil && keys[8].1 == "heartbeat", "unparsable timestamp")
        #expect(keys[9].0 == nil && keys[9].1 == nil, "non-string run_id and event_type are not keys")
        #expect(keys[10].0 == nil && keys[10].2 == 1_768_469_580_123_456_789)
        #expect(keys[11].0 == "run-alpha", "first of duplicate keys wins")
    }

    @Test func writingTheSameEventsAgainGivesTheSameBytes() throws {
        let tmp = TemporaryStore("fixture")
        let writer = try LogWriter(directory: tmp.directory, options: .init(segmentSize: 1500, durability: .always, sealClosedSegments: false))
        var ingester = JSONLIngester(writer: writer, indexing: IndexedKeys(run: "run_id", type: "event_type", time: "timestamp"))
        let fd = open(Self.root + "/events.jsonl", O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let summary = try ingester.ingest(fd: fd, source: "events.jsonl")
        try writer.close()
        #expect(summary.events == 12 && summary.rejected == 0)
        let fixture = try StoreDirectory(Self.root + "/store").walSegments()
        let fresh = try tmp.directory.walSegments()
        #expect(fixture.map(\.base) == fresh.map(\.base))
        for (a, b) in zip(fixture, fresh) {
            #expect(readFile(a.path) == readFile(b.path), "\(SegmentName.wal(a.base)) differs from the v1 fixture")
        }
    }
}
