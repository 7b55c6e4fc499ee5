/// Why a JSON event could not be decoded into a typed event.
public struct EventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        /// The bytes are not one valid JSON value.
        case invalidJSON
        /// Valid JSON, but not an object.
        case notAnObject
        /// `event_type` is missing, not a string, or names no type of the schema.
        case unknownEventType
        /// A field the typed event needs is missing or null.
        case missingField
        /// A field the typed event needs has a value it cannot hold.
        case invalidField
    }

    /// The class of problem.
    public let kind: Kind
    /// The field concerned, when there is one.
    public let field: String?
    /// A short English sentence saying what is wrong.
    public let message: String

    /// An error of `kind` about `field`.
    public init(_ kind: Kind, field: String? = nil, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    /// `field: message`, or the message alone.
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
