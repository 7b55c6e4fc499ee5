import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// Flips bits in real segment files and checks that `verify` and the readers
/// report each one, at the right place, without crashing.
@Suite struct CorruptionTests {
    /// A store with one closed segment and an active one; returns the closed segment's bytes and frame offsets.
    private func makeStore(records: Int, payloadSize: Int, segmentSize: Int) throws -> (TemporaryStore, String, [Int64]) {
        let store = TemporaryStore("corrupt")
        let w = try LogWriter(directory: store.directory, options: .init(segmentSize: segmentSize, durability: .never, sealClosedSegments: false))
        try TemporaryStore.append(w, sampleRecords(records, payloadSize: payloadSize))
        try w.close()
        let first = try store.segments()[0]
        let offsets = try StoreReader(directory: store.directory).locate(RecordFilter()).filter { $0.segment == 0 }.map(\.offset)
        return (store, first, offsets)
    }

    private func frameContaining(_ byte: Int, _ offsets: [Int64]) -> Int64 {
        offsets.last { $0 <= Int64(byte) } ?? 0
    }

    @Test func everyBitOfEverySmallSegmentFrameIsDetected() throws {
        // 5 frames in the first (closed) segment, more in the second.
        let (store, segment, offsets) = try makeStore(records: 8, payloadSize: 70, segmentSize: 32 + 5 * 110)
        #expect(try store.segments().count == 2)
        let original = readFile(segment)
        var detected = 0
        for byte in 0..<original.count {
            for bit in 0..<8 {
                var damaged = original
                damaged[byte] ^= UInt8(1 << bit)
                writeFile(segment, damaged)
                let report = try StoreVerifier(directory: store.directory).run()
                let expectedOffset: Int64 = byte < 32 ? 0 : frameContaining(byte, offsets)
                let problem = report.problems.first { $0.path == segment && $0.isDamage }
                #expect(problem?.offset == expectedOffset, "byte \(byte) bit \(bit): \(report.problems)")
                do {
                    _ = try readAll(store.directory)
                    Issue.record("reader accepted a flipped bit at byte \(byte)")
                } catch let e as StoreError {
                    #expect(e.kind == .corruption)
                    #expect(e.path == segment)
                    #expect(e.offset == expectedOffset, "byte \(byte) bit \(bit): \(e)")
                }
                detected += 1
            }
        }
        writeFile(segment, original)
        #expect(try StoreVerifier(directory: store.directory).run().isDamaged == false)
        #expect(detected == original.count * 8)
    }

    @Test func bitFlipsInTheActiveSegmentAreCorruptionNotTornTails() throws {
        let store = TemporaryStore("active")
        let w = try LogWriter(directory: store.directory, options: .init(durability: .never))
        try TemporaryStore.append(w, sampleRecords(4, payloadSize: 64))
        try w.close()
        let segment = try store.segments()[0]
        let original = readFile(segment)
        let offsets = try StoreReader(directory: store.directory).locate(RecordFilter()).map(\.offset)
        // Every bit of the last frame: it is whole, so damage there is corruption, never "torn".
        for byte in Int(offsets.last!)..<original.count {
            for bit in 0..<8 {
                var damaged = original
                damaged[byte] ^= UInt8(1 << bit)
                writeFile(segment, damaged)
                let report = try StoreVerifier(directory: store.directory).run()
                #expect(report.isDamaged, "byte \(byte) bit \(bit)")
                #expect(throws: StoreError.self) { try readAll(store.directory) }
                #expect(throws: StoreError.self) { try LogWriter(directory: store.directory) }
            }
        }
    }

    @Test func randomFlipsInALargerSegmentAreReportedAndVerifyResynchronises() throws {
        let (store, segment, offsets) = try makeStore(records: 3000, payloadSize: 300, segmentSize: 512 << 10)
        let original = readFile(segment)
        var rng = SystemRandomNumberGenerator()
        for attempt in 0..<200 {
            var damaged = original
            // The first flip hits the closed segment's last frame: damage to its end, and no spurious gap after it.
            let byte = attempt == 0 ? Int(offsets.last! + 40) : Int.random(in: 32..<original.count, using: &rng)
            damaged[byte] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            writeFile(segment, damaged)
            let report = try StoreVerifier(directory: store.directory).run()
            let frame = frameContaining(byte, offsets)
            let problems = report.problems.filter(\.isDamage)
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.offset == frame)
            // Verify resumed at the next frame: exactly one record is lost from the count.
            #expect(report.records == 3000 - 1)
        }
        writeFile(segment, original)
    }

    @Test func garbageFilesNeverCrashTheReaders() throws {
        let store = TemporaryStore("garbage")
        var rng = SystemRandomNumberGenerator()
        for size in [0, 1, 31, 32, 33, 64, 1000, 70_000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            writeFile(store.path + "/" + SegmentName.wal(0), bytes)
            let report = try StoreVerifier(directory: store.directory).run()
            #expect(report.isDamaged)
            #expect(throws: StoreError.self) { try readAll(store.directory) }
            // A valid header followed by garbage.
            writeFile(store.path + "/" + SegmentName.wal(0), SegmentHeader(baseSequence: 0).encoded() + bytes)
            let r2 = try StoreVerifier(directory: store.directory).run()
            if size >= 32 { #expect(r2.problems.count >= 1) }
            _ = try? readAll(store.directory)
            _ = try? StoreStatistics(StoreReader(directory: store.directory))
        }
    }

    @Test func aMissingSegmentIsReported() throws {
        let (store, _, _) = try makeStore(records: 40, payloadSize: 100, segmentSize: 1024)
        let segments = try store.segments()
        #expect(segments.count >= 3)
        try FileManager.default.removeItem(atPath: segments[1])
        let report = try StoreVerifier(directory: store.directory).run()
        #expect(report.isDamaged)
        #expect(report.problems.contains { $0.path == segments[2] && $0.reason.contains("missing") })
    }
}
