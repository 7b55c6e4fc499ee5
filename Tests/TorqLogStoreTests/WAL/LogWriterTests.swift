import Foundation
import Synchronization
import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite struct LogWriterTests {
    @Test func appendsAreReadBackInOrderAcrossRolloversAndReopens() throws {
        let store = TemporaryStore()
        let records = sampleRecords(500, payloadSize: 200)
        do {
            let w = try LogWriter(directory: store.directory, options: .init(segmentSize: 8 << 10, durability: .never, sealClosedSegments: false))
            try TemporaryStore.append(w, Array(records[0..<250]))
            try w.close()
        }
        do {
            let w = try LogWriter(directory: store.directory, options: .init(segmentSize: 8 << 10, durability: .always, sealClosedSegments: false))
            #expect(w.nextSequence == 250)
            #expect(w.recovery.bytesDropped == 0)
            for r in records[250...] { try TemporaryStore.append(w, [r]) }
            try w.close()
        }
        let segments = try store.segments()
        #expect(segments.count > 10)
        for s in segments { #expect(Filesystem.fileSize(s)! <= 8 << 10) }
        let got = try readAll(store.directory)
        #expect(got.map(\.0) == Array(0..<500))
        #expect(got.map(\.1) == records.map(\.payload))
        // Segment names are the first sequence they hold.
        for seg in try store.directory.walSegments() {
            let first = try StoreReader(directory: store.directory).locate(RecordFilter()).first { $0.segment == seg.base }
            #expect(first?.sequence == seg.base)
        }
        #expect(try StoreVerifier(directory: store.directory).run().isDamaged == false)
    }

    @Test func filesAndDirectoriesArePrivate() throws {
        let store = TemporaryStore()
        let dir = store.path + "/nested/store"
        let w = try LogWriter(directory: StoreDirectory(dir))
        try TemporaryStore.append(w, sampleRecords(3))
        try w.close()
        var st = stat()
        #expect(stat(dir, &st) == 0 && st.st_mode & 0o777 == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            #expect(stat(dir + "/" + name, &st) == 0 && st.st_mode & 0o777 == 0o600, "\(name)")
        }
    }

    @Test func aSecondWriterIsRefusedWithTheHoldersPid() throws {
        let store = TemporaryStore()
        let first = try LogWriter(directory: store.directory)
        do {
            _ = try LogWriter(directory: store.directory)
            Issue.record("second writer was allowed")
        } catch let e as StoreError {
            #expect(e.kind == .locked)
            #expect(e.description.contains("pid \(getpid())"))
        }
        try first.close()
    }

    @Test func concurrentAppendersGetContiguousSequencesAndShareSyncs() throws {
        let store = TemporaryStore()
        let syncs = Mutex(0)
        let w = try LogWriter(directory: store.directory, options: .init(durability: .always, onDurable: { _ in
            syncs.withLock { $0 += 1 }
        }))
        let threads = 8, perThread = 200
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                var batch = RecordBatch()
                try! batch.append(payload: Array("{\"t\":\(t),\"i\":\(i)}".utf8), runKey: "t\(t)")
                _ = try! w.append(&batch)
            }
        }
        try w.close()
        let got = try readAll(store.directory)
        #expect(got.map(\.0) == Array(0..<UInt64(threads * perThread)))
        // Each thread's records are in its own order.
        for t in 0..<threads {
            let mine = got.filter { $0.1.hasPrefix("{\"t\":\(t),") }.map(\.1)
            #expect(mine == (0..<perThread).map { "{\"t\":\(t),\"i\":\($0)}" })
        }
        #expect(w.durableSequence == UInt64(threads * perThread))
        // Group commit: fewer fdatasyncs than appends (concurrent appenders shared them).
        let n = syncs.withLock { $0 }
        #expect(n <= threads * perThread)
    }

    @Test func batchPolicySyncsInTheBackgroundAndOnClose() throws {
        let store = TemporaryStore()
        let durable = Mutex<UInt64>(0)
        let w = try LogWriter(directory: store.directory, options: .init(durability: .batch(intervalMilliseconds: 20),
                                                                        onDurable: { n in durable.withLock { $0 = n } }))
        try TemporaryStore.append(w, sampleRecords(10))
        let deadline = Date().addingTimeInterval(5)
        while durable.withLock({ $0 }) < 10 && Date() < deadline { usleep(5_000) }
        #expect(durable.withLock { $0 } == 10)
        try TemporaryStore.append(w, sampleRecords(5))
        try w.close()
        #expect(durable.withLock { $0 } == 15)
        var batch = RecordBatch()
        try batch.append(payload: Array("{}".utf8))
        #expect(throws: StoreError.self) { try w.append(&batch) }
    }

    @Test func tornTailsAreTruncatedToTheLastWholeFrame() throws {
        let store = TemporaryStore()
        let records = sampleRecords(6, payloadSize: 90)
        do {
            let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
            try TemporaryStore.append(w, records)
            try w.close()
        }
        let segment = try store.segments()[0]
        let original = readFile(segment)
        let ends = try StoreReader(directory: store.directory).locate(RecordFilter()).map { $0.offset }
        // Truncate at every byte offset of the last three frames.
        let from = Int(ends[3])
        for cut in from...original.count {
            let copy = TemporaryStore("torn")
            writeFile(copy.path + "/" + SegmentName.wal(0), Array(original[0..<cut]))
            chmod(copy.path + "/" + SegmentName.wal(0), 0o600)
            let frameEnds = ends.dropFirst().map(Int.init) + [original.count]
            let complete = frameEnds.filter { $0 <= cut }.count
            let lastEnd = complete == 0 ? 32 : frameEnds[complete - 1]
            // Readers see the complete frames only, without error.
            #expect(try readAll(copy.directory).count == complete, "cut \(cut)")
            let w = try LogWriter(directory: copy.directory, options: .init(durability: .always))
            #expect(w.recovery.bytesDropped == Int64(cut - lastEnd), "cut \(cut)")
            #expect(w.nextSequence == UInt64(complete))
            try TemporaryStore.append(w, [(payload: "{\"after\":true}", run: nil, type: nil, time: nil)])
            try w.close()
            let got = try readAll(copy.directory)
            #expect(got.count == complete + 1)
            #expect(got.last?.1 == "{\"after\":true}")
            #expect(try StoreVerifier(directory: copy.directory).run().isDamaged == false)
        }
    }

    @Test func aZeroFilledTailIsDroppedButCorruptionIsRefused() throws {
        let store = TemporaryStore()
        do {
            let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
            try TemporaryStore.append(w, sampleRecords(4))
            try w.close()
        }
        let segment = try store.segments()[0]
        let original = readFile(segment)
        writeFile(segment, original + [UInt8](repeating: 0, count: 4096))
        do {
            let w = try LogWriter(directory: store.directory)
            #expect(w.recovery.bytesDropped == 4096)
            #expect(w.nextSequence == 4)
            try w.close()
        }
        // A flipped bit in the middle is corruption: the writer refuses and names the place.
        var damaged = original
        damaged[40] ^= 0x10
        writeFile(segment, damaged)
        do {
            _ = try LogWriter(directory: store.directory)
            Issue.record("opened a corrupt store for writing")
        } catch let e as StoreError {
            #expect(e.kind == .corruption)
            #expect(e.path == segment)
            #expect(e.offset == 32)
        }
        #expect(readFile(segment) == damaged, "the writer must not modify corrupt data")
    }
}
