/// An error from the store, naming what failed and where.
///
/// `description` reads like `"/data/00000000000000000000.wal at byte 4242: frame checksum mismatch"`.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Equatable {
        /// A system call failed (the message carries `errno`'s text).
        case io
        /// Data on disk failed a check.
        case corruption
        /// Another writer holds the store's lock.
        case locked
        /// No store, segment or run where one was expected.
        case notFound
        /// The caller passed something the store cannot take.
        case invalidArgument
    }

    /// The kind of failure.
    public var kind: Kind
    /// The file or directory concerned, when there is one.
    public var path: String?
    /// The byte offset in `path`, when the failure is at a place in a file.
    public var offset: Int64?
    /// A sentence saying what went wrong.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, path: String? = nil, offset: Int64? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var s = ""
        if let path { s += path }
        if let offset { s += (s.isEmpty ? "" : " ") + "at byte \(offset)" }
        return s.isEmpty ? message : s + ": " + message
    }
}
