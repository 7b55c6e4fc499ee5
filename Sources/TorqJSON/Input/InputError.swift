import SystemPackage

/// Why a byte source could not be read: a file that cannot be opened or
/// read (with its `errno`), one that is not a readable source (a directory),
/// or data that cannot be decoded (truncated gzip).
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        /// A system call failed (``InputError/errno`` says why).
        case io
        /// Not something that can be read as lines (a directory).
        case invalidSource
        /// The bytes cannot be decoded (a damaged or truncated gzip stream).
        case corruptData
    }

    public var kind: Kind
    /// The file concerned (`-` for standard input).
    public var path: String
    /// A sentence saying what went wrong.
    public var message: String
    /// The system's error number, for an ``Kind/io`` error.
    public var errno: Errno?

    public init(_ kind: Kind, path: String, _ message: String, errno: Errno? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.errno = errno
    }

    /// A failed system call: `"<call> failed: <strerror> (errno N)"`.
    static func system(_ call: String, path: String, errno code: Int32) -> InputError {
        let e = Errno(rawValue: code)
        return InputError(.io, path: path, "\(call) failed: \(e.description) (errno \(code))", errno: e)
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}
