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
        /// 415: a media type or content coding this receiver does not read.
        case unsupportedMediaType = 415
    }

    package var status: Status
    /// A sentence saying what went wrong and where.
    package var message: String

    package init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// `"<code>: <message>"`.
    package var description: String { "\(status.rawValue): \(message)" }
}
