import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite struct SealedSegmentTests {
    /// A store whose closed segments are sealed; returns it with the records written.
    private func sealedStore(_ count: Int, payloadSize: Int = 300, segmentSize: Int = 256 << 10, runs: Int = 7)
        throws -> (TemporaryStore, [(payload: String, run: String?, type: String?, time: Int64?)]) {
        let store = TemporaryStore("sealed")
        let records = sampleRecords(count, runs: runs, payloadSize: payloadSize)
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: segmentSize, durability: .never))
        for chunk in stride(from: 0, to: count, by: 500) {
            try TemporaryStore.append(w, Array(records[chunk..<min(chunk + 500, count)]))
        }
        try w.sealAll()
        try w.close()
        return (store, records)
    }

    @Test func sealingRoundTripsAndLz4ReadsTheSegments() throws {
        let (store, records) = try sealedStore(6000, payloadSize: 400, segmentSize: 1 << 20)
        let segments = try store.directory.segments()
        #expect(segments.filter { $0.kind == .sealed }.count >= 2)
        #expect(segments.last?.kind == .wal)
        #expect(try store.segments().count == 1, "only the empty active WAL segment is left")
        let got = try readAll(store.directory)
        #expect(got.map(\.0) == Array(0..<6000))
        #expect(got.map(\.1) == records.map(\.payload))
        // Keys survive sealing.
        let run3 = try readAll(store.directory, RecordFilter(runKey: "run-3"))
        #expect(run3.map(\.1) == records.filter { $0.run == "run-3" }.map(\.payload))
        let typed = try readAll(store.directory, RecordFilter(type: "tool_execution"))
        #expect(typed.count == records.filter { $0.type == "tool_execution" }.count)
        let t0 = records[1000].time!, t1 = records[2000].time!
        let ranged = try readAll(store.directory, RecordFilter(since: t0, until: t1))
        #expect(ranged.map(\.0) == Array(1000..<2000))
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)

        // `lz4 -dc` of a version 3 segment prints its records in cluster order (FORMAT.md §7, §7.4):
        // group after group, each group's lines exactly its records, each run's lines in sequence order.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lz4") else {
            Issue.record("the lz4 command-line tool is not installed (apt-get install lz4): cannot check lz4 -dc")
            return
        }
        var exported = records.map(\.payload)[...]
        for seg in segments where seg.kind == .sealed {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
            p.arguments = ["-dc", seg.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let decoded = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            var lines = String(decoding: decoded, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.removeLast() == "", "lz4 -dc output ends with a newline")
            let sealed = try SealedSegment(path: seg.path, base: seg.base)
            #expect(sealed.version == 3)
            #expect(sealed.groups.count >= 1)
            var at = lines.startIndex
            for group in sealed.groups {
                let clustered = lines[at..<(at + Int(group.count))]
                let inOrder = exported.prefix(Int(group.count))
                #expect(clustered.sorted() == inOrder.sorted(), "group from \(group.firstSequence): the same records")
                var lastOfRun: [String: Int] = [:]
                for line in clustered {
                    let i = Int(line.split(separator: ",")[0].dropFirst(5))!  // {"i":N,...
                    let run = records[i].run ?? ""
                    #expect(lastOfRun[run].map { $0 < i } ?? true, "a run's lines ascend in sequence")
                    lastOfRun[run] = i
                }
                exported = exported.dropFirst(Int(group.count))
                at += Int(group.count)
            }
            #expect(at == lines.endIndex)
        }
        #expect(exported.isEmpty)
    }

    @Test func sealedSegmentsCompressRealisticEvents() throws {
        let (store, _) = try sealedStore(3000, payloadSize: 480, segmentSize: 4 << 20)
        let stats = try StoreStatistics(StoreReader(directory: store.directory))
        #expect(stats.sealedJSONLBytes > 0)
        // Synthetic padding compresses far better than 35%; real figures come from the benchmark.
        #expect(stats.sealedBytes < stats.sealedJSONLBytes / 2)
    }

    @Test func aRunFilterReadsOnlyTheBlocksThatHoldTheRun() throws {
        let store = TemporaryStore("blocks")
        let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
        var records = sampleRecords(20_000, runs: 50, payloadSize: 300)
        // One run confined to a narrow stretch of the log.
        for i in 12_000..<12_200 { records[i].run = "rare"; records[i].payload = records[i].payload.replacingOccurrences(of: "run-", with: "rare-") }
        try TemporaryStore.append(w, records)
        try w.sealAll()
        try w.close()
        let all = StoreReader.init
        let full = try all(store.directory)
        try full.forEach { _ in true }
        let one = try all(store.directory)
        var n = 0
        try one.forEach(RecordFilter(runKey: "rare")) { _ in n += 1; return true }
        #expect(n == 200)
        #expect(one.bytesRead * 10 < full.bytesRead, "run read \(one.bytesRead) of \(full.bytesRead) bytes")
    }

    @Test func everyBitFlipOfASmallSealedSegmentIsDetected() throws {
        let (store, _) = try sealedStore(12, payloadSize: 120)
        let sealed = try #require(try store.directory.segments().first { $0.kind == .sealed })
        let original = readFile(sealed.path)
        for byte in 0..<original.count {
            for bit in 0..<8 {
                var damaged = original
                damaged[byte] ^= UInt8(1 << bit)
                writeFile(sealed.path, damaged)
                let report = try StoreVerifier(directory: store.directory).run()
                #expect(report.isDamaged, "byte \(byte) bit \(bit) of \(original.count) not reported")
                do {
                    _ = try readAll(store.directory)
                    Issue.record("reader accepted a flipped bit at byte \(byte) bit \(bit)")
                } catch let e as StoreError {
                    #expect(e.kind == .corruption && e.path == sealed.path)
                }
            }
        }
        writeFile(sealed.path, original)
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
    }

    @Test func truncatedTrailersAreReported() throws {
        let (store, _) = try sealedStore(50, payloadSize: 100)
        let sealed = try #require(try store.directory.segments().first { $0.kind == .sealed })
        let original = readFile(sealed.path)
        for cut in stride(from: original.count - 1, through: max(0, original.count - 200), by: -1) {
            writeFile(sealed.path, Array(original[0..<cut]))
            let report = try StoreVerifier(directory: store.directory).run()
            #expect(report.isDamaged, "cut at \(cut)")
            #expect(throws: StoreError.self) { try readAll(store.directory) }
        }
        writeFile(sealed.path, original)
    }

    @Test func aSealInterruptedBeforeTheWALIsRemovedDuplicatesNothing() throws {
        let store = TemporaryStore("twin")
        let records = sampleRecords(300, payloadSize: 200)
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: 16 << 10, durability: .never, sealClosedSegments: false))
        try TemporaryStore.append(w, records)
        try w.close()
        let wal = try store.directory.walSegments()[0]
        let walBytes = readFile(wal.path)
        _ = try SegmentSealer(directory: store.directory).seal(wal)
        // The crash: the sealed file was renamed into place, the WAL not yet removed.
        writeFile(wal.path, walBytes)
        #expect(try readAll(store.directory).map(\.0) == Array(0..<300))
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
        let w2 = try LogWriter(directory: store.directory, options: .init(durability: .never))
        #expect(w2.recovery.sealedDuplicatesRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: wal.path))
        try w2.close()
        #expect(try readAll(store.directory).map(\.1) == records.map(\.payload))
    }

    @Test func aStoreOfOnlySealedSegmentsIsReadableAndWritable() throws {
        let (store, records) = try sealedStore(1000, payloadSize: 200)
        try FileManager.default.removeItem(atPath: try store.segments().last!)
        #expect(try readAll(store.directory).count == 1000)
        let w = try LogWriter(directory: store.directory)
        #expect(w.nextSequence == 1000)
        try TemporaryStore.append(w, [(payload: "{\"more\":1}", run: "run-1", type: nil, time: nil)])
        try w.close()
        let got = try readAll(store.directory)
        #expect(got.count == 1001 && got.last?.1 == "{\"more\":1}")
        _ = records
    }
}
