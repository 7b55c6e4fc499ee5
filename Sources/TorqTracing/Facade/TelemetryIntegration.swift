import Synchronization
import Tracing
import TorqCollector
import TorqJSON

/// The integration layer: one object an agent
/// system keeps to record its runs, tool executions, model interactions,
/// memory operations and routing decisions, as typed events and as spans,
/// into a ``TelemetryCollector``.
///
/// Two ways to use it, which mix freely:
/// - Scoped helpers time a body, record its start
///   and end, and nest: ``withAgentRun(name:type:userQuery:isolation:_:)``,
///   ``withToolExecution(name:type:isolation:_:)``,
///   ``withModelInteraction(provider:model:isolation:_:)``,
///   ``instrument(_:_:isolation:_:)``. A run's id, session and trace reach
///   everything recorded inside the body — child tasks and `async let`
///   included — through the task's `ServiceContext`, without being passed by hand.
/// - Explicit calls: ``startAgentRun(agentName:agentType:userQuery:)``,
///   the `record…` methods, ``completeAgentRun(runID:success:toolsUsed:inputTokens:outputTokens:errorMessage:)``.
///
/// Recording never blocks and never throws (the collector queues); a call
/// made before ``initialize()`` or after ``shutdown()`` records nothing and is
/// counted in ``SessionStatistics/eventsNotRecorded``. The scoped helpers
/// always run their body, telemetry or not.
///
/// ```swift
/// var configuration = TelemetryConfiguration(storage: .store(directory: "/var/lib/agent/torqlog"))
/// configuration.samplingRate = 1
/// let telemetry = TelemetryIntegration(configuration: configuration)
/// try telemetry.initialize()
///
/// let answer = try await telemetry.withAgentRun(name: "code_generation_agent", type: "marvin_agent",
///                                               userQuery: "Generate a REST API endpoint") {
///     let code = try await telemetry.withModelInteraction(provider: .anthropic, model: "claude-3-5-sonnet") { usage in
///         usage.record(promptTokens: 200, completionTokens: 150)
///         return "…"
///     }
///     try await telemetry.withToolExecution(name: "file_writer", type: .write) { try await write(code) }
///     return code
/// }
/// telemetry.shutdown()
/// ```
public final class TelemetryIntegration: Sendable {
    /// A run started with ``startAgentRun(agentName:agentType:userQuery:)`` and not yet completed.
    struct ActiveRun: Sendable {
        var span: CollectorSpan
        var tally: RunTally
        var agentName: String
        var agentType: String
        var userQuery: String?
        var sessionID: String
    }

    private struct State {
        var collector: TelemetryCollector?
        var ownsCollector: Bool
        var closed = false
        var active: [RunID: ActiveRun] = [:]
        /// Explicitly started runs in start order; the last is the current run.
        var order: [RunID] = []
        var runsStarted = 0
        var runsCompleted = 0
        var runsFailed = 0
        var notRecorded = 0
    }

    /// The configuration of the collector ``initialize()`` creates (for
    /// ``init(collector:sessionID:)``, the given collector's).
    public let configuration: TelemetryConfiguration
    /// The session (`session_id`) of events recorded outside a context that
    /// names one (``ServiceContextModule/ServiceContext/telemetrySessionID``).
    public let sessionID: String
    /// When the integration was created, in nanoseconds since the epoch.
    public let createdNanoseconds: Int64
    private let state: Mutex<State>

    /// An integration that will write with `configuration` once ``initialize()``
    /// is called. `sessionID` defaults to a new random `session-…` id.
    ///
    /// ```swift
    /// let telemetry = TelemetryIntegration(configuration: TelemetryConfiguration(storage: .memory(capacity: 10_000)))
    /// try telemetry.initialize()
    /// ```
    public init(configuration: TelemetryConfiguration = TelemetryConfiguration(), sessionID: String? = nil) {
        self.configuration = configuration
        self.sessionID = sessionID ?? Self.newSessionID()
        createdNanoseconds = TelemetryCollector.wallClockNanoseconds()
        state = Mutex(State(collector: nil, ownsCollector: true))
    }

    /// An integration recording into a collector the caller already runs (for
    /// example as a `Service` in a `ServiceGroup`); ready at once. Its
    /// ``shutdown()`` stops recording but leaves the collector to its owner.
    ///
    /// ```swift
    /// let collector = try TelemetryCollector(configuration: configuration)
    /// let telemetry = TelemetryIntegration(collector: collector)
    /// let group = ServiceGroup(services: [collector], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// ```
    public init(collector: TelemetryCollector, sessionID: String? = nil) {
        configuration = collector.configuration
        self.sessionID = sessionID ?? Self.newSessionID()
        createdNanoseconds = TelemetryCollector.wallClockNanoseconds()
        state = Mutex(State(collector: collector, ownsCollector: false))
    }

    static func newSessionID() -> String { "session-" + HexDigits.string(TraceIdentifiers.next()) }

    /// Creates the collector (opening the store or file) and starts recording.
    /// Calling it again does nothing.
    ///
    /// - Throws: what ``TelemetryCollector/init(configuration:)`` throws: an
    ///   invalid configuration, storage that cannot be opened, a locked store.
    ///
    /// ```swift
    /// let telemetry = TelemetryIntegration(configuration: TelemetryConfiguration(storage: .jsonl(path: "events.jsonl", gzip: false)))
    /// try telemetry.initialize()
    /// ```
    public func initialize() throws {
        let ready = state.withLock { $0.collector != nil || $0.closed }
        if ready { return }
        let collector = try TelemetryCollector(configuration: configuration)
        let extra: TelemetryCollector? = state.withLock { s in
            if s.collector != nil || s.closed { return collector }
            s.collector = collector
            return nil
        }
        extra?.shutdown()  // another thread initialized first (or shutdown came in between)
    }

    /// The collector events go to; nil before ``initialize()`` and after ``shutdown()``.
    public var collector: TelemetryCollector? {
        state.withLock { $0.closed ? nil : $0.collector }
    }

    /// The collector, whether or not the integration is shut down (for reading back).
    var anyCollector: TelemetryCollector? {
        state.withLock { $0.collector }
    }

    /// A tracer writing to this integration's collector in its session, to
    /// bootstrap swift-distributed-tracing with
    /// (see the example); nil before ``initialize()``.
    ///
    /// ```swift
    /// if let tracer = telemetry.tracer { InstrumentationSystem.bootstrap(tracer) }
    /// ```
    public var tracer: TorqTracer? {
        collector.map { TorqTracer(collector: $0, sessionID: sessionID) }
    }

    /// The agent run the current task works for (inside
    /// ``withAgentRun(name:type:userQuery:isolation:_:)``, in any of its child
    /// tasks too); nil outside any run.
    ///
    /// ```swift
    /// try await telemetry.withAgentRun(name: "support_agent", type: "conversational_agent") {
    ///     print("run", TelemetryIntegration.currentRunID ?? "none")
    /// }
    /// ```
    public static var currentRunID: RunID? {
        ServiceContext.current?.telemetryRunID
    }

    /// Statistics of this session: the collector's counts
    /// (``CollectorStatistics``) and the runs started and finished here.
    ///
    /// ```swift
    /// let stats = telemetry.sessionStatistics()
    /// print(stats.collector.eventsCollected, stats.collector.totalDropped, stats.collector.queueSize)
    /// ```
    public func sessionStatistics() -> SessionStatistics {
        let (collector, s) = state.withLock { s in
            (s.collector, (s.runsStarted, s.runsCompleted, s.runsFailed, s.active.count, s.notRecorded, s.closed))
        }
        return SessionStatistics(
            sessionID: sessionID, createdNanoseconds: createdNanoseconds, runsStarted: s.0, runsCompleted: s.1, runsFailed: s.2,
            openExplicitRuns: s.3, eventsNotRecorded: s.4, isShutDown: s.5, collector: collector?.statistics() ?? CollectorStatistics())
    }

    /// Stops recording. When the integration created its collector
    /// (``initialize()``), shuts it down: everything accepted is written and
    /// made durable before this returns. Runs started with
    /// ``startAgentRun(agentName:agentType:userQuery:)`` and not completed
    /// stay open in the store, as a crash would leave them. Safe to call twice.
    ///
    /// - Returns: the collector's final statistics.
    ///
    /// ```swift
    /// let final = telemetry.shutdown()
    /// print("written \(final.eventsCollected), dropped \(final.totalDropped)")
    /// ```
    @discardableResult
    public func shutdown() -> CollectorStatistics {
        let (collector, owns) = state.withLock { s -> (TelemetryCollector?, Bool) in
            s.closed = true
            s.active = [:]
            s.order = []
            return (s.collector, s.ownsCollector)
        }
        guard let collector else { return CollectorStatistics() }
        return owns ? collector.shutdown() : collector.statistics()
    }

    // MARK: Where events go

    /// Where an event recorded now goes: the collector, its session and run,
    /// the span it happens in, and the run's tallies.
    struct Placement {
        var collector: TelemetryCollector
        var sessionID: String
        var runID: RunID?
        var parent: TelemetrySpanContext?
        var tally: RunTally?
    }

    /// The placement of an event for `runID` (nil: the task's run, else the
    /// current explicit run, else none); nil (and counted) when not recording.
    func placement(runID: RunID?) -> Placement? {
        let context = ServiceContext.current?.telemetry
        return state.withLock { s -> Placement? in
            guard let collector = s.collector, !s.closed else {
                s.notRecorded += 1
                return nil
            }
            let contextSession = context?.sessionID ?? sessionID
            if let runID {
                if context?.runID == runID {
                    return Placement(collector: collector, sessionID: contextSession, runID: runID, parent: context?.span, tally: context?.tally)
                }
                if let run = s.active[runID] {
                    return Placement(collector: collector, sessionID: run.sessionID, runID: runID, parent: run.span.spanContext, tally: run.tally)
                }
                return Placement(collector: collector, sessionID: contextSession, runID: runID, parent: context?.span, tally: nil)
            }
            if let run = context?.runID {
                return Placement(collector: collector, sessionID: contextSession, runID: run, parent: context?.span, tally: context?.tally)
            }
            if let current = s.order.last, let run = s.active[current] {
                return Placement(collector: collector, sessionID: run.sessionID, runID: current, parent: run.span.spanContext, tally: run.tally)
            }
            return Placement(collector: collector, sessionID: contextSession, runID: nil, parent: context?.span, tally: nil)
        }
    }

    /// The collector, or nil (counted) when not recording.
    func recordingCollector() -> TelemetryCollector? {
        state.withLock { s in
            guard let collector = s.collector, !s.closed else {
                s.notRecorded += 1
                return nil
            }
            return collector
        }
    }

    func noteRunStarted() { state.withLock { $0.runsStarted += 1 } }

    func noteRunFinished(success: Bool) {
        state.withLock { s in if success { s.runsCompleted += 1 } else { s.runsFailed += 1 } }
    }

    func addActiveRun(_ runID: RunID, _ run: ActiveRun) {
        state.withLock { s in
            s.active[runID] = run
            s.order.append(runID)
        }
    }

    /// Removes and returns the explicit run `runID` (nil: the current one).
    func takeActiveRun(_ runID: RunID?) -> (RunID, ActiveRun)? {
        state.withLock { s in
            guard let id = runID ?? s.order.last, let run = s.active.removeValue(forKey: id) else { return nil }
            s.order.removeAll { $0 == id }
            return (id, run)
        }
    }
}
