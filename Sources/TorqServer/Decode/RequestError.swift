/// Why a request body was refused: the HTTP status the server answers with,
/// and a sentence naming what is wrong and where (a byte offset in the body,
/// or a field's path such as `resourceSpans[0].scopeSpans[0].spans[2].traceId`).
///
/// The status is a value of its own so that the server maps it to a response
/// without reading the message.
package struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status for the refusal.
    package enum Status: Int, Sendable, Hashable {
        /// 400: the body cannot be decoded (malformed protobuf, invalid JSON,
        /// a damaged or truncated gzip stream, an id that is not hex).
        case badRequest = 400
        /// 413: the body, as sent or once inflated, is over the size limit.
        case contentTooLarge = 413
        /// 412: a producer asked for more durability than this server gives.
        case preconditionFailed = 412
        /// 415: a media type or content coding this receiver does not read.
        case unsupportedMediaType = 415
        /// 500: the store's writer failed; nothing more is acknowledged.
        case internalServerError = 500
        /// 503: the server is overloaded or shutting down; the answer carries `Retry-After`.
        case serviceUnavailable = 503
    }

    package var status: Status
    /// A sentence saying what went wrong and where.
    package var message: String

    package init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The `google.rpc.Code` of the status, for a JSON error body
    /// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, INTERNAL, UNAVAILABLE).
    package var rpcCode: Int {
        switch status {
        case .badRequest, .unsupportedMediaType: 3
        case .preconditionFailed: 9
        case .contentTooLarge: 8
        case .internalServerError: 13
        case .serviceUnavailable: 14
        }
    }

    /// `"<code>: <message>"`.
    package var description: String { "\(status.rawValue): \(message)" }
}
