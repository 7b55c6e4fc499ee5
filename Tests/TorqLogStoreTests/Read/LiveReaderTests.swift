import Foundation
import Synchronization
import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite struct LiveReaderTests {
    @Test func followsAWriterAcrossRollovers() throws {
        let store = TemporaryStore("live")
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: 4096, durability: .never))
        let start = try StoreReader(directory: store.directory).endPosition()
        let reader = try LiveReader(directory: store.directory, from: start)
        let records = sampleRecords(400, payloadSize: 150)
        // The writer thread's outcome: nil while running, then its error or none.
        let outcome = Mutex<Result<Void, StoreError>?>(nil)
        let writerThread = Thread {
            var result: Result<Void, StoreError> = .success(())
            do {
                for chunk in stride(from: 0, to: records.count, by: 37) {
                    try TemporaryStore.append(w, Array(records[chunk..<min(chunk + 37, records.count)]))
                    usleep(2_000)
                }
            } catch {
                result = .failure(error as? StoreError ?? StoreError(.io, "\(error)"))
            }
            outcome.withLock { $0 = result }
        }
        writerThread.start()
        var seen: [(UInt64, String)] = []
        let deadline = Date().addingTimeInterval(20)
        while seen.count < records.count && Date() < deadline {
            let n = try reader.readAvailable { r in seen.append((r.sequence, String(decoding: r.payload, as: UTF8.self))) }
            if n == 0 { reader.waitForChange(timeoutMilliseconds: 200) }
        }
        // Join the writer thread and check it appended everything without an error.
        while outcome.withLock({ $0 }) == nil && Date() < deadline { usleep(1_000) }
        let written = try #require(outcome.withLock { $0 }, "the writer thread did not finish")
        try written.get()
        try w.close()
        #expect(try store.directory.segments().count > 5)
        #expect(try store.directory.segments().contains { $0.kind == .sealed }, "closed segments were sealed while the reader followed")
        #expect(seen.map(\.0) == Array(0..<400))
        #expect(seen.map(\.1) == records.map(\.payload))
    }

    @Test func aPartialFrameAtTheTailIsNotYetNotCorruption() throws {
        let store = TemporaryStore("partial")
        do {
            let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
            try TemporaryStore.append(w, sampleRecords(3))
            try w.close()
        }
        let reader = try LiveReader(directory: store.directory,
                                    from: StorePosition(segment: 0, offset: 32, sequence: 0))
        // Simulate a writer in the middle of a write: half a frame at the end.
        var batch = RecordBatch()
        try batch.append(payload: Array("{\"late\":1}".utf8))
        batch.stamp(firstSequence: 3)
        let segment = try store.segments()[0]
        let fh = FileHandle(forWritingAtPath: segment)!
        fh.seekToEndOfFile()
        fh.write(Data(batch.bytes[0..<20]))
        var got = try reader.readAvailable { _ in }
        #expect(got == 3)
        got = try reader.readAvailable { _ in }
        #expect(got == 0)
        fh.write(Data(batch.bytes[20...]))
        fh.closeFile()
        var last = ""
        got = try reader.readAvailable { r in last = String(decoding: r.payload, as: UTF8.self) }
        #expect(got == 1)
        #expect(last == "{\"late\":1}")
    }
}
