import Tracing

/// What torqlog keeps in a task's `ServiceContext`: the current span (trace
/// id, span id, sampled flag), the agent run, the session and the agent
/// name. Child tasks and `async let` inherit it with the rest of the context;
/// ``TorqTracer`` and ``TelemetryIntegration`` read it to place what they record.
///
/// The values travel together under one key, ``TelemetryContextKey``, so
/// that placing an event costs one context lookup rather than four; read and
/// set them through `ServiceContext`'s ``ServiceContextModule/ServiceContext/telemetrySpan``,
/// ``ServiceContextModule/ServiceContext/telemetryRunID``, ``ServiceContextModule/ServiceContext/telemetrySessionID``
/// and ``ServiceContextModule/ServiceContext/telemetryAgentName``. Immutable: setting one
/// of them stores a new value.
///
/// ```swift
/// if let telemetry = ServiceContext.current?[TelemetryContextKey.self] {
///     print(telemetry.runID ?? "no run", telemetry.span?.traceID.description ?? "no trace")
/// }
/// ```
public final class TelemetryContext: Sendable {
    /// The current span, when the task is inside one (or inside a trace received from another process).
    public let span: TelemetrySpanContext?
    /// The agent run the task works for.
    public let runID: RunID?
    /// The session (conversation) the task works for.
    public let sessionID: String?
    /// The agent the task runs as.
    public let agentName: String?
    /// The running tallies of the run (tools used, tokens), for its closing `agent_run` event.
    let tally: RunTally?

    /// The values, as a value to change.
    struct Fields {
        var span: TelemetrySpanContext?
        var runID: RunID?
        var sessionID: String?
        var agentName: String?
        var tally: RunTally?
    }

    init(_ fields: Fields) {
        span = fields.span
        runID = fields.runID
        sessionID = fields.sessionID
        agentName = fields.agentName
        tally = fields.tally
    }

    var fields: Fields { Fields(span: span, runID: runID, sessionID: sessionID, agentName: agentName, tally: tally) }

    /// A copy with `change` applied.
    func with(_ change: (inout Fields) -> Void) -> TelemetryContext {
        var fields = self.fields
        change(&fields)
        return TelemetryContext(fields)
    }

    /// No values.
    static let empty = TelemetryContext(Fields())
}

/// The `ServiceContext` key of ``TelemetryContext``.
/// (No `nameOverride`: the library calls it on every lookup.)
public enum TelemetryContextKey: ServiceContextKey {
    /// torqlog's values.
    public typealias Value = TelemetryContext
}

extension ServiceContext {
    /// torqlog's values in this context (one lookup for all of them).
    var telemetry: TelemetryContext? {
        get { self[TelemetryContextKey.self] }
        set { self[TelemetryContextKey.self] = newValue }
    }

    /// Changes torqlog's values in this context.
    mutating func updateTelemetry(_ change: (inout TelemetryContext.Fields) -> Void) {
        telemetry = (telemetry ?? .empty).with(change)
    }

    /// The current span, when the task is inside one (or inside a trace
    /// received from another process). Child tasks and `async let` inherit it.
    ///
    /// ```swift
    /// let traceID = ServiceContext.current?.telemetrySpan?.traceID
    /// ```
    public var telemetrySpan: TelemetrySpanContext? {
        get { telemetry?.span }
        set { updateTelemetry { $0.span = newValue } }
    }

    /// The agent run the task works for: every event recorded through
    /// ``TelemetryIntegration`` inside it carries this `run_id`.
    ///
    /// ```swift
    /// try await integration.withAgentRun(name: "research_agent", type: "react_agent") {
    ///     print(ServiceContext.current?.telemetryRunID ?? "none")   // run-…
    /// }
    /// ```
    public var telemetryRunID: RunID? {
        get { telemetry?.runID }
        set { updateTelemetry { $0.runID = newValue } }
    }

    /// The session (conversation) the task works for; events carry it as `session_id`.
    ///
    /// ```swift
    /// var context = ServiceContext.current ?? .topLevel
    /// context.telemetrySessionID = "conversation-42"
    /// ServiceContext.withValue(context) { /* events here belong to conversation-42 */ }
    /// ```
    public var telemetrySessionID: String? {
        get { telemetry?.sessionID }
        set { updateTelemetry { $0.sessionID = newValue } }
    }

    /// The agent the task runs as (set by ``TelemetryIntegration/withAgentRun(name:type:userQuery:isolation:_:)``).
    ///
    /// ```swift
    /// let agent = ServiceContext.current?.telemetryAgentName ?? "unknown"
    /// ```
    public var telemetryAgentName: String? {
        get { telemetry?.agentName }
        set { updateTelemetry { $0.agentName = newValue } }
    }
}
