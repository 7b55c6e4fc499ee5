#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftProtobuf
import Testing
import TorqOTLPProto
@testable import TorqServer

private let limit = 1 << 20

private func bytes(_ hexDigits: String) -> Data {
    let digits = Array(hexDigits.utf8)
    return Data(stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! })
}

private func decodeTraces(
    _ body: [UInt8], contentType: String? = "application/x-protobuf", contentEncoding: String? = nil, max: Int = limit
) throws(RequestError) -> OTLPBodyDecoder.TraceRequest {
    try OTLPBodyDecoder.decodeTraces(body: body, contentType: contentType, contentEncoding: contentEncoding, maxDecodedBytes: max)
}

private func decodeLogs(_ json: String) throws(RequestError) -> OTLPBodyDecoder.LogsRequest {
    try OTLPBodyDecoder.decodeLogs(body: Array(json.utf8), contentType: "application/json", contentEncoding: nil, maxDecodedBytes: limit)
}

private func status(_ body: () throws(RequestError) -> Void) -> RequestError.Status? {
    do {
        try body()
        return nil
    } catch {
        return error.status
    }
}

/// A request with two spans, a link, and an attribute of every common kind.
private func sampleTraces() -> OTLPBodyDecoder.TraceRequest {
    var resource = Opentelemetry_Proto_Resource_V1_Resource()
    resource.attributes = [.with { $0.key = "service.name"; $0.value.stringValue = "agent" }]
    var first = Opentelemetry_Proto_Trace_V1_Span()
    first.traceID = bytes("5b8efff798038103d269b633813fc60c")
    first.spanID = bytes("eee19b7ec3c1b174")
    first.name = "invoke_agent"
    first.kind = .server
    first.startTimeUnixNano = 1_544_712_660_000_000_000
    first.endTimeUnixNano = 1_544_712_661_000_000_000
    first.attributes = [
        .with { $0.key = "gen_ai.usage.input_tokens"; $0.value.intValue = 1234 },
        .with { $0.key = "blob"; $0.value.bytesValue = Data([0, 1, 2, 3, 4, 255]) },
    ]
    var second = first
    second.spanID = bytes("eee19b7ec3c1b175")
    second.parentSpanID = first.spanID
    second.name = "execute_tool"
    second.links = [.with { $0.traceID = bytes("0af7651916cd43dd8448eb211c80319c"); $0.spanID = bytes("b7ad6b7169203331") }]
    return .with {
        $0.resourceSpans = [.with {
            $0.resource = resource
            $0.scopeSpans = [.with { $0.scope.name = "torq"; $0.spans = [first, second] }]
        }]
    }
}

/// `sampleTraces()` as OTLP JSON, with its ids in the case given.
private func sampleTracesJSON(uppercase: Bool) -> String {
    let id = { (text: String) in uppercase ? text.uppercased() : text }
    return #"""
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}}]},
          "scopeSpans":[{"scope":{"name":"torq"},"spans":[
            {"traceId":"\#(id("5b8efff798038103d269b633813fc60c"))","spanId":"\#(id("eee19b7ec3c1b174"))",
             "name":"invoke_agent","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
             "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1234"}},{"key":"blob","value":{"bytesValue":"AAECAwT/"}}]},
            {"traceId":"\#(id("5b8efff798038103d269b633813fc60c"))","spanId":"\#(id("eee19b7ec3c1b175"))",
             "parentSpanId":"\#(id("eee19b7ec3c1b174"))",
             "name":"execute_tool","kind":"SPAN_KIND_SERVER","startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"1544712661000000000",
             "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":1234}},{"key":"blob","value":{"bytesValue":"AAECAwT/"}}],
             "links":[{"traceId":"\#(id("0af7651916cd43dd8448eb211c80319c"))","spanId":"\#(id("b7ad6b7169203331"))"}]}
          ]}]}]}
        """#
}

@Suite struct OTLPBodyDecoderTests {
    @Test func aProtobufBodyDecodesToTheMessageSent() throws {
        let request = sampleTraces()
        let body: [UInt8] = try request.serializedBytes()
        #expect(try decodeTraces(body) == request)
        #expect(try decodeTraces([]) == OTLPBodyDecoder.TraceRequest())
    }

    @Test(arguments: [false, true])
    func aJSONBodyDecodesHexIdsInEitherCaseAndBase64BytesValues(uppercase: Bool) throws {
        let decoded = try decodeTraces(Array(sampleTracesJSON(uppercase: uppercase).utf8), contentType: "application/json")
        #expect(decoded == sampleTraces())
        #expect(decoded.resourceSpans[0].scopeSpans[0].spans[1].attributes[1].value.bytesValue == Data([0, 1, 2, 3, 4, 255]))
    }

    @Test func logRecordIdsAreHexAndTheirBodyBytesStayBase64() throws {
        let request = try decodeLogs(#"""
            {"resourceLogs":[{"scopeLogs":[{"logRecords":[
              {"timeUnixNano":"1544712660300000000","traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
               "body":{"bytesValue":"AAECAwT/"}},
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","body":{"stringValue":"ok"}},
              {"body":{"stringValue":"no ids"}}]}]}]}
            """#)
        let records = request.resourceLogs[0].scopeLogs[0].logRecords
        for record in records.prefix(2) {
            #expect(record.traceID == bytes("5b8efff798038103d269b633813fc60c"))
            #expect(record.spanID == bytes("eee19b7ec3c1b174"))
        }
        #expect(records[0].body.bytesValue == Data([0, 1, 2, 3, 4, 255]))
        #expect(records[2].traceID.isEmpty && records[2].spanID.isEmpty)
        #expect(throws: RequestError(.badRequest, "resourceLogs[0].scopeLogs[0].logRecords[0].spanId: 15 characters, expected 16 hex digits")) {
            try decodeLogs(#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"EEE19B7EC3C1B17"}]}]}]}"#)
        }
    }

    @Test func unknownJSONFieldsAreIgnored() throws {
        let request = try decodeTraces(Array(#"""
            {"futureField":{"nested":[1,2,3]},"resourceSpans":[{"scopeSpans":[{"spans":[
              {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"s","newSpanField":"x"}]}]}]}
            """#.utf8), contentType: "application/json")
        #expect(request.resourceSpans[0].scopeSpans[0].spans[0].name == "s")
        #expect(request.resourceSpans[0].scopeSpans[0].spans[0].spanID == bytes("eee19b7ec3c1b174"))
    }

    @Test func unknownProtobufFieldsAreIgnored() throws {
        // Field 15, length-delimited, after a valid request: a field from a newer schema.
        let body: [UInt8] = try sampleTraces().serializedBytes() + [0x7A, 0x03, 0x61, 0x62, 0x63]
        #expect(try decodeTraces(body).resourceSpans == sampleTraces().resourceSpans)
    }

    @Test func invalidJSONIsRefusedWith400() {
        for text in [#"{"resourceSpans":["#, "not json", #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}"#] {
            #expect(status { () throws(RequestError) in _ = try decodeTraces(Array(text.utf8), contentType: "application/json") } == .badRequest, "\(text)")
        }
    }

    @Test func malformedProtobufIsRefusedWith400() throws {
        let valid: [UInt8] = try sampleTraces().serializedBytes()
        // A length-delimited field that claims more bytes than follow; a wire type that does not exist.
        for body in [[0x0A, 0x05, 0x01], [0x0F], Array(valid.dropLast(3))] {
            #expect(status { () throws(RequestError) in _ = try decodeTraces(body) } == .badRequest, "\(body.prefix(8))")
        }
    }

    @Test func aGzipBodyIsInflatedThenDecoded() throws {
        let protobuf: [UInt8] = try sampleTraces().serializedBytes()
        #expect(try decodeTraces(GzipSamples.gzip(protobuf), contentEncoding: "gzip") == sampleTraces())
        let json = Array(sampleTracesJSON(uppercase: true).utf8)
        #expect(try decodeTraces(GzipSamples.gzip(json), contentType: "application/json", contentEncoding: "x-gzip") == sampleTraces())
    }

    @Test func aTruncatedGzipBodyIsRefusedEvenWhenItInflatesToValidProtobuf() throws {
        let protobuf: [UInt8] = try sampleTraces().serializedBytes()
        let body = GzipSamples.gzip(protobuf)
        for length in 0..<body.count {
            #expect(status { () throws(RequestError) in _ = try decodeTraces(Array(body.prefix(length)), contentEncoding: "gzip") } == .badRequest,
                    "cut at \(length) of \(body.count)")
        }
    }

    @Test func aBodyOverTheLimitAsSentOrInflatedIsRefusedWith413() throws {
        let protobuf: [UInt8] = try sampleTraces().serializedBytes()
        #expect(status { () throws(RequestError) in _ = try decodeTraces(protobuf, max: protobuf.count - 1) } == .contentTooLarge)
        #expect(try decodeTraces(protobuf, max: protobuf.count) == sampleTraces())
        let gzipped = GzipSamples.gzip(protobuf)
        #expect(status { () throws(RequestError) in _ = try decodeTraces(gzipped, contentEncoding: "gzip", max: protobuf.count - 1) } == .contentTooLarge)
        #expect(try decodeTraces(gzipped, contentEncoding: "gzip", max: protobuf.count) == sampleTraces())
    }

    @Test func contentTypesAreMatchedWithoutCaseAndWithParameters() throws {
        #expect(try OTLPEncoding(contentType: "application/x-protobuf") == .protobuf)
        #expect(try OTLPEncoding(contentType: "Application/X-Protobuf") == .protobuf)
        #expect(try OTLPEncoding(contentType: "application/json") == .json)
        #expect(try OTLPEncoding(contentType: "APPLICATION/JSON ; charset=utf-8") == .json)
    }

    @Test func otherMediaTypesAreRefusedWith415() {
        for contentType in ["text/plain", "application/protobuf", "application/jsonl", "", nil] as [String?] {
            #expect(status { () throws(RequestError) in _ = try decodeTraces([], contentType: contentType) } == .unsupportedMediaType, "\(contentType ?? "nil")")
        }
        #expect(throws: RequestError(.unsupportedMediaType, "Content-Type \"text/plain\" is not supported: expected application/x-protobuf or application/json")) {
            try OTLPEncoding(contentType: "text/plain")
        }
    }

    @Test func contentEncodingsOtherThanGzipAndIdentityAreRefusedWith415NamingThem() throws {
        for coding in [nil, "", "identity", " Identity "] as [String?] {
            #expect(try ContentCoding(header: coding) == .identity)
        }
        for coding in ["gzip", "GZIP", "x-gzip"] {
            #expect(try ContentCoding(header: coding) == .gzip)
        }
        for coding in ["br", "deflate", "zstd", "gzip, br"] {
            #expect(throws: RequestError(.unsupportedMediaType, "Content-Encoding \"\(coding)\" is not supported: expected gzip or none")) {
                try decodeTraces([], contentEncoding: coding)
            }
        }
    }

    @Test func aResponseCarriesPartialSuccessOnlyWhenSomethingWasRejectedOrSaid() throws {
        let full = OTLPBodyDecoder.encodeTracesResponse(rejected: 0, message: "", as: .protobuf)
        #expect(full.bytes.isEmpty && full.contentType == "application/x-protobuf")
        let fullJSON = OTLPBodyDecoder.encodeTracesResponse(rejected: 0, message: "", as: .json)
        #expect(String(decoding: fullJSON.bytes, as: UTF8.self) == "{}" && fullJSON.contentType == "application/json")

        for encoding in [OTLPEncoding.protobuf, .json] {
            let traces = OTLPBodyDecoder.encodeTracesResponse(rejected: 3, message: "3 spans without a trace id", as: encoding)
            let traceResponse = try encoding == .json
                ? Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(jsonUTF8Bytes: traces.bytes)
                : Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(serializedBytes: traces.bytes)
            #expect(traceResponse.partialSuccess.rejectedSpans == 3)
            #expect(traceResponse.partialSuccess.errorMessage == "3 spans without a trace id")

            let logs = OTLPBodyDecoder.encodeLogsResponse(rejected: 0, message: "a warning", as: encoding)
            #expect(logs.contentType == encoding.contentType)
            let logsResponse = try encoding == .json
                ? Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(jsonUTF8Bytes: logs.bytes)
                : Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse(serializedBytes: logs.bytes)
            #expect(logsResponse.hasPartialSuccess)
            #expect(logsResponse.partialSuccess.rejectedLogRecords == 0)
            #expect(logsResponse.partialSuccess.errorMessage == "a warning")
        }
        let json = String(decoding: OTLPBodyDecoder.encodeLogsResponse(rejected: 2, message: "m", as: .json).bytes, as: UTF8.self)
        #expect(json == #"{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"m"}}"#)
    }
}
