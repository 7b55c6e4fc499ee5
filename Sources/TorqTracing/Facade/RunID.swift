import TorqJSON
/// The id of one agent run (`run_id`): what ``TelemetryIntegration/startAgentRun(agentName:agentType:userQuery:)``
/// returns, and what `torqlog replay` and ``TelemetryIntegration/runSummary(_:)`` take.
///
/// ```swift
/// let run = integration.startAgentRun(agentName: "support_agent", agentType: "conversational_agent")
/// print(run)                        // run-3f9c2a7b1d4e8f60
/// let same = RunID("run-3f9c2a7b1d4e8f60")
/// ```
public struct RunID: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The id as written in `run_id`.
    public let rawValue: String

    /// The run named `rawValue` (any string; ids made here look like `run-` and 16 hex digits).
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The run named by a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// A new, random id: `run-` and 16 lowercase hex digits.
    public static func random() -> RunID {
        RunID("run-" + HexDigits.string(TraceIdentifiers.next()))
    }

    /// The id as written in `run_id`.
    public var description: String { rawValue }
}
