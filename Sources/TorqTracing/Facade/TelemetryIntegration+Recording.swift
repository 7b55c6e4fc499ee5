import Tracing
import TorqCollector
import TorqEvents
import TorqJSON

extension TelemetryIntegration {
    // MARK: Explicit runs

    /// Starts an agent run explicitly: records its span's
    /// `span_start` and an `agent_run` event with status `started`, and makes
    /// it the current run — events recorded afterwards outside any scoped run
    /// belong to it until ``completeAgentRun(runID:success:toolsUsed:inputTokens:outputTokens:errorMessage:)``.
    /// The run's span is a child of the task's current span, if any.
    ///
    /// - Returns: the run's id (also when nothing is recorded).
    ///
    /// ```swift
    /// let run = telemetry.startAgentRun(agentName: "code_generation_agent", agentType: "marvin_agent",
    ///                                   userQuery: "Generate a REST API endpoint")
    /// telemetry.recordToolExecution(toolName: "file_writer", toolType: .write, executionTimeMs: 150, runID: run)
    /// telemetry.completeAgentRun(runID: run, success: true, toolsUsed: ["file_writer"], inputTokens: 200, outputTokens: 150)
    /// ```
    @discardableResult
    public func startAgentRun(agentName: String, agentType: String, userQuery: String? = nil) -> RunID {
        let runID = RunID.random()
        guard let collector = recordingCollector() else { return runID }
        let context = ServiceContext.current ?? .topLevel
        let run = (context.telemetry ?? .empty).with { fields in
            fields.runID = runID
            fields.sessionID = fields.sessionID ?? sessionID
            fields.agentName = agentName
            fields.tally = nil
        }
        let session = run.sessionID ?? sessionID
        let span = TorqTracer(collector: collector, sessionID: session).start("invoke_agent " + agentName, in: context, telemetry: run)
        collector.record(AgentRunEvent(header: Self.header(span, at: span.startNanoseconds), agentName: agentName,
                                       agentType: agentType, status: .started, userQuery: userQuery))
        addActiveRun(runID, ActiveRun(span: span, tally: RunTally(), agentName: agentName, agentType: agentType,
                                      userQuery: userQuery, sessionID: session))
        noteRunStarted()
        return runID
    }

    /// Completes an explicit run: records the
    /// closing `agent_run` event — status `completed` or `failed`,
    /// `tools_used` and `total_tokens` (given here, else what was recorded for
    /// the run) — then its span's `span_end`.
    ///
    /// - Parameter runID: the run; nil for the current run (the last one started and not completed).
    /// - Returns: false when there is no such open run.
    ///
    /// ```swift
    /// telemetry.completeAgentRun(success: false, errorMessage: "model quota exceeded")
    /// ```
    @discardableResult
    public func completeAgentRun(runID: RunID? = nil, success: Bool, toolsUsed: [String]? = nil,
                                 inputTokens: Int? = nil, outputTokens: Int? = nil, errorMessage: String? = nil) -> Bool {
        guard let (_, run) = takeActiveRun(runID) else {
            _ = recordingCollector()  // counts the call when not recording
            return false
        }
        let tally = run.tally.snapshot()
        var total: Int?
        if inputTokens != nil || outputTokens != nil {
            total = (inputTokens ?? 0) + (outputTokens ?? 0)
        } else if tally.total > 0 {
            total = tally.total
        }
        let end = TelemetryCollector.wallClockNanoseconds()
        var header = Self.header(run.span, at: end)
        if let errorMessage { header.extraFields[EventField.errorMessage.key] = .string(errorMessage) }
        if let inputTokens { header.attributes["input_tokens"] = .int(Int64(inputTokens)) }
        if let outputTokens { header.attributes["output_tokens"] = .int(Int64(outputTokens)) }
        run.span.collector.record(AgentRunEvent(
            header: header, agentName: run.agentName, agentType: run.agentType, status: success ? .completed : .failed,
            userQuery: run.userQuery, confidenceScore: tally.confidence, toolsUsed: toolsUsed ?? tally.tools, totalTokens: total))
        run.span.setStatus(success ? SpanStatus(code: .ok) : SpanStatus(code: .error, message: errorMessage ?? "run failed"))
        run.span.end(at: DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: UInt64(max(end, 0))))
        noteRunFinished(success: success)
        return true
    }

    /// Sets the `confidence_score` written when the run ends (the task's run,
    /// else `runID`, else the current explicit run).
    ///
    /// ```swift
    /// telemetry.setRunConfidence(0.92)
    /// ```
    public func setRunConfidence(_ score: Double, runID: RunID? = nil) {
        placement(runID: runID)?.tally?.setConfidence(score)
    }

    // MARK: Events

    /// Records a `tool_execution` in the
    /// task's run and span (or `runID`'s, or the current explicit run's). It
    /// gets a span id of its own, a child of the enclosing span.
    ///
    /// ```swift
    /// telemetry.recordToolExecution(toolName: "web_search", toolType: .search, status: .completed, executionTimeMs: 420)
    /// telemetry.recordToolExecution(toolName: "sql_query", toolType: "database", status: .failed,
    ///                               executionTimeMs: 30_000, errorMessage: "timeout")
    /// ```
    @discardableResult
    public func recordToolExecution(toolName: String, toolType: ToolType, status: EventStatus = .completed,
                                    executionTimeMs: Double? = nil, success: Bool? = nil, errorMessage: String? = nil,
                                    attributes: [String: TelemetryValue] = [:], runID: RunID? = nil) -> TelemetryCollector.RecordResult {
        guard let place = placement(runID: runID) else { return .dropped(.disabled) }
        place.tally?.addTool(toolName)
        var header = Self.leafHeader(place, attributes: attributes)
        if let errorMessage { header.extraFields[EventField.errorMessage.key] = .string(errorMessage) }
        let succeeded = success ?? (status == .completed ? true : (status == .started ? nil : false))
        return place.collector.record(ToolExecutionEvent(header: header, toolName: toolName, toolType: toolType, status: status,
                                                         executionTimeMs: executionTimeMs, success: succeeded))
    }

    /// Records a `model_interaction` in
    /// the task's run and span (or `runID`'s, or the current explicit run's),
    /// and adds its tokens to the run's total.
    ///
    /// ```swift
    /// telemetry.recordModelInteraction(provider: .anthropic, model: "claude-3-5-sonnet", promptTokens: 200,
    ///                                  completionTokens: 150, responseTimeMs: 1200)
    /// ```
    @discardableResult
    public func recordModelInteraction(provider: ModelProvider, model: String, promptTokens: Int, completionTokens: Int? = nil,
                                       totalTokens: Int? = nil, responseTimeMs: Double, success: Bool? = true,
                                       errorMessage: String? = nil, attributes: [String: TelemetryValue] = [:],
                                       runID: RunID? = nil) -> TelemetryCollector.RecordResult {
        guard let place = placement(runID: runID) else { return .dropped(.disabled) }
        let total = totalTokens ?? completionTokens.map { promptTokens + $0 }
        place.tally?.addTokens(prompt: promptTokens, completion: completionTokens, total: total)
        var header = Self.leafHeader(place, attributes: attributes)
        if let errorMessage { header.extraFields[EventField.errorMessage.key] = .string(errorMessage) }
        return place.collector.record(ModelInteractionEvent(
            header: header, modelProvider: provider, modelName: model, promptTokens: promptTokens, responseTimeMs: responseTimeMs,
            totalTokens: total, completionTokens: completionTokens, success: success))
    }

    /// Records a `memory_operation` in the task's run and span (or `runID`'s,
    /// or the current explicit run's).
    ///
    /// ```swift
    /// telemetry.recordMemoryOperation(memoryType: "episodic", backend: "redis", operation: "retrieve",
    ///                                 operationTimeMs: 3, cacheHit: true)
    /// ```
    @discardableResult
    public func recordMemoryOperation(memoryType: String, backend: String, operation: String, operationTimeMs: Double,
                                      success: Bool? = true, cacheHit: Bool? = nil, attributes: [String: TelemetryValue] = [:],
                                      runID: RunID? = nil) -> TelemetryCollector.RecordResult {
        guard let place = placement(runID: runID) else { return .dropped(.disabled) }
        return place.collector.record(MemoryOperationEvent(
            header: Self.leafHeader(place, attributes: attributes), memoryType: memoryType, memoryBackend: backend,
            operationType: operation, operationTimeMs: operationTimeMs, success: success, cacheHit: cacheHit))
    }

    /// Records a `routing_decision` in the task's run and span (or `runID`'s,
    /// or the current explicit run's).
    ///
    /// ```swift
    /// telemetry.recordRoutingDecision(query: "Why did the build fail?", selectedAgent: "research_agent",
    ///                                 strategy: "semantic_similarity", confidence: 0.87, routingTimeMs: 12,
    ///                                 candidates: ["research_agent", "support_agent"])
    /// ```
    @discardableResult
    public func recordRoutingDecision(query: String, selectedAgent: String, strategy: String, confidence: Double,
                                      routingTimeMs: Double? = nil, candidates: [String]? = nil,
                                      attributes: [String: TelemetryValue] = [:], runID: RunID? = nil) -> TelemetryCollector.RecordResult {
        guard let place = placement(runID: runID) else { return .dropped(.disabled) }
        return place.collector.record(RoutingDecisionEvent(
            header: Self.leafHeader(place, attributes: attributes), query: query, selectedAgent: selectedAgent,
            routingStrategy: strategy, confidenceScore: confidence, routingTimeMs: routingTimeMs, candidateAgents: candidates))
    }

    // MARK: Headers

    /// The header of an event that is its span's own record: the span's ids, run and session.
    static func header(_ span: CollectorSpan, at nanoseconds: Int64) -> EventHeader {
        EventHeader(eventID: "", timestamp: nanoseconds, sessionID: span.sessionID, runID: span.runID,
                    traceID: span.spanContext.traceID, spanID: span.spanContext.spanID, parentSpanID: span.spanContext.parentSpanID)
    }

    /// The header of a point event: a span id of its own under the enclosing
    /// span (none, and no trace, outside any span).
    static func leafHeader(_ place: Placement, attributes: [String: TelemetryValue]) -> EventHeader {
        var header = EventHeader(eventID: "", timestamp: 0, sessionID: place.sessionID, runID: place.runID?.rawValue, attributes: attributes)
        if let parent = place.parent {
            header.traceID = parent.traceID
            header.spanID = TraceIdentifiers.spanID()
            header.parentSpanID = parent.spanID
        }
        return header
    }
}
