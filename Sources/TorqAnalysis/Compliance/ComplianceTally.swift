import CSimdJSON
import TorqEvents

/// The running counts of a scan (one per worker thread, merged at the end).
///
/// Counting a compliant event touches two counters; only fields that fail
/// are counted one by one, so the common case costs almost nothing.
struct ComplianceTally {
    static let tableCount = FieldTable.all.count
    private static let statusStride = 8
    private static let slotStride = FieldTable.maxSlots * statusStride

    var total = 0
    var compliant = 0
    var typeEvents = [Int](repeating: 0, count: tableCount)
    var typeCompliant = [Int](repeating: 0, count: tableCount)
    /// [table][slot][status] counts of non-ok statuses.
    var problems = [Int](repeating: 0, count: tableCount * FieldTable.maxSlots * 8)
    var notObjects = 0
    /// `span_start`/`span_end` events: tracing records, outside the rule.
    var spanEvents = 0
    /// Events per unknown `event_type` string, for the first ``maxUnknownNames`` names.
    var unknownTypeNames: [String: Int] = [:]
    /// Events with an unknown type name beyond the first ``maxUnknownNames``.
    var otherUnknownTypes = 0
    /// The earliest non-compliant events (by source, then position), at most `maxExamples`.
    var examples: [Example] = []
    let maxExamples: Int

    static let maxUnknownNames = 64

    /// A non-compliant event kept as an example, with its sort key.
    struct Example {
        var source: Int
        var position: UInt64
        var event: NonCompliantEvent

        func precedes(_ other: Example) -> Bool {
            (source, position) < (other.source, other.position)
        }
    }

    init(maxExamples: Int) {
        self.maxExamples = max(0, maxExamples)
    }

    /// Counts a checked object. `typeName` gives the `event_type` bytes;
    /// `location` is only called when the event becomes an example.
    @inline(__always)
    mutating func add(_ check: ObjectCheck, typeName: tq_json_key, source: Int, position: UInt64,
                      location: () -> EventLocation) {
        if check.table == FieldTable.unknownIndex, Self.isSpanEvent(typeName) {
            spanEvents += 1
            return
        }
        total += 1
        typeEvents[check.table] += 1
        if check.isCompliant {
            compliant += 1
            typeCompliant[check.table] += 1
        }
        let table = FieldTable.all[check.table]
        if !check.statuses.allOK(upTo: table.slotCount) {
            let base = check.table * Self.slotStride
            for slot in 0..<table.slotCount {
                let status = check.statuses[slot]
                if status != .ok { problems[base + slot * Self.statusStride + Int(status.rawValue)] += 1 }
            }
        }
        if check.table == FieldTable.unknownIndex, Int(typeName.kind) == TQ_JSON_KEY_STRING {
            countUnknownType(typeName)
        }
        if !check.isCompliant, admits(source: source, position: position) {
            let name = Self.string(typeName)
            var issues: [FieldIssue] = []
            for slot in 0..<table.requiredCount {
                guard let reason = check.statuses[slot].reason else { continue }
                let field = table.fields[slot]
                let detail: String = switch reason {
                case .unknownEventType: "\"\(name ?? "")\""
                case .missing, .null: ""
                default: "expected " + field.kind.expectation
                }
                issues.append(FieldIssue(field: field.name, reason: reason, detail: detail))
            }
            insert(Example(source: source, position: position,
                           event: NonCompliantEvent(location: location(), eventType: name.map(EventType.init(rawValue:)), issues: issues)))
        }
    }

    /// Counts a line or record that is not a JSON object.
    mutating func addNotObject(reason: @autoclosure () -> String, source: Int, position: UInt64, location: () -> EventLocation) {
        total += 1
        notObjects += 1
        if admits(source: source, position: position) {
            insert(Example(source: source, position: position,
                           event: NonCompliantEvent(location: location(), eventType: nil,
                                                    issues: [FieldIssue(field: "", reason: .notAnObject, detail: reason())])))
        }
    }

    /// Events of table `table` whose slot `slot` has `status`.
    func count(table: Int, slot: Int, status: FieldStatus) -> Int {
        problems[table * Self.slotStride + slot * Self.statusStride + Int(status.rawValue)]
    }

    /// Adds `other`'s counts to these.
    mutating func merge(_ other: ComplianceTally) {
        total += other.total
        compliant += other.compliant
        notObjects += other.notObjects
        spanEvents += other.spanEvents
        for i in typeEvents.indices {
            typeEvents[i] += other.typeEvents[i]
            typeCompliant[i] += other.typeCompliant[i]
        }
        for i in problems.indices { problems[i] += other.problems[i] }
        for (name, n) in other.unknownTypeNames.sorted(by: { $0.key < $1.key }) {
            if unknownTypeNames[name] != nil || unknownTypeNames.count < Self.maxUnknownNames {
                unknownTypeNames[name, default: 0] += n
            } else {
                otherUnknownTypes += n
            }
        }
        otherUnknownTypes += other.otherUnknownTypes
        for example in other.examples where admits(source: example.source, position: example.position) {
            insert(example)
        }
    }

    // MARK: - Helpers

    private mutating func countUnknownType(_ key: tq_json_key) {
        guard let name = Self.string(key) else { return }
        if unknownTypeNames[name] != nil || unknownTypeNames.count < Self.maxUnknownNames {
            unknownTypeNames[name, default: 0] += 1
        } else {
            otherUnknownTypes += 1
        }
    }

    /// Whether the `event_type` is `span_start` or `span_end` (exact bytes).
    @inline(__always)
    static func isSpanEvent(_ key: tq_json_key) -> Bool {
        guard Int(key.kind) == TQ_JSON_KEY_STRING, let str = key.str, key.len == 8 || key.len == 10 else { return false }
        let bytes = UnsafeRawBufferPointer(start: str, count: key.len)
        return bytes.elementsEqual("span_end".utf8) || bytes.elementsEqual("span_start".utf8)
    }

    private static func string(_ key: tq_json_key) -> String? {
        guard Int(key.kind) == TQ_JSON_KEY_STRING, let str = key.str else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: key.len), as: UTF8.self)
    }

    /// Whether an example at this position would be among the kept ones.
    @inline(__always)
    private func admits(source: Int, position: UInt64) -> Bool {
        guard maxExamples > 0 else { return false }
        guard examples.count >= maxExamples, let last = examples.last else { return true }
        return (source, position) < (last.source, last.position)
    }

    /// Inserts in order, dropping the last beyond `maxExamples`.
    private mutating func insert(_ example: Example) {
        let at = examples.firstIndex { example.precedes($0) } ?? examples.endIndex
        examples.insert(example, at: at)
        if examples.count > maxExamples { examples.removeLast() }
    }
}
