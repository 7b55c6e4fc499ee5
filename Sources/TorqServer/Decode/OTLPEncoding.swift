/// How an OTLP/HTTP request body, and therefore its response, is encoded.
package enum OTLPEncoding: Sendable, Hashable {
    /// `application/x-protobuf`: the binary protobuf encoding.
    case protobuf
    /// `application/json`: the OTLP JSON encoding (proto3 JSON, ids as hex).
    case json

    /// The encoding a `Content-Type` header names; the media type is matched
    /// case-insensitively and its parameters (`; charset=utf-8`) are ignored.
    /// A 415 for a missing header or any other media type.
    package init(contentType: String?) throws(RequestError) {
        guard let contentType else {
            throw RequestError(.unsupportedMediaType, "no Content-Type: expected application/x-protobuf or application/json")
        }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingASCIIWhitespace().lowercased()
        switch mediaType {
        case "application/x-protobuf": self = .protobuf
        case "application/json": self = .json
        default:
            throw RequestError(
                .unsupportedMediaType,
                "Content-Type \"\(contentType)\" is not supported: expected application/x-protobuf or application/json")
        }
    }

    /// The `Content-Type` of a body in this encoding.
    package var contentType: String {
        switch self {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }
}
