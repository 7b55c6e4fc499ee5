import TorqLogStore

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
    /// The store's own error, for a ``Kind/store`` error that comes from one
    /// (its `errno` and operation tell an I/O failure apart from damage).
    public let storeError: StoreError?

    /// An error of `kind` about `path`.
    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
        self.storeError = nil
    }

    /// A ``Kind/store`` error carrying `error` (its description names the file already).
    public init(_ error: StoreError) {
        self.kind = .store
        self.path = nil
        self.message = error.description
        self.storeError = error
    }

    /// `path: message`, or the message alone.
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
