import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite struct CompactionTests {
    /// Records one second apart, sealed in several segments.
    private func store(_ count: Int, runs: Int = 5, segmentSize: Int = 64 << 10) throws
        -> (TemporaryStore, LogWriter, [(payload: String, run: String?, type: String?, time: Int64?)]) {
        let s = TemporaryStore("compact")
        var records = sampleRecords(count, runs: runs, payloadSize: 200)
        for i in records.indices { records[i].time = Int64(1_700_000_000) * 1_000_000_000 + Int64(i) * 1_000_000_000 }
        let w = try LogWriter(directory: s.directory, options: .init(segmentSize: segmentSize, durability: .never))
        try TemporaryStore.append(w, records)
        try w.sealAll()
        return (s, w, records)
    }

    @Test func retentionKeepsAnEventExactlyAtTheLimitAndEverythingNewer() throws {
        let (s, w, records) = try store(2000)
        let cutoff = records[777].time!
        let report = try Compactor(writer: w).removeRecords(olderThan: cutoff)
        try w.close()
        let got = try readAll(s.directory)
        #expect(got.map(\.0) == Array(777..<2000))
        #expect(got.first?.1 == records[777].payload)
        #expect(report.recordsRemoved == 777)
        #expect(report.segmentsDeleted >= 1 && report.segmentsRewritten == 1)
        #expect(try StoreVerifier(directory: s.directory).run().problems.isEmpty)
        // Applying it again removes nothing.
        let w2 = try LogWriter(directory: s.directory)
        #expect(try Compactor(writer: w2).removeRecords(olderThan: cutoff).recordsRemoved == 0)
        try w2.close()
    }

    @Test func eventsWithoutATimeNeverExpireByAge() throws {
        let s = TemporaryStore("untimed")
        let w = try LogWriter(directory: s.directory, options: .init(segmentSize: 16 << 10, durability: .never))
        var records = sampleRecords(300, payloadSize: 200)
        for i in records.indices { records[i].time = i % 3 == 0 ? nil : Int64(i) }
        try TemporaryStore.append(w, records)
        try w.sealAll()
        _ = try Compactor(writer: w).removeRecords(olderThan: Int64.max)
        try w.close()
        #expect(try readAll(s.directory).map(\.1) == records.filter { $0.time == nil }.map(\.payload))
    }

    @Test func sizeRetentionDeletesTheOldestSegmentsOnly() throws {
        let (s, w, _) = try store(3000)
        let before = try StoreStatistics(StoreReader(directory: s.directory))
        let limit = before.bytesOnDisk / 2
        let r = try Compactor(writer: w).trim(toBytes: limit)
        try w.close()
        let after = try StoreStatistics(StoreReader(directory: s.directory))
        #expect(after.bytesOnDisk <= limit)
        #expect(r.segmentsDeleted > 0)
        let got = try readAll(s.directory)
        #expect(got.last?.0 == 2999)
        #expect(got.map(\.0) == Array(UInt64(3000 - got.count)..<3000), "what is left is the newest, contiguous")
    }

    @Test func dropRunLeavesNoTraceInAnyFile() throws {
        let (s, w, records) = try store(1500, runs: 4)
        _ = try Compactor(writer: w).dropRun("run-2")
        try w.close()
        let got = try readAll(s.directory)
        #expect(got.map(\.1) == records.filter { $0.run != "run-2" }.map(\.payload))
        // No file holds the run any more: decompress every sealed segment and look.
        for seg in try s.directory.segments() {
            var bytes = Data()
            if seg.kind == .sealed {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
                p.arguments = ["-dc", seg.path]
                let pipe = Pipe()
                p.standardOutput = pipe
                try p.run()
                bytes = pipe.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
                let sealed = try SealedSegment(path: seg.path, base: seg.base)
                #expect(try sealed.blocks(ofRun: Array("run-2".utf8)).isEmpty)
            } else {
                bytes = Data(readFile(seg.path))
            }
            #expect(!bytes.isEmpty || seg.kind == .wal)
            #expect(bytes.range(of: Data("run-2".utf8)) == nil, "\(seg.path) still mentions run-2")
        }
        #expect(try StoreVerifier(directory: s.directory).run().problems.isEmpty)
    }

    @Test func mergeJoinsSmallSegmentsAndAnInterruptedMergeDuplicatesNothing() throws {
        let (s, w, records) = try store(3000, segmentSize: 32 << 10)
        let before = try s.directory.segments().filter { $0.kind == .sealed }
        #expect(before.count > 5)
        // Simulate a merge interrupted after its rename: keep copies of the segments it will delete.
        let copies = before.map { ($0.path, readFile($0.path)) }
        let r = try Compactor(writer: w).merge(targetBytes: 1 << 30)
        #expect(r.segmentsRewritten == 1)
        #expect(try s.directory.segments().filter { $0.kind == .sealed }.count == 1)
        #expect(try readAll(s.directory).map(\.1) == records.map(\.payload))
        try w.close()
        for (path, bytes) in copies.dropFirst() { writeFile(path, bytes) }
        #expect(try readAll(s.directory).map(\.0) == Array(0..<3000), "covered segments are skipped")
        let w2 = try LogWriter(directory: s.directory)
        #expect(w2.recovery.coveredSegmentsRemoved == before.count - 1)
        try w2.close()
        #expect(try readAll(s.directory).map(\.1) == records.map(\.payload))
    }

    @Test func archivesAreReadableStoresAndMovingVerifiesFirst() throws {
        let (s, w, records) = try store(2000)
        let target = TemporaryStore("archive")
        let cutoff = records[1000].time!
        let r = try Archiver(store: s.directory).archive(to: target.directory, before: cutoff, move: true)
        try w.close()
        #expect(r.copied > 0 && r.removed == r.copied)
        let archived = try readAll(target.directory)
        let kept = try readAll(s.directory)
        #expect(archived.map(\.0) + kept.map(\.0) == Array(0..<2000))
        #expect((archived + kept).map(\.1) == records.map(\.payload))
        #expect(archived.allSatisfy { records[Int($0.0)].time! < cutoff })
        let manifest = String(decoding: readFile(target.path + "/MANIFEST.json"), as: UTF8.self)
        #expect(manifest.contains("\"format_version\":3") && manifest.contains("crc32c"))
        // Archiving without --before then copies the segments left in the store.
        let again = try Archiver(store: s.directory).archive(to: target.directory)
        #expect(again.alreadyArchived == 0 && again.copied > 0)
    }

    @Test func quarantineSetsADamagedSegmentAsideAndReadersGoOn() throws {
        let (s, w, records) = try store(2000)
        try w.close()
        let sealed = try s.directory.segments().filter { $0.kind == .sealed }
        let victim = sealed[1]
        var bytes = readFile(victim.path)
        bytes[100] ^= 0x01
        writeFile(victim.path, bytes)
        let report = try StoreVerifier(directory: s.directory).run()
        #expect(report.isDamaged)
        let writer = try LogWriter(directory: s.directory, options: .init(sealClosedSegments: false))
        let moved = try Quarantine(writer: writer).isolate(report)
        try writer.close()
        #expect(moved.count == 1)
        #expect(readFile(moved[0]) == bytes, "the damaged file is kept as it was")
        #expect(try StoreVerifier(directory: s.directory).run().problems.isEmpty)
        let got = try readAll(s.directory)
        let lost = Set(victim.base..<sealed[2].base)
        #expect(got.map(\.0) == (0..<2000).filter { !lost.contains(UInt64($0)) }.map(UInt64.init))
        _ = records
    }
}
