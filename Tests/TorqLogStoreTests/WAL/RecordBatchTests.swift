import Testing
import TorqTestSupport
@testable import TorqLogStore

@Suite("Record batch")
struct RecordBatchTests {
    /// Every record of `batch` as (payload, run, type, time).
    func records(_ batch: RecordBatch) -> [[String?]] {
        var all: [[String?]] = []
        batch.forEachRecord { payload, run, type, time in
            all.append([String(decoding: payload, as: UTF8.self), run.map { String(decoding: $0, as: UTF8.self) },
                        type.map { String(decoding: $0, as: UTF8.self) }, time.map { "\($0)" }])
        }
        return all
    }

    @Test("a payload written in place makes the same frames as one copied in, and forEachRecord gives back what was added")
    func writtenInPlace() throws {
        var copied = RecordBatch(), written = RecordBatch()
        let cases: [(String, String?, String?, Int64?)] = [(#"{"a":1}"#, "run-1", "tool", 5), (#"{"b":2}"#, nil, "x", nil),
                                                          (#"{"c":3}"#, "r", nil, -7), (#"{}"#, String(repeating: "k", count: 70_000), "t", 1)]
        for (payload, run, type, time) in cases {
            try copied.append(payload: Array(payload.utf8), runKey: run, type: type, time: time)
            var r = run.map { Array($0.utf8) }, t = type.map { Array($0.utf8) }
            try withOptionalBytes(&r) { rb in
                try withOptionalBytes(&t) { tb in
                    try written.append(runKey: rb, type: tb, time: time) { $0.append(contentsOf: Array(payload.utf8)) }
                }
            }
        }
        #expect(written.bytes == copied.bytes && written.frameStarts == copied.frameStarts)
        #expect(written.payloadByteCount == copied.payloadByteCount)
        let got = records(written)
        #expect(got[0] == [#"{"a":1}"#, "run-1", "tool", "5"])
        #expect(got[1] == [#"{"b":2}"#, nil, "x", nil])
        #expect(got[3][1] == nil, "a run key over 65,535 bytes is flagged, not stored")
    }

    @Test("a payload written in place that is refused leaves nothing of its record", arguments: ["", "a\nb", "big"])
    func refusedInPlace(_ kind: String) throws {
        var batch = RecordBatch()
        try batch.append(payload: Array(#"{"keep":1}"#.utf8), runKey: "r", type: "t", time: 1)
        let before = (batch.bytes, batch.frameStarts, batch.payloadByteCount)
        #expect(throws: StoreError.self) {
            try batch.append(runKey: nil, type: nil, time: 2) { out in
                if kind == "big" { out.append(contentsOf: [UInt8](repeating: 0x61, count: FrameHeader.maxPayloadLength + 1)) } else { out.append(contentsOf: Array(kind.utf8)) }
            }
        }
        #expect(batch.bytes == before.0 && batch.frameStarts == before.1 && batch.payloadByteCount == before.2)
    }

    @Test("the last payload can be replaced; a refused replacement removes that record only")
    func replaceLast() throws {
        var batch = RecordBatch()
        try batch.append(payload: Array(#"{"a":1}"#.utf8), runKey: "r", type: "t", time: 1)
        try batch.append(payload: Array(#"{"b":"secret"}"#.utf8), runKey: "r", type: "t", time: 2)
        try Array(#"{"b":"[REDACTED:EMAIL]"}"#.utf8).withUnsafeBytes { try batch.replaceLastPayload(with: $0) }
        var expected = RecordBatch()
        try expected.append(payload: Array(#"{"a":1}"#.utf8), runKey: "r", type: "t", time: 1)
        try expected.append(payload: Array(#"{"b":"[REDACTED:EMAIL]"}"#.utf8), runKey: "r", type: "t", time: 2)
        #expect(batch.bytes == expected.bytes && batch.payloadByteCount == expected.payloadByteCount)
        #expect(batch.withLastPayload { String(decoding: $0, as: UTF8.self) } == #"{"b":"[REDACTED:EMAIL]"}"#)
        #expect(throws: StoreError.self) { try Array("x\ny".utf8).withUnsafeBytes { try batch.replaceLastPayload(with: $0) } }
        #expect(records(batch) == [[#"{"a":1}"#, "r", "t", "1"]])
        #expect(batch.payloadByteCount == 7)
    }
}

private func withOptionalBytes<R>(_ bytes: inout [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    if let b = bytes { return try b.withUnsafeBytes { try body($0) } }
    return try body(nil)
}
