/// The `status` of an `agent_run` or `tool_execution`.
///
/// Open: any string is a value and is kept as is; the constants name the
/// common ones.
public struct EventStatus: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The value as written in `status`.
    public let rawValue: String
    /// A status named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A status named by a literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The value as written in `status`.
    public var description: String { rawValue }

    /// Under way.
    public static let started: EventStatus = "started"
    /// Finished successfully.
    public static let completed: EventStatus = "completed"
    /// Finished with an error.
    public static let failed: EventStatus = "failed"
    /// Gave up after a time limit.
    public static let timeout: EventStatus = "timeout"
    /// Stopped before finishing.
    public static let cancelled: EventStatus = "cancelled"
}
