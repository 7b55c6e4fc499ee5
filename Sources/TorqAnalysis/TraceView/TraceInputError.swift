/// Why one record could not be placed in a trace: it is not a JSON object,
/// has no usable `event_type` or `timestamp`, or carries a malformed id.
/// The record is left out of the trace; the caller reports it.
public struct TraceInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field concerned, when there is one (`timestamp`, `span_id`, …).
    public let field: String?
    /// A short English sentence saying what is wrong.
    public let message: String

    /// An error about `field` (nil when the record as a whole is at fault).
    public init(field: String? = nil, _ message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or the message alone.
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
