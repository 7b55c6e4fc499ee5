import CTorqSupport
import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite struct FormatTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // 32 zero bytes: RFC 3720 B.4 test vector.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test("the three-stream CRC-32C and the one-stream one agree with the table, at every length and offset around the block sizes")
    func crc32cMethodsAgree() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let bytes = (0..<40_000).map { _ in UInt8(truncatingIfNeeded: next()) }
        // Below, at and above 3 × 128 and 3 × 2048, plus random ones.
        var lengths = Array(0..<70) + Array(370..<400) + Array(6130..<6160) + [12_288, 12_289, 30_000, 39_990]
        lengths += (0..<200).map { _ in Int(next() % 39_000) }
        bytes.withUnsafeBytes { raw in
            for length in lengths {
                let offset = Int(next() % 9)
                let start = UInt32(truncatingIfNeeded: next())
                let p = raw.baseAddress! + offset
                let table = tq_crc32c_extend_using(0, start, p, length)
                #expect(tq_crc32c_extend_using(1, start, p, length) == table, "one stream, \(length) bytes at +\(offset)")
                #expect(tq_crc32c_extend_using(2, start, p, length) == table, "three streams, \(length) bytes at +\(offset)")
                #expect(tq_crc32c_extend(start, p, length) == table)
            }
        }
    }

    @Test func crcIsIncremental() {
        let bytes = Array("the quick brown fox jumps over the lazy dog".utf8)
        let whole = CRC32C.checksum(bytes)
        let part = bytes.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[17...]),
                            continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<17])))
        }
        #expect(whole == part)
    }

    @Test func segmentHeaderRoundTripsAndRejectsDamage() throws {
        let bytes = SegmentHeader(baseSequence: 42).encoded()
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<8]) == Array("TQLGWAL\n".utf8))
        let decoded = try bytes.withUnsafeBytes { try SegmentHeader.decode($0).get() }
        #expect(decoded.baseSequence == 42)
        for bit in 0..<(32 * 8) {
            var damaged = bytes
            damaged[bit / 8] ^= UInt8(1 << (bit % 8))
            let result = damaged.withUnsafeBytes { SegmentHeader.decode($0) }
            if case .success = result { Issue.record("bit \(bit) flip not detected") }
        }
    }

    @Test func segmentNamesAreTwentyDigits() {
        #expect(SegmentName.wal(0) == "00000000000000000000.wal")
        #expect(SegmentName.wal(12345) == "00000000000000012345.wal")
        #expect(SegmentName.parseWAL("00000000000000012345.wal") == 12345)
        #expect(SegmentName.parseWAL("0000000000000001234.wal") == nil)
        #expect(SegmentName.parseWAL("0000000000000001234x.wal") == nil)
        #expect(SegmentName.parseWAL("00000000000000012345.wal.tmp") == nil)
    }

    @Test func frameLayoutIsAsDocumented() throws {
        var batch = RecordBatch()
        try batch.append(payload: Array("{\"a\":1}".utf8), runKey: "r1", type: "t", time: 7)
        batch.stamp(firstSequence: 9)
        let b = batch.bytes
        #expect(b.count == 32 + 2 + 1 + 7)
        b.withUnsafeBytes { raw in
            let h = FrameHeader(loadingFrom: raw.baseAddress!)
            #expect(h.payloadLength == 7)
            #expect(h.runLength == 2)
            #expect(h.typeLength == 1)
            #expect(h.flags == [.hasRun, .hasType, .hasTime])
            #expect(h.sequence == 9)
            #expect(h.time == 7)
            #expect(FrameHeader.headerChecksumMatches(raw.baseAddress!))
            #expect(h.crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[4...])))
        }
        #expect(Array(b[32..<34]) == Array("r1".utf8))
        #expect(Array(b[35...]) == Array("{\"a\":1}".utf8))
    }

    @Test func batchRejectsWhatAFrameCannotHold() {
        var batch = RecordBatch()
        #expect(throws: StoreError.self) { try batch.append(payload: [UInt8]()) }
        #expect(throws: StoreError.self) { try batch.append(payload: Array("{\"a\":\n1}".utf8)) }
        #expect(throws: StoreError.self) {
            try batch.append(payload: [UInt8](repeating: 0x20, count: FrameHeader.maxPayloadLength + 1))
        }
        #expect(batch.isEmpty)
    }

    @Test func overlongKeysAreFlaggedNotStored() throws {
        var batch = RecordBatch()
        try batch.append(payload: Array("{}".utf8), runKey: String(repeating: "r", count: 70_000),
                         type: String(repeating: "t", count: 300))
        batch.bytes.withUnsafeBytes { raw in
            let h = FrameHeader(loadingFrom: raw.baseAddress!)
            #expect(h.flags == [.runTooLong, .typeTooLong])
            #expect(h.runLength == 0 && h.typeLength == 0)
        }
    }
}
