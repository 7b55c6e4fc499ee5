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

    /// Opens the object and writes the common fields; `type` is the
    /// `event_type` value as a JSON string literal (`"agent_run"`).
    ///
    /// The object opens with the first member as every other, `,"event_id":`
    /// (one copy of the schema's static bytes); ``finish(_:into:)`` turns
    /// that comma into the `{`.
    @inline(__always)
    func writeOpening(_ w: inout JSONWriter, type: StaticString) {
        w.member(.eventID)
        w.string(eventID)
        w.member(.eventType)
        w.raw(type)
        w.member(.timestamp)
        w.timestamp(timestamp)
        w.member(.sessionID)
        w.string(sessionID)
        if let runID {
            w.member(.runID)
            w.string(runID)
        }
        if let traceID {
            w.member(.traceID)
            w.hex(traceID.high, traceID.low)
        }
        if let spanID {
            w.member(.spanID)
            w.hex(spanID.value)
        }
        if let parentSpanID {
            w.member(.parentSpanID)
            w.hex(parentSpanID.value)
        }
    }

    /// Writes the attributes and the unknown fields and closes the object.
    /// An unknown field is skipped when the event wrote a field of that name
    /// (`event` says which of its own fields it wrote).
    @inline(__always)
    func writeClosing<E: TypedFields>(_ w: inout JSONWriter, event: E) {
        if !attributes.isEmpty {
            w.member(.attributes)
            w.byte(0x7B)
            w.members(attributes, first: true)
            w.byte(0x7D)
        }
        if !extraFields.isEmpty {
            var skipped: Set<String> = []
            for key in extraFields.keys {
                let field = EventField(key: key)
                if writesCommon(field) || event.writesField(field) { skipped.insert(key) }
            }
            w.members(extraFields, first: false, skipping: skipped)
        }
        w.byte(0x7D)
    }

    /// Appends what `w` wrote to `buffer`, the object's first byte made `{`
    /// (see ``writeOpening(_:type:)``).
    @inline(__always)
    func finish(_ w: JSONWriter, into buffer: inout [UInt8]) {
        let start = buffer.count
        w.finish(into: &buffer)
        buffer[start] = 0x7B
    }

    /// Whether the object ends with attributes or unknown fields.
    @inline(__always)
    var hasTrailingFields: Bool { !attributes.isEmpty || !extraFields.isEmpty }

    /// Whether the common part of the encoding writes `field` (nil: a key the
    /// schema does not know).
    func writesCommon(_ field: EventField?) -> Bool {
        switch field {
        case .eventID?, .eventType?, .timestamp?, .sessionID?: true
        case .runID?: runID != nil
        case .traceID?: traceID != nil
        case .spanID?: spanID != nil
        case .parentSpanID?: parentSpanID != nil
        case .attributes?: !attributes.isEmpty
        default: false
        }
    }
}

/// An event type's knowledge of which of its own fields its encoding writes.
protocol TypedFields {
    /// Whether encoding writes `field` (other than the common ones); nil is
    /// a key the schema does not know.
    func writesField(_ field: EventField?) -> Bool
}

extension AgentRunEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 6 * JSONWriter.numberBound + JSONWriter.bound(agentName) + JSONWriter.bound(agentType)
            + JSONWriter.bound(status.rawValue) + JSONWriter.bound(userQuery) + JSONWriter.bound(toolsUsed)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, type: #""agent_run""#)
        w.member(.agentName)
        w.string(agentName)
        w.member(.agentType)
        w.string(agentType)
        w.member(.status)
        w.string(status.rawValue)
        if let userQuery {
            w.member(.userQuery)
            w.string(userQuery)
        }
        if let confidenceScore {
            w.member(.confidenceScore)
            w.number(confidenceScore)
        }
        if let toolsUsed {
            w.member(.toolsUsed)
            w.stringArray(toolsUsed)
        }
        if let totalTokens {
            w.member(.totalTokens)
            w.integer(Int64(totalTokens))
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .agentName?, .agentType?, .status?: true
        case .userQuery?: userQuery != nil
        case .confidenceScore?: confidenceScore != nil
        case .toolsUsed?: toolsUsed != nil
        case .totalTokens?: totalTokens != nil
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
        header.writeOpening(&w, type: #""tool_execution""#)
        w.member(.toolName)
        w.string(toolName)
        w.member(.toolType)
        w.string(toolType.rawValue)
        w.member(.status)
        w.string(status.rawValue)
        if let executionTimeMs {
            w.member(.executionTimeMs)
            w.number(executionTimeMs)
        }
        if let success {
            w.member(.success)
            w.bool(success)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .toolName?, .toolType?, .status?: true
        case .executionTimeMs?: executionTimeMs != nil
        case .success?: success != nil
        default: false
        }
    }
}

extension ModelInteractionEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + 8 * JSONWriter.numberBound + JSONWriter.bound(modelProvider.rawValue) + JSONWriter.bound(modelName)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, type: #""model_interaction""#)
        w.member(.modelProvider)
        w.string(modelProvider.rawValue)
        w.member(.modelName)
        w.string(modelName)
        w.member(.promptTokens)
        w.integer(Int64(promptTokens))
        w.member(.responseTimeMs)
        w.number(responseTimeMs)
        if let totalTokens {
            w.member(.totalTokens)
            w.integer(Int64(totalTokens))
        }
        if let completionTokens {
            w.member(.completionTokens)
            w.integer(Int64(completionTokens))
        }
        if let success {
            w.member(.success)
            w.bool(success)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .modelProvider?, .modelName?, .promptTokens?, .responseTimeMs?: true
        case .totalTokens?: totalTokens != nil
        case .completionTokens?: completionTokens != nil
        case .success?: success != nil
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
        header.writeOpening(&w, type: #""memory_operation""#)
        w.member(.memoryType)
        w.string(memoryType)
        w.member(.memoryBackend)
        w.string(memoryBackend)
        w.member(.operationType)
        w.string(operationType)
        w.member(.operationTimeMs)
        w.number(operationTimeMs)
        if let success {
            w.member(.success)
            w.bool(success)
        }
        if let cacheHit {
            w.member(.cacheHit)
            w.bool(cacheHit)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .memoryType?, .memoryBackend?, .operationType?, .operationTimeMs?: true
        case .success?: success != nil
        case .cacheHit?: cacheHit != nil
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
        header.writeOpening(&w, type: #""routing_decision""#)
        w.member(.query)
        w.string(query)
        w.member(.selectedAgent)
        w.string(selectedAgent)
        w.member(.routingStrategy)
        w.string(routingStrategy)
        w.member(.confidenceScore)
        w.number(confidenceScore)
        if let routingTimeMs {
            w.member(.routingTimeMs)
            w.number(routingTimeMs)
        }
        if let candidateAgents {
            w.member(.candidateAgents)
            w.stringArray(candidateAgents)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .query?, .selectedAgent?, .routingStrategy?, .confidenceScore?: true
        case .routingTimeMs?: routingTimeMs != nil
        case .candidateAgents?: candidateAgents != nil
        default: false
        }
    }
}

extension SpanStartEvent: TypedFields {
    /// Appends the event's JSON object (no trailing newline) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        let bound = header.jsonBound + JSONWriter.bound(name) + JSONWriter.bound(kind)
        var w = JSONWriter(bound: bound)
        header.writeOpening(&w, type: #""span_start""#)
        w.member(.name)
        w.string(name)
        if let kind {
            w.member(.kind)
            w.string(kind)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .name?: true
        case .kind?: kind != nil
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
        header.writeOpening(&w, type: #""span_end""#)
        w.member(.name)
        w.string(name)
        w.member(.status)
        w.string(status)
        if let durationMs {
            w.member(.durationMs)
            w.number(durationMs)
        }
        if let errorMessage {
            w.member(.errorMessage)
            w.string(errorMessage)
        }
        if header.hasTrailingFields { header.writeClosing(&w, event: self) } else { w.byte(0x7D) }
        header.finish(w, into: &buffer)
    }

    func writesField(_ field: EventField?) -> Bool {
        switch field {
        case .name?, .status?: true
        case .durationMs?: durationMs != nil
        case .errorMessage?: errorMessage != nil
        default: false
        }
    }
}

extension JSONWriter {
    /// Writes `,"key":` for `field`: one copy of static bytes, as cheap as
    /// the literal it replaces (a constant where the field is one).
    @inline(__always)
    mutating func member(_ field: EventField) {
        raw(field.staticMember)
    }
}
