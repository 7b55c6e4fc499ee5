import HTTPTypes
import Hummingbird
import NIOCore
import TorqOTLP

/// The OTLP endpoints' steps between the body and the store: decode
/// (``OTLPBodyDecoder``), map (``OTLPTraceMapper``, ``OTLPLogMapper``), and
/// the response in the request's encoding with its `partial_success`.
enum OTLPRequests {
    static func traces(_ body: [UInt8], contentType: String?, contentEncoding: String?, maxBody: Int) throws(RequestError) -> MappedRequest {
        let request = try OTLPBodyDecoder.decodeTraces(body: body, contentType: contentType, contentEncoding: contentEncoding, maxDecodedBytes: maxBody)
        return OTLPTraceMapper().map(request)
    }

    static func logs(_ body: [UInt8], contentType: String?, contentEncoding: String?, maxBody: Int) throws(RequestError) -> MappedRequest {
        let request = try OTLPBodyDecoder.decodeLogs(body: body, contentType: contentType, contentEncoding: contentEncoding, maxDecodedBytes: maxBody)
        return OTLPLogMapper().map(request)
    }

    static func tracesResponse(_ mapped: MappedRequest, encoding: OTLPEncoding) -> Response {
        let (bytes, contentType) = OTLPBodyDecoder.encodeTracesResponse(rejected: Int64(mapped.rejected), message: mapped.rejectionMessage, as: encoding)
        return response(bytes, contentType)
    }

    static func logsResponse(_ mapped: MappedRequest, encoding: OTLPEncoding) -> Response {
        let (bytes, contentType) = OTLPBodyDecoder.encodeLogsResponse(rejected: Int64(mapped.rejected), message: mapped.rejectionMessage, as: encoding)
        return response(bytes, contentType)
    }

    private static func response(_ bytes: [UInt8], _ contentType: String) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: buffer))
    }
}
