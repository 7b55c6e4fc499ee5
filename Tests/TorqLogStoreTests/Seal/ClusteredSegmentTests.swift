import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// Version 3 sealed segments (FORMAT.md §7.4) written while many runs
/// interleave: a replay reads only its run's blocks, every other reader
/// returns records in sequence order, and damage is reported where it is.
@Suite struct ClusteredSegmentTests {
    /// `count` records of `runs` runs all in flight at once (record i belongs to run
    /// `i × 7919 mod runs`), every fifth record of `run-big`, every 37th without a run key.
    static func interleaved(_ count: Int, runs: Int, payloadSize: Int = 260) -> [(payload: String, run: String?, type: String?, time: Int64?)] {
        (0..<count).map { i in
            let run: String? = i % 37 == 36 ? nil : i % 5 == 0 ? "run-big" : "run-\((i * 7919) % runs)"
            let type = ["agent_run", "tool_execution", "model_interaction", "memory_operation"][i % 4]
            var pad = ""  // hex noise: about as compressible as the ids and hashes of real events
            var h = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
            while pad.utf8.count < payloadSize - 90 {
                pad += String(h >> 8, radix: 16)
                h = h &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            }
            let runField = run.map { ",\"run_id\":\"\($0)\"" } ?? ""
            let payload = "{\"i\":\(i)\(runField),\"event_type\":\"\(type)\",\"trace\":\"\(String(i * 2_654_435_761 % 1_000_003, radix: 16))\",\"pad\":\"\(pad)\"}"
            return (payload, run, type, Int64(1_700_000_000_000_000_000) + Int64(i) * 1_000_000)
        }
    }

    /// A store of `records`, written with sealing off (WAL segments of `segmentSize`).
    static func walStore(_ records: [(payload: String, run: String?, type: String?, time: Int64?)], segmentSize: Int) throws -> TemporaryStore {
        let store = TemporaryStore("clustered")
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: segmentSize, durability: .never, sealClosedSegments: false))
        for chunk in stride(from: 0, to: records.count, by: 1000) {
            try TemporaryStore.append(w, Array(records[chunk..<min(chunk + 1000, records.count)]))
        }
        try w.close()
        return store
    }

    static func seal(_ store: TemporaryStore, layout: SealLayout = .standard) throws {
        var options = LogWriter.Options(durability: .never)
        options.sealLayout = layout
        let w = try LogWriter(directory: store.directory, options: options)
        try w.sealAll()
        try w.close()
    }

    static func sealedSegments(_ directory: StoreDirectory) throws -> [SealedSegment] {
        try directory.segments().filter { $0.kind == .sealed }.map { try SealedSegment(path: $0.path, base: $0.base) }
    }

    /// The standard layout scaled down 16 times (groups of 1 MiB, shared blocks of 4 KiB), so that
    /// a store of a few megabytes has the proportions of a large one.
    static let scaledLayout = SealLayout(groupBytes: 1 << 20, runBlockMinimum: 32, runBlockBytes: 16 << 10,
                                         sharedBlockBytes: 4 << 10, runPageBytes: 4096)

    @Test func replayAmongAThousandInterleavedRunsReadsOnlyTheRunsBlocks() throws {
        let records = Self.interleaved(30_000, runs: 1_000)
        let store = try Self.walStore(records, segmentSize: 4 << 20)
        let beforeSealing = try exportBytes(store.directory)
        try Self.seal(store, layout: Self.scaledLayout)
        let sealed = try Self.sealedSegments(store.directory)
        #expect(sealed.count >= 2 && sealed.allSatisfy { $0.version == 3 } && sealed.contains { $0.groups.count >= 3 })
        #expect(try exportBytes(store.directory) == beforeSealing, "export after sealing is byte for byte the WAL's, in sequence order")
        let storeBytes = try store.directory.segments().reduce(Int64(0)) { $0 + (Filesystem.fileSize($1.path) ?? 0) }

        for run in ["run-17", "run-503", "run-big"] {
            let reader = try StoreReader(directory: store.directory)
            var got: [(UInt64, String)] = []
            try reader.forEach(RecordFilter(runKey: run)) { r in
                got.append((r.sequence, String(decoding: r.payload, as: UTF8.self)))
                return true
            }
            let expected = records.indices.filter { records[$0].run == run }
            #expect(expected.count > 10)
            #expect(got.map(\.0) == expected.map(UInt64.init), "\(run): exactly its records, in sequence order")
            #expect(got.map(\.1) == expected.map { records[$0].payload })

            // The blocks read are the run's, as its run list names them: for a run with
            // blocks of its own only those; for a small run one shared block per group.
            var listed = 0
            let block = try DecodedBlock()
            for s in sealed {
                let blocks = try s.blocks(ofRun: Array(run.utf8))
                listed += blocks.count
                for (g, group) in s.groups.enumerated() {
                    let here = blocks.filter { group.blocks.contains($0) }
                    let kinds = try here.map { try s.block($0).kind }
                    if run == "run-big" {
                        #expect(!here.isEmpty && kinds.allSatisfy { $0 == .run }, "\(run), group \(g): run blocks only")
                    } else {
                        #expect(kinds == [.shared], "\(run), group \(g): one shared block")
                    }
                    for b in here {
                        try s.read(block: b, into: block)
                        #expect(block.keys.runs.contains(Array(run.utf8)))
                        if try s.block(b).kind == .run { #expect(block.keys.runs == [Array(run.utf8)]) }
                    }
                }
            }
            #expect(reader.blocksRead == listed, "\(run): read \(reader.blocksRead) blocks, its run lists name \(listed)")
            if run != "run-big" {
                #expect(reader.bytesRead * 50 < storeBytes, "\(run): read \(reader.bytesRead) of \(storeBytes) bytes (under 2%)")
            }
        }
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
    }

    @Test func readersOtherThanReplayReturnSequenceOrder() throws {
        let records = Self.interleaved(6_000, runs: 300)
        let store = try Self.walStore(records, segmentSize: 256 << 10)
        // Small groups and blocks: many groups per segment.
        try Self.seal(store, layout: SealLayout(groupBytes: 64 << 10, runBlockMinimum: 8, runBlockBytes: 8 << 10,
                                                sharedBlockBytes: 4 << 10, runPageBytes: 256))
        #expect(try Self.sealedSegments(store.directory).contains { $0.groups.count > 2 })
        #expect(try readAll(store.directory).map(\.0) == Array(0..<6000))
        // A type filter and a time range: sequence order too.
        let typed = try readAll(store.directory, RecordFilter(type: "model_interaction"))
        #expect(typed.map(\.0) == records.indices.filter { records[$0].type == "model_interaction" }.map(UInt64.init))
        let t0 = records[1234].time!, t1 = records[4321].time!
        #expect(try readAll(store.directory, RecordFilter(since: t0, until: t1)).map(\.0) == Array(1234..<4321))
        // tail -n: the last records, oldest first.
        var last: [UInt64] = []
        try StoreReader(directory: store.directory).last(2500) { r in last.append(r.sequence); return true }
        #expect(last == Array(3500..<6000))
        var lastOfRun: [UInt64] = []
        try StoreReader(directory: store.directory).last(7, RecordFilter(runKey: "run-42")) { r in lastOfRun.append(r.sequence); return true }
        #expect(lastOfRun == Array(records.indices.filter { records[$0].run == "run-42" }.suffix(7).map(UInt64.init)))
        // A live reader lagging behind the seals reads them in sequence order.
        let live = try LiveReader(directory: store.directory, from: StorePosition(segment: 0, offset: 32, sequence: 0))
        var followed: [UInt64] = []
        while try live.readAvailable(limit: 1000, { followed.append($0.sequence) }) > 0 {}
        #expect(followed == Array(0..<6000))
        let from = try LiveReader(directory: store.directory, from: StorePosition(segment: 0, offset: 32, sequence: 0))
        _ = try from.readAvailable(limit: 2345) { _ in }
        #expect(from.nextSequence == 2345)
    }

    @Test func compactionRewritesClusteredSegmentsKeepingSequenceOrder() throws {
        let records = Self.interleaved(5_000, runs: 200)
        let store = try Self.walStore(records, segmentSize: 128 << 10)
        try Self.seal(store)
        let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
        let compactor = Compactor(writer: w)
        _ = try compactor.dropRun("run-7")
        var kept = records.indices.filter { records[$0].run != "run-7" }
        #expect(try readAll(store.directory).map(\.0) == kept.map(UInt64.init))
        let r = try compactor.merge(targetBytes: 1 << 30)
        #expect(r.segmentsRewritten == 1)
        #expect(try readAll(store.directory).map(\.1) == kept.map { records[$0].payload })
        _ = try compactor.removeRecords(olderThan: records[2000].time!)
        kept = kept.filter { $0 >= 2000 || records[$0].time == nil }
        #expect(try readAll(store.directory).map(\.0) == kept.map(UInt64.init))
        try w.close()
        #expect(try Self.sealedSegments(store.directory).allSatisfy { $0.version == 3 })
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
    }

    @Test func aStoreHoldsVersion2AndVersion3SegmentsTogether() throws {
        let store = TemporaryStore("mixed")
        let v2 = FixtureV3Tests.repo.appendingPathComponent("Fixtures/v2/store").path
        for name in try FileManager.default.contentsOfDirectory(atPath: v2) {
            try FileManager.default.copyItem(atPath: v2 + "/" + name, toPath: store.directory.file(name))
        }
        let v2Export = readFile(FixtureV3Tests.repo.appendingPathComponent("Fixtures/v2/expected-export.jsonl").path)
        // More records, some of the v2 fixture's runs among many new ones, then sealed (as version 3).
        var more = Self.interleaved(3_000, runs: 400)
        for i in stride(from: 3, to: more.count, by: 50) {
            more[i].run = "run-v2-1"
            more[i].payload = "{\"i\":\(i),\"run_id\":\"run-v2-1\",\"late\":true}"
        }
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: 200 << 10, durability: .never))
        try TemporaryStore.append(w, more)
        try w.sealAll()
        try w.close()
        let versions = try Self.sealedSegments(store.directory).map(\.version)
        #expect(versions.prefix(4) == [2, 2, 2, 2] && versions.count > 5 && versions.dropFirst(4).allSatisfy { $0 == 3 })
        let expected = v2Export + Array(more.map(\.payload).joined(separator: "\n").utf8) + [0x0A]
        #expect(try exportBytes(store.directory) == expected)
        var run: [UInt64] = []
        try StoreReader(directory: store.directory).forEach(RecordFilter(runKey: "run-v2-1")) { r in run.append(r.sequence); return true }
        let late = more.indices.filter { more[$0].run == "run-v2-1" }.map { UInt64(52 + $0) }
        #expect(run == [13, 17, 25, 29, 33, 37, 45, 49] + late, "a run across both versions, in sequence order")
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
        let stats = try StoreStatistics(StoreReader(directory: store.directory))
        #expect(stats.records == 52 + more.count)
        // Merging rewrites version 2 segments as version 3, records unchanged.
        let w2 = try LogWriter(directory: store.directory, options: .init(durability: .never))
        _ = try Compactor(writer: w2).merge(targetBytes: 1 << 30)
        try w2.close()
        #expect(try Self.sealedSegments(store.directory).allSatisfy { $0.version == 3 })
        #expect(try exportBytes(store.directory) == expected)
    }

    /// One sealed segment with a few groups, and where each part of its index is.
    private func damageableStore() throws -> (TemporaryStore, SealedSegment, [UInt8]) {
        let store = try Self.walStore(Self.interleaved(3_000, runs: 100), segmentSize: 1 << 20)
        try Self.seal(store, layout: SealLayout(groupBytes: 128 << 10, runBlockMinimum: 8, runBlockBytes: 16 << 10,
                                                sharedBlockBytes: 8 << 10, runPageBytes: 128))
        let seg = try #require(try store.directory.segments().first { $0.kind == .sealed })
        let s = try SealedSegment(path: seg.path, base: seg.base)
        #expect(s.groups.count > 2 && s.index.pages.count > 2)
        return (store, s, readFile(seg.path))
    }

    /// Flips a byte at `at`, expects `read` to throw a corruption error naming the segment at `offset`, and verify to report it there.
    private func expectDamage(_ store: TemporaryStore, _ s: SealedSegment, _ original: [UInt8], at: Int, offset: Int64,
                              _ what: String, read: () throws -> Void) throws {
        var damaged = original
        damaged[at] ^= 0x10
        writeFile(s.path, damaged)
        defer { writeFile(s.path, original) }
        do {
            try read()
            Issue.record("\(what): a flipped byte at \(at) was not noticed")
        } catch let e as StoreError {
            #expect(e.kind == .corruption, "\(what): \(e)")
            #expect(e.path == s.path, "\(what): \(e)")
            #expect(e.offset == offset, "\(what): \(e)")
        }
        let report = try StoreVerifier(directory: store.directory).run()
        #expect(report.problems.contains { $0.isDamage && $0.path == s.path && $0.offset == offset }, "\(what): \(report.problems)")
    }

    @Test func damageInAVersion3SegmentIsReportedWithTheSegmentAndTheOffset() throws {
        let (store, s, original) = try damageableStore()
        let blocks = try s.allBlocks()
        let key = Array("run-42".utf8)
        let runBlock = try s.blocks(ofRun: key)[1]
        let b = blocks[runBlock]
        // A block's data frame: replay of its run, and export.
        try expectDamage(store, s, original, at: Int(b.offset) + Int(b.dataLength) / 2, offset: Int64(b.offset), "data frame") {
            _ = try readAll(store.directory, RecordFilter(runKey: "run-42"))
        }
        try expectDamage(store, s, original, at: Int(b.offset) + Int(b.dataLength) + 14, offset: Int64(b.offset), "keys frame") {
            _ = try readAll(store.directory)
        }
        // The block's entry in the block table.
        let entry = Int(s.index.blockTableOffset) + 64 * runBlock
        try expectDamage(store, s, original, at: entry + 21, offset: Int64(entry), "block entry") {
            _ = try readAll(store.directory, RecordFilter(runKey: "run-42"))
        }
        // The run page holding the run.
        let p = try #require(RunPage.locate(key, in: s.index.pages))
        let page = s.index.pages[p]
        try expectDamage(store, s, original, at: Int(page.offset) + Int(page.length) / 2, offset: Int64(page.offset), "run page") {
            _ = try readAll(store.directory, RecordFilter(runKey: "run-42"))
        }
        // A page no replay of run-42 reads: a whole read checks it.
        let other = p == 0 ? s.index.pages.count - 1 : 0
        let otherPage = s.index.pages[other]
        try expectDamage(store, s, original, at: Int(otherPage.offset) + 2, offset: Int64(otherPage.offset), "another run page") {
            _ = try readAll(store.directory)
        }
        // The index head.
        let head = original.count - SealedFormat.trailerSize - 30
        let headOffset = Int64(original.count - SealedFormat.trailerSize) - Int64(s.index.encodedHead().count)
        try expectDamage(store, s, original, at: head, offset: headOffset, "index head") {
            _ = try readAll(store.directory, RecordFilter(runKey: "run-42"))
        }
        #expect(try StoreVerifier(directory: store.directory).run().problems.isEmpty)
    }

    @Test func aPythonReaderWrittenFromFormatMdReadsAnInterleavedVersion3Store() throws {
        let check = try Child.run(executable: "/usr/bin/env", ["python3", "-c", "import lz4.frame"])
        guard check.succeeded else {
            Issue.record("skipped: needs python3 with the `lz4` package (pip install lz4; `make test` installs it)")
            return
        }
        let store = try Self.walStore(Self.interleaved(8_000, runs: 500), segmentSize: 512 << 10)
        try Self.seal(store, layout: SealLayout(groupBytes: 256 << 10, runBlockMinimum: 16, runBlockBytes: 32 << 10,
                                                sharedBlockBytes: 16 << 10, runPageBytes: 512))
        let script = FixtureV3Tests.repo.appendingPathComponent("Tests/Python/torqlog_reader.py").path
        let python = try Child.run(executable: "/usr/bin/env", ["python3", script, store.path], timeout: 300)
        #expect(python.succeeded, "\(python.summary)")
        #expect([UInt8](python.stdout) == (try exportBytes(store.directory)))
    }
}
