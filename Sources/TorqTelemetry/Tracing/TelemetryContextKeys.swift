import Tracing

/// The `ServiceContext` key of the current span (trace id, span id, sampled
/// flag). Set by ``TorqTracer`` for the duration of a span, and by
/// extracting a `traceparent`; read through ``ServiceContextModule/ServiceContext/telemetrySpan``.
public enum TelemetrySpanContextKey: ServiceContextKey {
    /// The span's identity.
    public typealias Value = TelemetrySpanContext
    /// `torqlog.span`.
    public static var nameOverride: String? { "torqlog.span" }
}

/// The `ServiceContext` key of the agent run that the current task works for.
public enum TelemetryRunIDKey: ServiceContextKey {
    /// The run's id.
    public typealias Value = RunID
    /// `torqlog.run_id`.
    public static var nameOverride: String? { "torqlog.run_id" }
}

/// The `ServiceContext` key of the user session (conversation) of the current task.
public enum TelemetrySessionIDKey: ServiceContextKey {
    /// The session's id.
    public typealias Value = String
    /// `torqlog.session_id`.
    public static var nameOverride: String? { "torqlog.session_id" }
}

/// The `ServiceContext` key of the agent that the current task runs as.
public enum TelemetryAgentNameKey: ServiceContextKey {
    /// The agent's name.
    public typealias Value = String
    /// `torqlog.agent_name`.
    public static var nameOverride: String? { "torqlog.agent_name" }
}

/// The running tallies of the current agent run (tools used, tokens), for
/// its closing `agent_run` event.
enum RunTallyKey: ServiceContextKey {
    typealias Value = RunTally
}

extension ServiceContext {
    /// The current span, when the task is inside one (or inside a trace
    /// received from another process). Child tasks and `async let` inherit it.
    ///
    /// ```swift
    /// let traceID = ServiceContext.current?.telemetrySpan?.traceID
    /// ```
    public var telemetrySpan: TelemetrySpanContext? {
        get { self[TelemetrySpanContextKey.self] }
        set { self[TelemetrySpanContextKey.self] = newValue }
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
        get { self[TelemetryRunIDKey.self] }
        set { self[TelemetryRunIDKey.self] = newValue }
    }

    /// The session (conversation) the task works for; events carry it as `session_id`.
    ///
    /// ```swift
    /// var context = ServiceContext.current ?? .topLevel
    /// context.telemetrySessionID = "conversation-42"
    /// ServiceContext.withValue(context) { /* events here belong to conversation-42 */ }
    /// ```
    public var telemetrySessionID: String? {
        get { self[TelemetrySessionIDKey.self] }
        set { self[TelemetrySessionIDKey.self] = newValue }
    }

    /// The agent the task runs as (set by ``TelemetryIntegration/withAgentRun(name:type:userQuery:isolation:_:)``).
    ///
    /// ```swift
    /// let agent = ServiceContext.current?.telemetryAgentName ?? "unknown"
    /// ```
    public var telemetryAgentName: String? {
        get { self[TelemetryAgentNameKey.self] }
        set { self[TelemetryAgentNameKey.self] = newValue }
    }
}
