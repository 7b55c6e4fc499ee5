import TorqCollector
/// What ``TelemetryIntegration/sessionStatistics()`` reports: the session,
/// the runs started and finished through the integration, and the
/// collector's own statistics.
///
/// ```swift
/// let stats = telemetry.sessionStatistics()
/// print("session \(stats.sessionID): \(stats.runsStarted) runs, \(stats.collector.eventsCollected) events written")
/// ```
public struct SessionStatistics: Sendable, Equatable {
    /// The integration's session id.
    public var sessionID: String
    /// When the integration was created, in nanoseconds since the epoch.
    public var createdNanoseconds: Int64
    /// Agent runs started (scoped and explicit).
    public var runsStarted: Int
    /// Agent runs that ended successfully.
    public var runsCompleted: Int
    /// Agent runs that ended with an error (or `success: false`).
    public var runsFailed: Int
    /// Runs started with `startAgentRun` and not completed yet.
    public var openExplicitRuns: Int
    /// Recording calls made before `initialize()` or after `shutdown()`: nothing was recorded for them.
    public var eventsNotRecorded: Int
    /// Whether `shutdown()` was called.
    public var isShutDown: Bool
    /// The collector's statistics (all zero before `initialize()`).
    public var collector: CollectorStatistics

    /// Runs started and not ended (scoped runs still in their body, explicit runs not completed).
    public var runsInProgress: Int { runsStarted - runsCompleted - runsFailed }
}
