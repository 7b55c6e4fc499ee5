import Tracing
import TorqCollector
import TorqEvents

extension TelemetryIntegration {
    // MARK: Agent runs

    /// Runs `body` as an agent run: records
    /// the run's `span_start` and `agent_run` `started`, runs the body with
    /// the run's id, session, agent name and span in the task's
    /// `ServiceContext` (inherited by child tasks and `async let`), then
    /// records `agent_run` `completed` — or `failed` (`cancelled` for a
    /// `CancellationError`) with `error_message` when the body throws, the
    /// error then being rethrown — with the tools used and total tokens
    /// recorded inside, and the span's `span_end` with its duration and status.
    ///
    /// ```swift
    /// let answer = try await telemetry.withAgentRun(name: "research_agent", type: "react_agent", userQuery: query) {
    ///     let run = ServiceContext.current?.telemetryRunID      // this run's id
    ///     async let facts = telemetry.withToolExecution(name: "web_search", type: .search) { try await search(query) }
    ///     return try await summarize(facts)                      // events in both tasks belong to `run`
    /// }
    /// ```
    @discardableResult
    public func withAgentRun<T>(name: String, type: String, userQuery: String? = nil,
                                isolation: isolated (any Actor)? = #isolation,
                                _ body: () async throws -> T) async rethrows -> T {
        let kind = ScopeKind.agentRun(name: name, type: type, userQuery: userQuery)
        guard let scope = begin(kind) else { return try await body() }
        do {
            let result = try await ServiceContext.withValue(scope.context) { try await body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    /// The synchronous form of ``withAgentRun(name:type:userQuery:isolation:_:)``.
    ///
    /// ```swift
    /// let plan = try telemetry.withAgentRun(name: "planner", type: "planner_agent") { try makePlan() }
    /// ```
    @discardableResult
    public func withAgentRun<T>(name: String, type: String, userQuery: String? = nil, _ body: () throws -> T) rethrows -> T {
        let kind = ScopeKind.agentRun(name: name, type: type, userQuery: userQuery)
        guard let scope = begin(kind) else { return try body() }
        do {
            let result = try ServiceContext.withValue(scope.context) { try body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    // MARK: Tool executions

    /// Runs `body` as a tool execution:
    /// a span `execute_tool NAME` under the current span, and on return a
    /// `tool_execution` event with `execution_time_ms`, status `completed` or
    /// `failed` (with `error_message`; the error is rethrown), and `success`.
    /// The tool is added to the run's `tools_used`.
    ///
    /// ```swift
    /// let page = try await telemetry.withToolExecution(name: "web_search", type: .search) {
    ///     try await searchClient.search("swift distributed tracing")
    /// }
    /// ```
    @discardableResult
    public func withToolExecution<T>(name: String, type: ToolType, isolation: isolated (any Actor)? = #isolation,
                                     _ body: () async throws -> T) async rethrows -> T {
        let kind = ScopeKind.tool(name: name, type: type)
        guard let scope = begin(kind) else { return try await body() }
        do {
            let result = try await ServiceContext.withValue(scope.context) { try await body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    /// The synchronous form of ``withToolExecution(name:type:isolation:_:)``.
    ///
    /// ```swift
    /// let text = try telemetry.withToolExecution(name: "file_reader", type: .read) { try String(contentsOfFile: path) }
    /// ```
    @discardableResult
    public func withToolExecution<T>(name: String, type: ToolType, _ body: () throws -> T) rethrows -> T {
        let kind = ScopeKind.tool(name: name, type: type)
        guard let scope = begin(kind) else { return try body() }
        do {
            let result = try ServiceContext.withValue(scope.context) { try body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    // MARK: Model interactions

    /// Runs `body` as a model call: a span `chat MODEL` under the current
    /// span, and on return a `model_interaction` event with
    /// `response_time_ms`, the token counts the body set on its ``ModelUsage``,
    /// and `success` (false, with `error_message`, when the body throws; the
    /// error is rethrown). The tokens are added to the run's total.
    ///
    /// ```swift
    /// let reply = try await telemetry.withModelInteraction(provider: .openAI, model: "gpt-4o") { usage in
    ///     let reply = try await openAI.chat(messages)
    ///     usage.record(promptTokens: reply.usage.prompt, completionTokens: reply.usage.completion)
    ///     return reply
    /// }
    /// ```
    @discardableResult
    public func withModelInteraction<T>(provider: ModelProvider, model: String, isolation: isolated (any Actor)? = #isolation,
                                        _ body: (ModelUsage) async throws -> T) async rethrows -> T {
        let usage = ModelUsage()
        let kind = ScopeKind.model(provider: provider, model: model, usage: usage)
        guard let scope = begin(kind) else { return try await body(usage) }
        do {
            let result = try await ServiceContext.withValue(scope.context) { try await body(usage) }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    /// The synchronous form of ``withModelInteraction(provider:model:isolation:_:)``.
    ///
    /// ```swift
    /// let embedding = try telemetry.withModelInteraction(provider: .local, model: "nomic-embed") { usage in
    ///     usage.promptTokens = tokens.count
    ///     return try embed(tokens)
    /// }
    /// ```
    @discardableResult
    public func withModelInteraction<T>(provider: ModelProvider, model: String, _ body: (ModelUsage) throws -> T) rethrows -> T {
        let usage = ModelUsage()
        let kind = ScopeKind.model(provider: provider, model: model, usage: usage)
        guard let scope = begin(kind) else { return try body(usage) }
        do {
            let result = try ServiceContext.withValue(scope.context) { try body(usage) }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    // MARK: Method instrumentation

    /// Runs `body` as a span `COMPONENT.METHOD` (for example
    /// `console.process_command`), with attributes
    /// `code.namespace` and `code.function`; status `ok`, or `error` with
    /// `error_message` when the body throws (the error is rethrown).
    ///
    /// ```swift
    /// func processCommand(_ command: String) async throws -> String {
    ///     try await telemetry.instrument("console", "process_command") { try await execute(command) }
    /// }
    /// ```
    @discardableResult
    public func instrument<T>(_ component: String, _ method: String, isolation: isolated (any Actor)? = #isolation,
                              _ body: () async throws -> T) async rethrows -> T {
        let kind = ScopeKind.method(component: component, method: method)
        guard let scope = begin(kind) else { return try await body() }
        do {
            let result = try await ServiceContext.withValue(scope.context) { try await body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    /// The synchronous form of ``instrument(_:_:isolation:_:)``.
    ///
    /// ```swift
    /// let parsed = try telemetry.instrument("console", "parse_command") { try Command(parsing: line) }
    /// ```
    @discardableResult
    public func instrument<T>(_ component: String, _ method: String, _ body: () throws -> T) rethrows -> T {
        let kind = ScopeKind.method(component: component, method: method)
        guard let scope = begin(kind) else { return try body() }
        do {
            let result = try ServiceContext.withValue(scope.context) { try body() }
            end(scope, kind, error: nil)
            return result
        } catch {
            end(scope, kind, error: error)
            throw error
        }
    }

    // MARK: Scopes

    /// What a scoped helper records.
    enum ScopeKind: Sendable {
        case agentRun(name: String, type: String, userQuery: String?)
        case tool(name: String, type: ToolType)
        case model(provider: ModelProvider, model: String, usage: ModelUsage)
        case method(component: String, method: String)

        var spanName: String {
            switch self {
            case .agentRun(let name, _, _): "invoke_agent " + name
            case .tool(let name, _): "execute_tool " + name
            case .model(_, let model, _): "chat " + model
            case .method(let component, let method): component + "." + method
            }
        }

        /// The span kind, as the GenAI conventions have it: a model call is a
        /// request to a remote service (`client`); a tool execution, an
        /// in-process agent run and an instrumented method are `internal`.
        var spanKind: SpanKind {
            if case .model = self { return .client }
            return .internal
        }
    }

    /// A scoped operation under way: its span, the context its body runs in,
    /// and the run's tallies.
    struct Scope: Sendable {
        var span: CollectorSpan
        var context: ServiceContext
        var tally: RunTally?
    }

    /// Starts the span (and, for a run, the run); nil when not recording.
    func begin(_ kind: ScopeKind) -> Scope? {
        guard let collector = recordingCollector() else { return nil }
        var context = ServiceContext.current ?? .topLevel
        let inherited = context.telemetry
        var fields = inherited?.fields ?? TelemetryContext.Fields()
        var parentTelemetry = inherited
        if case .agentRun(let name, _, _) = kind {
            fields.runID = RunID.random()
            fields.sessionID = fields.sessionID ?? sessionID
            fields.agentName = name
            fields.tally = RunTally()
            parentTelemetry = TelemetryContext(fields)
        }
        let span = TorqTracer(collector: collector, sessionID: sessionID).start(kind.spanName, in: context, telemetry: parentTelemetry,
                                                                                        kind: kind.spanKind)
        fields.span = span.spanContext
        context.telemetry = TelemetryContext(fields)
        switch kind {
        case .agentRun(let name, let type, let userQuery):
            collector.record(AgentRunEvent(header: Self.header(span, at: span.startNanoseconds), agentName: name, agentType: type,
                                           status: .started, userQuery: userQuery))
            noteRunStarted()
        case .method(let component, let method):
            span.attributes = ["code.namespace": .string(component), "code.function": .string(method)]
        case .tool, .model:
            break
        }
        return Scope(span: span, context: context, tally: fields.tally)
    }

    /// Records the scope's closing event and ends its span.
    func end(_ scope: Scope, _ kind: ScopeKind, error: (any Error)?) {
        let span = scope.span
        let now = TelemetryCollector.wallClockNanoseconds()
        let durationMs = Double(max(0, now - span.startNanoseconds)) / 1_000_000
        let message = error.map { String(describing: $0) }
        var header = Self.header(span, at: now)
        if let message { header.extraFields[EventField.errorMessage.key] = .string(message) }
        switch kind {
        case .agentRun(let name, let type, let userQuery):
            let tally = scope.tally?.snapshot()
            let status: EventStatus = error == nil ? .completed : (error is CancellationError ? .cancelled : .failed)
            span.collector.record(AgentRunEvent(
                header: header, agentName: name, agentType: type, status: status, userQuery: userQuery,
                confidenceScore: tally?.confidence, toolsUsed: tally?.tools ?? [],
                totalTokens: tally.flatMap { $0.total > 0 ? $0.total : nil }))
            noteRunFinished(success: error == nil)
        case .tool(let name, let type):
            scope.tally?.addTool(name)
            let status: EventStatus = error == nil ? .completed : (error is CancellationError ? .cancelled : .failed)
            span.collector.record(ToolExecutionEvent(header: header, toolName: name, toolType: type, status: status,
                                                     executionTimeMs: durationMs, success: error == nil))
        case .model(let provider, let model, let usage):
            let prompt = usage.promptTokens ?? 0
            let completion = usage.completionTokens
            let total = usage.totalTokens ?? completion.map { prompt + $0 }
            scope.tally?.addTokens(prompt: prompt, completion: completion, total: total)
            span.collector.record(ModelInteractionEvent(
                header: header, modelProvider: provider, modelName: model, promptTokens: prompt, responseTimeMs: durationMs,
                totalTokens: total, completionTokens: completion, success: error == nil))
        case .method:
            break
        }
        if let error {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: message))
        } else {
            span.setStatus(SpanStatus(code: .ok))
        }
        span.end(at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: UInt64(max(now, 0))))
    }
}
