/// The `Content-Encoding` of a request body: as sent, or gzip.
enum ContentCoding: Sendable, Hashable {
    /// No header, an empty one, or `identity`: the body is used as is.
    case identity
    /// `gzip` or `x-gzip`: the body is inflated (``GzipInflater``).
    case gzip

    /// The coding a `Content-Encoding` header names, case-insensitively; a
    /// 415 naming any other coding (`br`, `deflate`, `zstd`, or a list).
    init(header: String?) throws(RequestError) {
        let coding = Substring(header ?? "").trimmingASCIIWhitespace().lowercased()
        switch coding {
        case "", "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        default:
            throw RequestError(.unsupportedMediaType, "Content-Encoding \"\(header ?? "")\" is not supported: expected gzip or none")
        }
    }
}
