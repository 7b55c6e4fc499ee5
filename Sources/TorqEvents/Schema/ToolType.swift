/// What kind of tool a `tool_execution` called.
///
/// Open: any string is a value and is kept as is; the constants name the
/// common ones.
public struct ToolType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The value as written in `tool_type`.
    public let rawValue: String
    /// A tool type named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A tool type named by a literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The value as written in `tool_type`.
    public var description: String { rawValue }

    /// Reads data (files, pages, records).
    public static let read: ToolType = "read"
    /// Writes or changes data.
    public static let write: ToolType = "write"
    /// Searches (web, vectors, code).
    public static let search: ToolType = "search"
    /// Runs code or a command.
    public static let execute: ToolType = "execute"
    /// Calls a remote API.
    public static let api: ToolType = "api"
}
