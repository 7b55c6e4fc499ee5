import SwiftProtobuf
import TorqOTLPProto

/// The request bodies of `POST /v1/traces` and `POST /v1/logs` into OTLP
/// messages, and the messages of their responses into bodies.
///
/// A body is read in three steps, each with its own refusal:
///
/// 1. `Content-Type` (``OTLPEncoding``) and `Content-Encoding`
///    (``ContentCoding``): a 415 for anything else;
/// 2. the size: a 413 when the body as sent, or once inflated from gzip
///    (``GzipInflater``, which stops as soon as the cap is passed), is over
///    `maxDecodedBytes`; a 400 for a damaged or incomplete gzip stream;
/// 3. the message: a 400 for a malformed protobuf, invalid JSON, or a JSON
///    trace or span id that is not hex (``JSONHexIDs``). Unknown fields are
///    ignored in both encodings, as OTLP requires.
package enum OTLPBodyDecoder {
    package typealias TraceRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
    package typealias LogsRequest = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest

    /// The request of `POST /v1/traces` from its body and headers; a
    /// ``RequestError`` (400, 413 or 415) saying why it cannot be read.
    package static func decodeTraces(
        body: [UInt8], contentType: String?, contentEncoding: String?, maxDecodedBytes: Int
    ) throws(RequestError) -> TraceRequest {
        try decode(body: body, contentType: contentType, contentEncoding: contentEncoding, maxDecodedBytes: maxDecodedBytes) {
            (request: inout TraceRequest) throws(RequestError) in try JSONHexIDs.convert(&request)
        }
    }

    /// The request of `POST /v1/logs` from its body and headers; a
    /// ``RequestError`` (400, 413 or 415) saying why it cannot be read.
    package static func decodeLogs(
        body: [UInt8], contentType: String?, contentEncoding: String?, maxDecodedBytes: Int
    ) throws(RequestError) -> LogsRequest {
        try decode(body: body, contentType: contentType, contentEncoding: contentEncoding, maxDecodedBytes: maxDecodedBytes) {
            (request: inout LogsRequest) throws(RequestError) in try JSONHexIDs.convert(&request)
        }
    }

    /// The body of a `POST /v1/traces` response in `encoding`, and its
    /// `Content-Type`. It carries `partial_success` only when some spans
    /// were rejected or there is a message (a warning when none were).
    package static func encodeTracesResponse(
        rejected: Int64, message: String, as encoding: OTLPEncoding
    ) -> (bytes: [UInt8], contentType: String) {
        var response = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse()
        if rejected > 0 || !message.isEmpty {
            response.partialSuccess.rejectedSpans = rejected
            response.partialSuccess.errorMessage = message
        }
        return (encode(response, as: encoding), encoding.contentType)
    }

    /// The body of a `POST /v1/logs` response in `encoding`, and its
    /// `Content-Type`; `partial_success` as for ``encodeTracesResponse(rejected:message:as:)``.
    package static func encodeLogsResponse(
        rejected: Int64, message: String, as encoding: OTLPEncoding
    ) -> (bytes: [UInt8], contentType: String) {
        var response = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse()
        if rejected > 0 || !message.isEmpty {
            response.partialSuccess.rejectedLogRecords = rejected
            response.partialSuccess.errorMessage = message
        }
        return (encode(response, as: encoding), encoding.contentType)
    }

    // MARK: - Steps

    private static func decode<Request: SwiftProtobuf.Message>(
        body: [UInt8], contentType: String?, contentEncoding: String?, maxDecodedBytes: Int,
        convertJSONIDs: (inout Request) throws(RequestError) -> Void
    ) throws(RequestError) -> Request {
        let encoding = try OTLPEncoding(contentType: contentType)
        let coding = try ContentCoding(header: contentEncoding)
        guard body.count <= maxDecodedBytes else {
            throw RequestError(.contentTooLarge, "body is \(body.count) bytes, over the limit of \(maxDecodedBytes)")
        }
        switch coding {
        case .identity:
            return try decode(message: body, as: encoding, convertJSONIDs: convertJSONIDs)
        case .gzip:
            let inflated = try inflate(body, limit: maxDecodedBytes)
            return try decode(message: inflated, as: encoding, convertJSONIDs: convertJSONIDs)
        }
    }

    private static func inflate(_ body: [UInt8], limit: Int) throws(RequestError) -> [UInt8] {
        let result = body.withUnsafeBytes { bytes in
            Result { () throws(RequestError) in try GzipInflater.inflate(bytes, limit: limit) }
        }
        return try result.get()
    }

    private static func decode<Request: SwiftProtobuf.Message>(
        message bytes: [UInt8], as encoding: OTLPEncoding, convertJSONIDs: (inout Request) throws(RequestError) -> Void
    ) throws(RequestError) -> Request {
        switch encoding {
        case .protobuf:
            do {
                return try Request(serializedBytes: bytes)
            } catch {
                throw RequestError(.badRequest, "malformed protobuf \(Request.protoMessageName): \(error)")
            }
        case .json:
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            var request: Request
            do {
                request = try Request(jsonUTF8Bytes: bytes, options: options)
            } catch {
                throw RequestError(.badRequest, "invalid OTLP JSON for \(Request.protoMessageName): \(error)")
            }
            try convertJSONIDs(&request)
            return request
        }
    }

    private static func encode(_ response: some SwiftProtobuf.Message, as encoding: OTLPEncoding) -> [UInt8] {
        do {
            switch encoding {
            case .protobuf: return try response.serializedBytes()
            case .json: return try response.jsonUTF8Bytes()
            }
        } catch {
            // A response holds an int64 and a string: nothing in it can fail to encode.
            preconditionFailure("encoding \(type(of: response)) failed: \(error)")
        }
    }
}
