import CSimdJSON
#if canImport(Glibc)
import Glibc
import TorqEvents
import TorqJSON
#endif

/// Adds up telemetry events one at a time, in bounded memory, into a
/// ``TelemetrySummary`` (see there for every definition).
///
/// Give it each event's JSON with ``add(json:)`` — typically straight from
/// `StoreReader.forEach` — then ask for ``summary()``. Nothing is kept per
/// event: each is parsed with simdjson (no Foundation tree) and its fields
/// are read in one pass. Memory is bounded whatever the number of events:
/// - durations go into fixed-size HDR histograms (about 15 KiB each, see
///   ``DurationStats``);
/// - each table keeps at most ``Limits/timedNames`` (tools, models, memory
///   type/operation pairs: they have histograms) or ``Limits/countedNames``
///   (event types, providers, routing strategies) distinct names, the rest
///   add up in an `(other)` row; names are cut to 256 bytes;
/// - runs and sessions are counted exactly up to ``Limits/exactDistinct``
///   distinct ids (by 64-bit hash), then estimated with a 16 KiB
///   HyperLogLog sketch (±0.8%), which ``DistinctCount`` says.
///
/// With the default limits the worst case (hostile data with thousands of
/// distinct timed names) stays under about 50 MB; real telemetry with a
/// few dozen tools and models needs well under 10 MB.
///
/// Not thread-safe: one aggregator per thread (it owns a parser).
public struct TelemetryAggregator: ~Copyable {
    /// How many distinct names and ids the aggregator keeps.
    public struct Limits: Sendable, Hashable {
        /// Distinct names per table with durations — tools, provider/model
        /// pairs, memory type/operation pairs (default 1,000).
        public var timedNames: Int
        /// Distinct names per other table — event types, providers, routing
        /// strategies (default 10,000).
        public var countedNames: Int
        /// Distinct run ids, and distinct session ids, counted exactly before
        /// switching to an estimate (default 100,000).
        public var exactDistinct: Int

        /// Limits; each at least 1 (0 for `exactDistinct`: always estimate).
        public init(timedNames: Int = 1_000, countedNames: Int = 10_000, exactDistinct: Int = 100_000) {
            self.timedNames = max(1, timedNames)
            self.countedNames = max(1, countedNames)
            self.exactDistinct = max(0, exactDistinct)
        }
    }

    /// Names longer than this many bytes are cut (at a UTF-8 boundary) and marked `…`.
    public static let maxNameBytes = 256

    private var parser: JSONLineParser
    private var fields = EventFields()
    /// A copy of the event with the parser's padding after it.
    private var buffer: UnsafeMutableRawPointer
    private var bufferCapacity: Int
    /// Where keys of the name tables are built: two encoded names at most.
    private let key: UnsafeMutableRawPointer
    private static let keyCapacity = 2 * (5 + maxNameBytes)
    private static let defaultBufferCapacity = 64 << 10

    private var records = 0
    private var events = 0
    private var unparsableReasons: [String: Int] = [:]
    private var runs: DistinctCounter
    private var sessions: DistinctCounter
    private var withoutRunID = 0
    private var withoutSessionID = 0
    private var firstTimestamp: Int64?
    private var lastTimestamp: Int64?
    private var withoutTimestamp = 0
    private var withStatus = 0
    private var errors = 0
    private var invalid = [Int](repeating: 0, count: SummaryField.allCases.count)
    private var types: NameTable<Tally.EventType>
    private var tools: NameTable<Tally.Tool>
    private var models: NameTable<Tally.Model>
    private var providers: NameTable<Tally.Provider>
    private var memory: NameTable<Tally.Memory>
    private var routing: NameTable<Tally.Routing>

    /// An empty aggregator. Throws `.outOfMemory` when the parser cannot be allocated.
    public init(limits: Limits = Limits()) throws(TelemetryError) {
        let parser = EventKeys.parser(maxLineLength: EventValidator.maxEventLength)
        guard parser.handle != nil else {
            throw TelemetryError(.outOfMemory, "cannot allocate the JSON parser")
        }
        self.parser = parser
        bufferCapacity = Self.defaultBufferCapacity
        buffer = .allocate(byteCount: bufferCapacity + JSONLineParser.requiredPadding, alignment: 64)
        key = .allocate(byteCount: Self.keyCapacity, alignment: 8)
        runs = DistinctCounter(exactLimit: limits.exactDistinct)
        sessions = DistinctCounter(exactLimit: limits.exactDistinct)
        types = NameTable(capacity: limits.countedNames, empty: Tally.EventType())
        tools = NameTable(capacity: limits.timedNames, empty: Tally.Tool())
        models = NameTable(capacity: limits.timedNames, empty: Tally.Model())
        providers = NameTable(capacity: limits.countedNames, empty: Tally.Provider())
        memory = NameTable(capacity: limits.timedNames, empty: Tally.Memory())
        routing = NameTable(capacity: limits.countedNames, empty: Tally.Routing())
    }

    deinit {
        buffer.deallocate()
        key.deallocate()
    }

    /// Records looked at so far.
    public var recordCount: Int { records }

    /// Adds one record: the JSON text of one event (no padding needed; it is
    /// copied). A record that is not a JSON object — invalid JSON or UTF-8,
    /// another JSON value, empty, longer than 16 MiB — is counted as
    /// unparsable with its reason.
    public mutating func add(json bytes: UnsafeRawBufferPointer) {
        records += 1
        let info = parse(bytes)
        guard Int(info.error) == TQ_JSON_OK else {
            unparsableReasons[Self.reason(info), default: 0] += 1
            return
        }
        events += 1
        fields.read(from: parser)
        var bad = SummaryFieldSet()
        let type = fields.string(.eventType, &bad)

        // Status.
        let status = fields.string(.status, &bad)
        let success = fields.bool(.success, &bad)
        let hasStatus = status != nil || success != nil
        let isError = success == false || status.map(Self.isErrorStatus) == true
        if hasStatus { withStatus += 1 }
        if isError { errors += 1 }

        // Ids and time.
        if let run = fields.string(.runID, &bad) { runs.insert(run) } else { withoutRunID += 1 }
        if let session = fields.string(.sessionID, &bad) { sessions.insert(session) } else { withoutSessionID += 1 }
        if let time = fields.timestamp(.timestamp, &bad) {
            if firstTimestamp.map({ time < $0 }) ?? true { firstTimestamp = time }
            if lastTimestamp.map({ time > $0 }) ?? true { lastTimestamp = time }
        } else {
            withoutTimestamp += 1
        }

        types.update(encode(type), make: { Tally.EventType(name: Self.name(type)) }) { t in
            t.events += 1
            if hasStatus { t.withStatus += 1 }
            if isError { t.errors += 1 }
        }

        if let type {
            switch Kind(type) {
            case .tool: addTool(hasStatus: hasStatus, isError: isError, &bad)
            case .model: addModel(hasStatus: hasStatus, isError: isError, &bad)
            case .memory: addMemory(hasStatus: hasStatus, isError: isError, &bad)
            case .routing: addRouting(&bad)
            case .other: break
            }
        }
        if !bad.isEmpty {
            for field in SummaryField.allCases where bad.contains(field) { invalid[field.rawValue] += 1 }
        }
    }

    /// The summary of every record added so far (the aggregator can go on
    /// adding afterwards).
    public func summary() -> TelemetrySummary {
        func rows<Entry, Row>(_ table: NameTable<Entry>, _ row: (Entry, Bool) -> Row) -> [Row] {
            var out = table.entries.map { row($0, false) }
            if table.otherUsed { out.append(row(table.other, true)) }
            return out
        }
        func byCount<Row>(_ rows: [Row], _ count: (Row) -> Int, _ name: (Row) -> String) -> [Row] {
            rows.enumerated().sorted { a, b in
                let (ca, cb) = (count(a.element), count(b.element))
                if ca != cb { return ca > cb }
                let (na, nb) = (name(a.element), name(b.element))
                return na != nb ? na < nb : a.offset < b.offset
            }.map(\.element)
        }
        func label(_ names: String?..., other: Bool) -> String {
            other ? "\u{10FFFF}" : names.map { $0 ?? "" }.joined(separator: "\u{0}")
        }
        var invalidFields: [String: Int] = [:]
        for field in SummaryField.allCases where invalid[field.rawValue] > 0 { invalidFields[field.name] = invalid[field.rawValue] }
        return TelemetrySummary(
            records: records, events: events, unparsableReasons: unparsableReasons,
            runs: runs.count, eventsWithoutRunID: withoutRunID,
            sessions: sessions.count, eventsWithoutSessionID: withoutSessionID,
            firstTimestamp: firstTimestamp, lastTimestamp: lastTimestamp, eventsWithoutTimestamp: withoutTimestamp,
            eventsWithStatus: withStatus, errors: errors,
            eventTypes: byCount(rows(types) { $0.row(isOther: $1) }, \.events) { label($0.name, other: $0.isOther) },
            tools: byCount(rows(tools) { $0.row(isOther: $1) }, \.calls) { label($0.name, other: $0.isOther) },
            models: byCount(rows(models) { $0.row(isOther: $1) }, \.calls) { label($0.provider, $0.model, other: $0.isOther) },
            providers: byCount(rows(providers) { $0.row(isOther: $1) }, \.totalTokens) { label($0.provider, other: $0.isOther) },
            memory: byCount(rows(memory) { $0.row(isOther: $1) }, \.operations) {
                label($0.memoryType, $0.operationType, other: $0.isOther)
            },
            routing: byCount(rows(routing) { $0.row(isOther: $1) }, \.decisions) { label($0.strategy, other: $0.isOther) },
            invalidFields: invalidFields)
    }

    // MARK: - Event types

    /// The event types with tables of their own.
    private enum Kind {
        case tool, model, memory, routing, other

        @inline(__always)
        init(_ type: UnsafeRawBufferPointer) {
            @inline(__always) func equals(_ text: StaticString) -> Bool {
                guard let base = type.baseAddress else { return false }
                return memcmp(base, text.utf8Start, type.count) == 0
            }
            switch type.count {
            case 14: self = equals("tool_execution") ? .tool : .other
            case 16: self = equals("memory_operation") ? .memory : equals("routing_decision") ? .routing : .other
            case 17: self = equals("model_interaction") ? .model : .other
            default: self = .other
            }
        }
    }

    private mutating func addTool(hasStatus: Bool, isError: Bool, _ bad: inout SummaryFieldSet) {
        let name = fields.string(.toolName, &bad)
        let duration = fields.milliseconds(.executionTime, &bad)
        tools.update(encode(name), make: { Tally.Tool(name: Self.name(name)) }) { t in
            t.calls += 1
            if hasStatus { t.withStatus += 1 }
            if isError { t.errors += 1 }
            if let duration { t.duration.record(milliseconds: duration) }
        }
    }

    private mutating func addModel(hasStatus: Bool, isError: Bool, _ bad: inout SummaryFieldSet) {
        let provider = fields.string(.modelProvider, &bad)
        let model = fields.string(.modelName, &bad)
        let prompt = fields.tokens(.promptTokens, &bad)
        let completion = fields.tokens(.completionTokens, &bad)
        let total = fields.tokens(.totalTokens, &bad)
        let duration = fields.milliseconds(.responseTime, &bad)
        models.update(encode(provider, model), make: { Tally.Model(provider: Self.name(provider), model: Self.name(model)) }) { m in
            m.calls += 1
            if hasStatus { m.withStatus += 1 }
            if isError { m.errors += 1 }
            m.tokens.add(prompt: prompt, completion: completion, total: total)
            if let duration { m.duration.record(milliseconds: duration) }
        }
        providers.update(encode(provider), make: { Tally.Provider(provider: Self.name(provider)) }) { p in
            p.calls += 1
            p.tokens.add(prompt: prompt, completion: completion, total: total)
        }
    }

    private mutating func addMemory(hasStatus: Bool, isError: Bool, _ bad: inout SummaryFieldSet) {
        let memoryType = fields.string(.memoryType, &bad)
        let operation = fields.string(.operationType, &bad)
        let cacheHit = fields.bool(.cacheHit, &bad)
        let duration = fields.milliseconds(.operationTime, &bad)
        memory.update(encode(memoryType, operation),
                      make: { Tally.Memory(memoryType: Self.name(memoryType), operationType: Self.name(operation)) }) { m in
            m.operations += 1
            if hasStatus { m.withStatus += 1 }
            if isError { m.errors += 1 }
            if let cacheHit {
                m.cacheKnown += 1
                if cacheHit { m.cacheHits += 1 }
            }
            if let duration { m.duration.record(milliseconds: duration) }
        }
    }

    private mutating func addRouting(_ bad: inout SummaryFieldSet) {
        let strategy = fields.string(.routingStrategy, &bad)
        let confidence = fields.score(.confidenceScore, &bad)
        routing.update(encode(strategy), make: { Tally.Routing(strategy: Self.name(strategy)) }) { r in
            r.decisions += 1
            if let confidence {
                r.scored += 1
                r.confidenceSum += confidence
            }
        }
    }

    // MARK: - Helpers

    /// Parses `bytes` from a padded copy.
    private mutating func parse(_ bytes: UnsafeRawBufferPointer) -> tq_json_object_info {
        let n = bytes.count
        if n > bufferCapacity {
            // An event larger than the buffer: a buffer of its own size (at
            // most the parser's limit plus one byte, which it then refuses).
            let size = min(n, EventValidator.maxEventLength + 1)
            let big = UnsafeMutableRawPointer.allocate(byteCount: size + JSONLineParser.requiredPadding, alignment: 64)
            defer { big.deallocate() }
            if let base = bytes.baseAddress { big.copyMemory(from: base, byteCount: size) }
            return parser.parseRaw(UnsafeRawBufferPointer(start: big, count: size))
        }
        if let base = bytes.baseAddress, n > 0 { buffer.copyMemory(from: base, byteCount: n) }
        return parser.parseRaw(UnsafeRawBufferPointer(start: buffer, count: n))
    }

    /// Whether a status names a failure: `error`, `failed`, `failure`, `timeout`, in any ASCII case.
    @inline(__always)
    static func isErrorStatus(_ status: UnsafeRawBufferPointer) -> Bool {
        @inline(__always) func equals(_ text: StaticString) -> Bool {
            let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            for i in 0..<status.count where status[i] | 0x20 != expected[i] { return false }
            return true
        }
        switch status.count {
        case 5: return equals("error")
        case 6: return equals("failed")
        case 7: return equals("failure") || equals("timeout")
        default: return false
        }
    }

    /// The length of `name` cut to ``maxNameBytes`` at a UTF-8 boundary.
    @inline(__always)
    private static func cutLength(_ name: UnsafeRawBufferPointer) -> Int {
        guard name.count > maxNameBytes else { return name.count }
        var n = maxNameBytes
        while n > 0, name[n] & 0xC0 == 0x80 { n -= 1 }
        return n
    }

    /// The display name of a name field: nil when missing, cut and marked `…` when long.
    private static func name(_ bytes: UnsafeRawBufferPointer?) -> String? {
        guard let bytes else { return nil }
        let n = cutLength(bytes)
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<n]), as: UTF8.self)
        return n < bytes.count ? text + "…" : text
    }

    /// Writes one name into the key at `offset`: 0 for missing, else 1, the
    /// cut length (4 bytes) and the bytes. Returns the new offset.
    @inline(__always)
    private func put(_ name: UnsafeRawBufferPointer?, at offset: Int) -> Int {
        guard let name else {
            key.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
            return offset + 1
        }
        let n = Self.cutLength(name)
        key.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        key.storeBytes(of: UInt32(n).littleEndian, toByteOffset: offset + 1, as: UInt32.self)
        if let base = name.baseAddress, n > 0 { (key + offset + 5).copyMemory(from: base, byteCount: n) }
        return offset + 5 + n
    }

    /// The table key of one name.
    @inline(__always)
    private func encode(_ name: UnsafeRawBufferPointer?) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: key, count: put(name, at: 0))
    }

    /// The table key of two names.
    @inline(__always)
    private func encode(_ first: UnsafeRawBufferPointer?, _ second: UnsafeRawBufferPointer?) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: key, count: put(second, at: put(first, at: 0)))
    }

    /// A stable, bounded description of why a record is not a JSON object.
    private static func reason(_ info: tq_json_object_info) -> String {
        switch Int(info.error) {
        case TQ_JSON_EMPTY: "empty"
        case TQ_JSON_NOT_AN_OBJECT: "not a JSON object"
        case TQ_JSON_INVALID_UTF8: "invalid UTF-8"
        case TQ_JSON_BOM: "byte order mark"
        case TQ_JSON_TOO_DEEP: "nested too deep"
        case TQ_JSON_CAPACITY: "longer than 16 MiB"
        case TQ_JSON_INVALID_JSON, TQ_JSON_TRAILING_CONTENT: "invalid JSON"
        default: "parser failure"
        }
    }
}
