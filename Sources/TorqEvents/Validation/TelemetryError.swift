import SystemPackage
import TorqJSON

/// Why a telemetry operation (validating, scanning a source) could not be done.
public struct TelemetryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        /// A source could not be opened or read.
        case io
        /// A source is not something the scanner can read.
        case invalidSource
        /// The store reported damage or could not be read; the message has its details.
        case store
        /// Memory for a parser or buffer could not be allocated.
        case outOfMemory
        /// A configuration value or argument is out of its range.
        case invalidArgument
    }

    /// The class of problem.
    public let kind: Kind
    /// The source or file concerned, when there is one.
    public let path: String?
    /// A short English sentence saying what went wrong.
    public let message: String
    /// The system's error number, when a system call failed (an I/O error
    /// of a source, or of the store behind a ``Kind/store`` error).
    public let errno: Errno?
    /// The system call that failed (`open`, `pread`, …), with ``errno``.
    public let operation: String?

    /// An error of `kind` about `path`.
    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
        self.errno = nil
        self.operation = nil
    }

    /// An error of `kind` with the system error behind it.
    public init(_ kind: Kind, path: String? = nil, _ message: String, errno: Errno?, operation: String?) {
        self.kind = kind
        self.path = path
        self.message = message
        self.errno = errno
        self.operation = operation
    }

    /// A source that could not be read (its description names the file).
    public init(_ error: InputError) {
        let kind: Kind = switch error.kind {
        case .io: .io
        case .invalidSource: .invalidSource
        case .corruptData: .invalidSource
        }
        self.init(kind, path: error.path, error.message, errno: error.errno, operation: nil)
    }

    /// `path: message`, or the message alone.
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
