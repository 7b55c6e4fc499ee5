import TorqLogStore

/// How `torqlog serve` listens, stores and bounds its work.
package struct ServeConfiguration: Sendable {
    /// The address to listen on (`127.0.0.1` by default: loopback only).
    package var host: String = "127.0.0.1"
    /// The port (4318, OTLP/HTTP's).
    package var port: Int = 4318
    /// When answered records are on stable storage.
    package var durability: DurabilityPolicy = .batch(intervalMilliseconds: 2)
    /// The largest request body, as received and once decompressed (413 above it).
    package var maxBody: Int = 16 << 20
    /// The bearer token clients must send; required to listen beyond loopback.
    package var token: String?
    /// Requests handled at once; more are answered 503 with `Retry-After`.
    package var maxConcurrentRequests: Int = 64
    /// Payload bytes waiting for the store's writer; more are answered 503.
    package var maxQueuedBytes: Int = 16 << 20
    /// Request bodies held in memory at once (received, not yet stored); more are answered 503.
    package var maxBufferedBodyBytes: Int = 96 << 20
    /// A request must arrive whole (head and body) within this many seconds of
    /// the connection's last response (or its opening); an idle connection is
    /// closed after it too.
    package var readTimeoutSeconds: Int = 30
    /// Item keys remembered to drop retried copies (``RecentItems``).
    package var recentItems: Int = 1 << 20
    /// The WAL segment size.
    package var segmentSize: Int = 64 << 20
    /// Whether closed WAL segments are sealed (LZ4) in the background.
    package var sealClosedSegments = true
    /// Whether the read-only viewer API (`GET /api/…`) is served (`--no-ui` turns it off).
    package var viewer = true
    /// Seconds a client is told to wait (`Retry-After`) when the server is overloaded.
    package var retryAfterSeconds = 1

    package init() {}

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    package static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "[::1]" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Why this configuration cannot serve, if it cannot.
    package var problem: String? {
        if !Self.isLoopback(host) && (token ?? "").isEmpty {
            return "listening on \(host) (not loopback) needs --token: clients then send 'Authorization: Bearer TOKEN'"
        }
        if let token, token.isEmpty { return "--token is empty" }
        if !(1...65535).contains(port) && port != 0 { return "port \(port) is out of range" }
        if maxBody < 1024 { return "--max-body must be at least 1024 bytes" }
        return nil
    }
}
