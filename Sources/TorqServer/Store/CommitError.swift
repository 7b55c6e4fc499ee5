import TorqLogStore

/// Why the store's committer did not make a request's records durable.
package enum CommitError: Error, Sendable, CustomStringConvertible {
    /// Too much is queued already: retry later (the server answers 503 with `Retry-After`).
    case overloaded
    /// The server is shutting down and takes nothing more.
    case closed
    /// A record the store refuses (over its size limit); nothing of the request was written.
    case rejected(String)
    /// The store's writer failed (a write or sync error): nothing more is acknowledged.
    case failed(any Error)

    package var description: String {
        switch self {
        case .overloaded: "the store's write queue is full"
        case .closed: "the server is shutting down"
        case .rejected(let why): "a record was refused: \(why)"
        case .failed(let error): "the store's writer failed: \(error)"
        }
    }
}
