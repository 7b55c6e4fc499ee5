import TorqCollector
import TorqEvents
extension TelemetryIntegration {
    /// The summary of run `runID`: duration,
    /// event count and counts by type, tokens, tools used, failures. Writes
    /// everything recorded so far first (``TelemetryCollector/flush()``), then
    /// reads the run's events back from the storage, so the summary is what
    /// was stored. Works after ``shutdown()`` too.
    ///
    /// - Throws: ``TelemetryError`` when the integration was never
    ///   initialized or the run has no events; the storage's error when it
    ///   cannot be read.
    ///
    /// ```swift
    /// let summary = try telemetry.runSummary(run)
    /// print("Run duration: \(summary.durationMs) ms, event count: \(summary.eventCount)")
    /// ```
    public func runSummary(_ runID: RunID) throws -> RunSummary {
        guard let collector = anyCollector else {
            throw TelemetryError(.invalidArgument, "run summary of \(runID): telemetry was never initialized (call initialize() first)")
        }
        collector.flush()
        let events = try collector.events(matching: EventQuery(runID: runID.rawValue))
        guard !events.isEmpty else {
            throw TelemetryError(.invalidArgument, "run summary of \(runID): no events of this run in the storage")
        }
        return RunSummary(runID: runID, events: events)
    }
}
