/// Why ``PIIFilter/redactJSONObject(_:counts:)`` could not read its input:
/// the bytes are not one valid JSON object.
public struct JSONRedactionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `expected ':' after an object key`.
    public var reason: String
    /// The byte offset in the input where the problem was found.
    public var byteOffset: Int

    /// An error at `byteOffset` for `reason`.
    public init(_ reason: String, at byteOffset: Int) {
        self.reason = reason
        self.byteOffset = byteOffset
    }

    /// `invalid JSON at byte 17: expected ':' after an object key`.
    public var description: String { "invalid JSON at byte \(byteOffset): \(reason)" }
}
