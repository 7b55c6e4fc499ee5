import TorqJSON
// The purpose-built JSON encoder of the event types: one pass, fields in
// schema order, written straight into scratch memory sized beforehand, then
// appended to the caller's buffer with one copy. No Foundation.

extension EventHeader {
    /// The most bytes the common fields, attributes and unknown fields take,
    /// punctuation and `event_type` included.
    @inline(__always)
    var jsonBound: Int {
        var bound = 400 + JSONWriter.bound(eventID) + JSONWriter.bound(sessionID) + JSONWriter.bound(runID)
        if !attributes.isEmpty { bound += JSONWriter.bound(attributes) }
        if !extraFields.isEmpty { bound += JSONWriter.bound(extraFields) }
        return bound
    }

    /// Opens the object and writes the common fields; `typeMember` is the
    /// literal `,"event_type":"..."`.
    @inline(__always)
    func writeOpening(_ w: inout JSONWriter, typeMember: StaticString) {
        w.raw(#"{"event_id":"#)
        w.string(eventID)
        w.raw(typeMember)
        w.raw(#","timestamp":"#)
        w.timestamp(timestamp)
        w.raw(#","session_id":"#)
        w.string(sessionID)
        if let runID {
            w.raw(#","run_id":"#)
            w.string(runID)
        }
        if let traceID {
            w.raw(#","trace_id":"#)
            w.hex(traceID.high, traceID.low)
        }
        if let spanID {
            w.raw(#","span_id":"#)
            w.hex(spanID.value)
        }
        if let parentSpanID {
            w.raw(#","parent_span_id":"#)
            w.hex(parentSpanID.value)
        }
    }

    /// Writes the attributes and the unknown fields and closes the object.
    /// An unknown field is skipped when the event wrote a field of that name
    /// (`event` says which of its own fields it wrote).
    @inline(__always)
    func writeClosing<E: TypedFields>(_ w: inout JSONWriter, event: E) {
        if !attributes.isEmpty {
            w.raw(#","attributes":{"#)
            w.members(attributes, first: true)
            w.byte(0x7D)
        }
        if !extraFields.isEmpty {
            var skipped: Set<String> = []
            for key in extraFields.keys where writesCommon(key) || event.writesField(key) { skipped.insert(key) }
            w.members(extraFields, first: false, skipping: skipped)
        }
        w.byte(0x7D)
    }

    /// Whether the object ends with attributes or unknown fields.
    @inline(__always)
    var hasTrailingFields: Bool { !attributes.isEmpty || !extraFields.isEmpty }

    /// Whether the common part of the encoding writes a field named `key`.
    func writesCommon(_ key: String) -> Bool {
        switch key {
        case "event_id", "event_type", "timestamp", "session_id": true
        case "run_id": runID != nil
        case "trace_id": traceID != nil
        case "span_id": spanID != nil
        case "parent_span_id": parentSpanID != nil
        case "attributes": !attributes.isEmpty
        default: false
        }
    }
}

/// An event type's knowledge of which of its own fields its encoding writes.
protocol TypedFields {
    /// Whether encoding writes a field named `key` (other than the common ones).
    func writesField(_ key: String) -> Bool
}

extension AgentRunEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 6 * JSONWriter.numberBound + JSONWriter.bound(agentName) + JSONWriter.bound(agentType)
            + JSONWriter.bound(status.rawValue) + JSONWriter.bound(userQuery) + JSONWriter.bound(toolsUsed)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"agent_run""#)
        w.raw(#","agent_name":"#)
        w.string(agentName)
        w.raw(#","agent_type":"#)
        w.string(agentType)
        w.raw(#","status":"#)
        w.string(status.rawValue)
        if let userQuery {
            w.raw(#","user_query":"#)
            w.string(userQuery)
        }
        if let confidenceScore {
            w.raw(#","confidence_score":"#)
            w.number(confidenceScore)
        }
        if let toolsUsed {
            w.raw(#","tools_used":"#)
            w.stringArray(toolsUsed)
        }
        if let totalTokens {
            w.raw(#","total_tokens":"#)
            w.integer(Int64(totalTokens))
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "agent_name", "agent_type", "status": true
        case "user_query": userQuery != nil
        case "confidence_score": confidenceScore != nil
        case "tools_used": toolsUsed != nil
        case "total_tokens": totalTokens != nil
        default: false
        }
    }
}

extension ToolExecutionEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 4 * JSONWriter.numberBound + JSONWriter.bound(toolName) + JSONWriter.bound(toolType.rawValue)
            + JSONWriter.bound(status.rawValue)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"tool_execution""#)
        w.raw(#","tool_name":"#)
        w.string(toolName)
        w.raw(#","tool_type":"#)
        w.string(toolType.rawValue)
        w.raw(#","status":"#)
        w.string(status.rawValue)
        if let executionTimeMs {
            w.raw(#","execution_time_ms":"#)
            w.number(executionTimeMs)
        }
        if let success {
            w.raw(#","success":"#)
            w.bool(success)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "tool_name", "tool_type", "status": true
        case "execution_time_ms": executionTimeMs != nil
        case "success": success != nil
        default: false
        }
    }
}

extension ModelInteractionEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 8 * JSONWriter.numberBound + JSONWriter.bound(modelProvider.rawValue) + JSONWriter.bound(modelName)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"model_interaction""#)
        w.raw(#","model_provider":"#)
        w.string(modelProvider.rawValue)
        w.raw(#","model_name":"#)
        w.string(modelName)
        w.raw(#","prompt_tokens":"#)
        w.integer(Int64(promptTokens))
        w.raw(#","response_time_ms":"#)
        w.number(responseTimeMs)
        if let totalTokens {
            w.raw(#","total_tokens":"#)
            w.integer(Int64(totalTokens))
        }
        if let completionTokens {
            w.raw(#","completion_tokens":"#)
            w.integer(Int64(completionTokens))
        }
        if let success {
            w.raw(#","success":"#)
            w.bool(success)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "model_provider", "model_name", "prompt_tokens", "response_time_ms": true
        case "total_tokens": totalTokens != nil
        case "completion_tokens": completionTokens != nil
        case "success": success != nil
        default: false
        }
    }
}

extension MemoryOperationEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 4 * JSONWriter.numberBound + JSONWriter.bound(memoryType) + JSONWriter.bound(memoryBackend)
            + JSONWriter.bound(operationType)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"memory_operation""#)
        w.raw(#","memory_type":"#)
        w.string(memoryType)
        w.raw(#","memory_backend":"#)
        w.string(memoryBackend)
        w.raw(#","operation_type":"#)
        w.string(operationType)
        w.raw(#","operation_time_ms":"#)
        w.number(operationTimeMs)
        if let success {
            w.raw(#","success":"#)
            w.bool(success)
        }
        if let cacheHit {
            w.raw(#","cache_hit":"#)
            w.bool(cacheHit)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "memory_type", "memory_backend", "operation_type", "operation_time_ms": true
        case "success": success != nil
        case "cache_hit": cacheHit != nil
        default: false
        }
    }
}

extension RoutingDecisionEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 4 * JSONWriter.numberBound + JSONWriter.bound(query) + JSONWriter.bound(selectedAgent)
            + JSONWriter.bound(routingStrategy) + JSONWriter.bound(candidateAgents)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"routing_decision""#)
        w.raw(#","query":"#)
        w.string(query)
        w.raw(#","selected_agent":"#)
        w.string(selectedAgent)
        w.raw(#","routing_strategy":"#)
        w.string(routingStrategy)
        w.raw(#","confidence_score":"#)
        w.number(confidenceScore)
        if let routingTimeMs {
            w.raw(#","routing_time_ms":"#)
            w.number(routingTimeMs)
        }
        if let candidateAgents {
            w.raw(#","candidate_agents":"#)
            w.stringArray(candidateAgents)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "query", "selected_agent", "routing_strategy", "confidence_score": true
        case "routing_time_ms": routingTimeMs != nil
        case "candidate_agents": candidateAgents != nil
        default: false
        }
    }
}

extension SpanStartEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + JSONWriter.bound(name) + JSONWriter.bound(kind)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"span_start""#)
        w.raw(#","name":"#)
        w.string(name)
        if let kind {
            w.raw(#","kind":"#)
            w.string(kind)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "name": true
        case "kind": kind != nil
        default: false
        }
    }
}

extension SpanEndEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 2 * JSONWriter.numberBound + JSONWriter.bound(name) + JSONWriter.bound(status)
            + JSONWriter.bound(errorMessage)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, typeMember: #","event_type":"span_end""#)
        w.raw(#","name":"#)
        w.string(name)
        w.raw(#","status":"#)
        w.string(status)
        if let durationMs {
            w.raw(#","duration_ms":"#)
            w.number(durationMs)
        }
        if let errorMessage {
            w.raw(#","error_message":"#)
            w.string(errorMessage)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        w.finish(into: &buffer)
    }

    func writesField(_ key: String) -> Bool {
        switch key {
        case "name", "status": true
        case "duration_ms": durationMs != nil
        case "error_message": errorMessage != nil
        default: false
        }
    }
}
