#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
import TorqOTLPProto
@testable import TorqServer

/// `bytes` as hex digits, written here independently of the code under test.
func hex(_ bytes: [UInt8], uppercase: Bool) -> String {
    let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
}

/// A deterministic byte generator (SplitMix64), so that a failure can be replayed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

private func traces(_ json: String) throws(RequestError) -> OTLPBodyDecoder.TraceRequest {
    try OTLPBodyDecoder.decodeTraces(body: Array(json.utf8), contentType: "application/json", contentEncoding: nil, maxDecodedBytes: 1 << 20)
}

private func spanJSON(traceID: String, spanID: String) -> String {
    #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"\#(traceID)","spanId":"\#(spanID)","name":"s"}]}]}]}"#
}

@Suite struct JSONHexIDsTests {
    /// The claim the conversion rests on, checked through SwiftProtobuf's own
    /// decoder: hex ids of every byte value, in either case, come out as their bytes.
    @Test func hexIdsOfAnyBytesInEitherCaseDecodeToThoseBytes() throws {
        var random = SplitMix(state: 42)
        var cases: [([UInt8], [UInt8])] = [
            ([UInt8](repeating: 0, count: 16), [UInt8](repeating: 0, count: 8)),
            ([UInt8](repeating: 0xFF, count: 16), [UInt8](repeating: 0xFF, count: 8)),
            ((0..<16).map { UInt8($0 * 17) }, (0..<8).map { UInt8(0xF0 - $0 * 16) }),
        ]
        for _ in 0..<300 { cases.append((random.bytes(16), random.bytes(8))) }
        for (trace, span) in cases {
            for uppercase in [false, true] {
                let request = try traces(spanJSON(traceID: hex(trace, uppercase: uppercase), spanID: hex(span, uppercase: uppercase)))
                let decoded = request.resourceSpans[0].scopeSpans[0].spans[0]
                #expect(Array(decoded.traceID) == trace, "\(hex(trace, uppercase: uppercase))")
                #expect(Array(decoded.spanID) == span, "\(hex(span, uppercase: uppercase))")
            }
        }
    }

    @Test func base64IdsOfTheRightSizeAndEmptyIdsAreLeftAsTheyAre() throws {
        let trace = Array(0..<16 as Range<UInt8>)
        let span = Array(0..<8 as Range<UInt8>)
        let request = try traces(spanJSON(traceID: Data(trace).base64EncodedString(), spanID: Data(span).base64EncodedString()))
        #expect(Array(request.resourceSpans[0].scopeSpans[0].spans[0].traceID) == trace)
        #expect(Array(request.resourceSpans[0].scopeSpans[0].spans[0].spanID) == span)
        let empty = try traces(spanJSON(traceID: "", spanID: ""))
        #expect(empty.resourceSpans[0].scopeSpans[0].spans[0].traceID.isEmpty)
    }

    @Test func anIdOfAnotherLengthIsRefusedNamingTheFieldAndItsPosition() {
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[0].traceId: 10 characters, expected 32 hex digits")) {
            try traces(spanJSON(traceID: "0123456789", spanID: ""))
        }
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[0].spanId: 32 characters, expected 16 hex digits")) {
            try traces(spanJSON(traceID: "", spanID: String(repeating: "ab", count: 16)))
        }
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[0].spanId: 14 characters, expected 16 hex digits")) {
            try traces(spanJSON(traceID: "", spanID: "0123456789abcd"))
        }
    }

    @Test func anIdOfTheRightLengthThatIsNotHexIsRefused() {
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[0].traceId: 32 characters that are not all hex digits, expected 32 hex digits")) {
            try traces(spanJSON(traceID: String(repeating: "0123456789abcdeZ", count: 2), spanID: ""))
        }
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[0].spanId: 16 characters that are not all hex digits, expected 16 hex digits")) {
            try traces(spanJSON(traceID: "", spanID: "0123456789abcde_"))
        }
    }

    @Test func theErrorNamesALinkAndALaterSpan() {
        let json = #"""
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"},{"name":"b","links":[
              {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174"},
              {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7E"}]}]}]}]}
            """#
        #expect(throws: RequestError(.badRequest, "resourceSpans[0].scopeSpans[0].spans[1].links[1].spanId: 8 characters, expected 16 hex digits")) {
            try traces(json)
        }
    }

    @Test func base64LengthIsTheCharacterCountOfUnpaddedBase64() {
        for count in 0..<40 {
            #expect(JSONHexIDs.base64Length(count) == Data(count: count).base64EncodedString().filter { $0 != "=" }.count)
        }
    }
}
