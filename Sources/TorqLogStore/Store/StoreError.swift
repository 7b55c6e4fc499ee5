import SystemPackage

/// An error from the store, naming what failed and where.
///
/// `description` reads like `"/data/00000000000000000000.wal at byte 4242: frame checksum mismatch"`
/// or `"/data/00000000000000000000.wal: fdatasync failed: Input/output error (errno 5)"`.
/// A failed system call keeps its operation and its `errno` as values
/// (``operation``, ``errno``), so callers branch on `ENOSPC` versus `EIO`
/// versus `EACCES` without parsing text.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Hashable {
        /// A system call failed (``StoreError/errno`` and ``StoreError/operation`` say which and why).
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
    /// The system call that failed, for an ``Kind/io`` error that comes from one.
    public var operation: FileOperation?
    /// The system's error number, for an ``Kind/io`` error that comes from a system call.
    public var errno: Errno?

    /// Creates an error.
    public init(_ kind: Kind, path: String? = nil, offset: Int64? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
    }

    /// A failed system call: `"<operation> failed: <strerror> (errno N)"`.
    public init(_ operation: FileOperation, errno: Errno, path: String?, offset: Int64? = nil) {
        self.init(.io, path: path, offset: offset, "\(operation.rawValue) failed: \(errno.description) (errno \(errno.rawValue))")
        self.operation = operation
        self.errno = errno
    }

    /// A thread the store needed could not be started.
    package init(_ error: ThreadStartError, path: String?) {
        self.init(.io, path: path, "\(error)")
    }

    public var description: String {
        var s = ""
        if let path { s += path }
        if let offset { s += (s.isEmpty ? "" : " ") + "at byte \(offset)" }
        return s.isEmpty ? message : s + ": " + message
    }
}

/// The file-system operations the store performs, named as in `StoreError.operation`.
public enum FileOperation: String, Sendable, Hashable, CaseIterable {
    /// `open(2)` of an existing file.
    case open
    /// `open(2)` with `O_CREAT`, or `mkdir(2)`: making a new file or directory.
    case create
    case read = "pread"
    case write
    case fdatasync
    /// `fsync(2)` of a directory, making a create, rename or unlink durable.
    case fsync
    case rename
    case ftruncate
    case unlink
    case fstat
    case opendir
    case flock
    case close
    case inotify
}
