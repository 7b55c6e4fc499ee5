import TorqJSON

extension AnyTelemetryEvent {
    /// Decodes one JSON event into its typed value.
    ///
    /// The `event_type` picks the type (one of the five, or a span event).
    /// Required fields must be present and fit their Swift type (strings;
    /// integral numbers for token counts; numbers for times and scores; an
    /// RFC 3339 `timestamp` within the years 1678–2262). Optional fields that
    /// do not fit (say `"success": "yes"`) and fields the schema does not know
    /// are kept in `header.extraFields`, so that encoding writes them back.
    /// For a repeated key the first value counts, the others are dropped.
    public init(json: some Sequence<UInt8>) throws(EventDecodingError) {
        let bytes = Array(json)
        let parsed: Result<TelemetryValue, JSONTreeParser.Failure> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONTreeParser.Failure) in try JSONTreeParser.parse(buffer) }
        }
        let root: TelemetryValue
        switch parsed {
        case .success(let value): root = value
        case .failure(let failure):
            throw EventDecodingError(.invalidJSON, "invalid JSON at byte \(failure.offset): \(failure.message)")
        }
        guard case .object(let fields) = root else { throw EventDecodingError(.notAnObject, "not a JSON object") }
        var f = FieldTaker(fields: fields)
        guard case .string(let typeName)? = f.fields[EventField.eventType.key] else {
            throw EventDecodingError(.unknownEventType, field: EventField.eventType.key, "missing or not a string")
        }
        f.fields[EventField.eventType.key] = nil
        let type = EventType(rawValue: typeName)
        guard EventSchema.named(type) != nil else {
            throw EventDecodingError(.unknownEventType, field: EventField.eventType.key, "unknown event type \"\(typeName)\"")
        }
        var header = try f.header()
        switch type {
        case .agentRun:
            let e = AgentRunEvent(
                header: header, agentName: try f.string(.agentName), agentType: try f.string(.agentType),
                status: EventStatus(rawValue: try f.string(.status)), userQuery: f.optionalString(.userQuery),
                confidenceScore: f.optionalDouble(.confidenceScore), toolsUsed: f.optionalStrings(.toolsUsed),
                totalTokens: f.optionalInt(.totalTokens))
            self = .agentRun(f.finish(e))
        case .toolExecution:
            let e = ToolExecutionEvent(
                header: header, toolName: try f.string(.toolName), toolType: ToolType(rawValue: try f.string(.toolType)),
                status: EventStatus(rawValue: try f.string(.status)), executionTimeMs: f.optionalDouble(.executionTimeMs),
                success: f.optionalBool(.success))
            self = .toolExecution(f.finish(e))
        case .modelInteraction:
            let e = ModelInteractionEvent(
                header: header, modelProvider: ModelProvider(rawValue: try f.string(.modelProvider)),
                modelName: try f.string(.modelName), promptTokens: try f.int(.promptTokens),
                responseTimeMs: try f.double(.responseTimeMs), totalTokens: f.optionalInt(.totalTokens),
                completionTokens: f.optionalInt(.completionTokens), success: f.optionalBool(.success))
            self = .modelInteraction(f.finish(e))
        case .memoryOperation:
            let e = MemoryOperationEvent(
                header: header, memoryType: try f.string(.memoryType), memoryBackend: try f.string(.memoryBackend),
                operationType: try f.string(.operationType), operationTimeMs: try f.double(.operationTimeMs),
                success: f.optionalBool(.success), cacheHit: f.optionalBool(.cacheHit))
            self = .memoryOperation(f.finish(e))
        case .routingDecision:
            let e = RoutingDecisionEvent(
                header: header, query: try f.string(.query), selectedAgent: try f.string(.selectedAgent),
                routingStrategy: try f.string(.routingStrategy), confidenceScore: try f.double(.confidenceScore),
                routingTimeMs: f.optionalDouble(.routingTimeMs), candidateAgents: f.optionalStrings(.candidateAgents))
            self = .routingDecision(f.finish(e))
        default:
            guard let traceID = header.traceID, let spanID = header.spanID else {
                throw EventDecodingError(.missingField, field: (header.traceID == nil ? EventField.traceID : .spanID).key,
                                         "a span event needs a valid \(EventField.traceID) and \(EventField.spanID)")
            }
            let parent = header.parentSpanID
            header.traceID = nil
            header.spanID = nil
            header.parentSpanID = nil
            if type == .spanStart {
                let e = SpanStartEvent(header: header, traceID: traceID, spanID: spanID, parentSpanID: parent,
                                       name: try f.string(.name), kind: f.optionalString(.kind))
                self = .spanStart(f.finish(e))
            } else {
                let e = SpanEndEvent(header: header, traceID: traceID, spanID: spanID, parentSpanID: parent,
                                     name: try f.string(.name), status: try f.string(.status),
                                     durationMs: f.optionalDouble(.durationMs), errorMessage: f.optionalString(.errorMessage))
                self = .spanEnd(f.finish(e))
            }
        }
    }

    /// Decodes one JSON event from a string; see ``init(json:)-(Sequence<UInt8>)``.
    public init(json: String) throws(EventDecodingError) {
        try self.init(json: json.utf8)
    }
}

/// Takes the known fields out of a decoded object; what is left over becomes
/// the event's `extraFields`.
private struct FieldTaker {
    var fields: [String: TelemetryValue]

    mutating func header() throws(EventDecodingError) -> EventHeader {
        let eventID = try string(.eventID)
        let stamp = try string(.timestamp)
        guard RFC3339Syntax.isValid(stamp), let nanoseconds = RFC3339.parseNanoseconds(stamp) else {
            throw EventDecodingError(.invalidField, field: EventField.timestamp.key, "not an RFC 3339 timestamp within 1678–2262: \"\(stamp)\"")
        }
        let sessionID = try string(.sessionID)
        var header = EventHeader(eventID: eventID, timestamp: nanoseconds, sessionID: sessionID)
        header.runID = optionalString(.runID)
        header.traceID = take(EventField.traceID.key) { if case .string(let s) = $0 { TraceID(hex: s) } else { nil } }
        header.spanID = take(EventField.spanID.key) { if case .string(let s) = $0 { SpanID(hex: s) } else { nil } }
        header.parentSpanID = take(EventField.parentSpanID.key) { if case .string(let s) = $0 { SpanID(hex: s) } else { nil } }
        header.attributes = take(EventField.attributes.key) { if case .object(let o) = $0 { o } else { nil } } ?? [:]
        return header
    }

    /// Moves the leftover fields into the event's header.
    mutating func finish<E: TelemetryEvent>(_ event: E) -> E {
        var event = event
        event.header.extraFields = fields
        fields = [:]
        return event
    }

    /// Removes and returns `key` converted by `convert`; leaves it when it does not convert.
    private mutating func take<T>(_ key: String, _ convert: (TelemetryValue) -> T?) -> T? {
        guard let value = fields[key], let converted = convert(value) else { return nil }
        fields[key] = nil
        return converted
    }

    private mutating func required<T>(_ key: String, _ expected: String, _ convert: (TelemetryValue) -> T?) throws(EventDecodingError) -> T {
        switch fields[key] {
        case nil, .null?:
            throw EventDecodingError(.missingField, field: key, "missing or null")
        case let value?:
            guard let converted = convert(value) else { throw EventDecodingError(.invalidField, field: key, "expected \(expected)") }
            fields[key] = nil
            return converted
        }
    }

    mutating func string(_ field: EventField) throws(EventDecodingError) -> String {
        try required(field.key, "a string") { if case .string(let s) = $0 { s } else { nil } }
    }

    mutating func int(_ field: EventField) throws(EventDecodingError) -> Int {
        try required(field.key, "an integer", Self.integer)
    }

    mutating func double(_ field: EventField) throws(EventDecodingError) -> Double {
        try required(field.key, "a number", Self.number)
    }

    mutating func optionalString(_ field: EventField) -> String? {
        take(field.key) { if case .string(let s) = $0 { s } else { nil } }
    }

    mutating func optionalInt(_ field: EventField) -> Int? { take(field.key, Self.integer) }

    mutating func optionalDouble(_ field: EventField) -> Double? { take(field.key, Self.number) }

    mutating func optionalBool(_ field: EventField) -> Bool? {
        take(field.key) { if case .bool(let b) = $0 { b } else { nil } }
    }

    mutating func optionalStrings(_ field: EventField) -> [String]? {
        take(field.key) { value -> [String]? in
            guard case .array(let elements) = value else { return nil }
            var strings: [String] = []
            for element in elements {
                guard case .string(let s) = element else { return nil }
                strings.append(s)
            }
            return strings
        }
    }

    static func integer(_ value: TelemetryValue) -> Int? {
        switch value {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }

    static func number(_ value: TelemetryValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}
