import TorqLogStore
import TorqJSON
import TorqTelemetry

/// Turns an event's JSON into one readable line of text: its type and the
/// fields that matter for that type (the telemetry schema's key fields).
struct EventText: ~Copyable {
    private var parser = JSONLineParser(maxLineLength: FrameHeader.maxPayloadLength + JSONLineParser.requiredPadding)
    private var scratch: [UInt8] = []

    /// The key fields of `payload` as text, e.g. `tool_execution  file_writer (write) completed 150ms`.
    mutating func describe(_ payload: UnsafeRawBufferPointer, typeTag: String?) -> (type: String, summary: String) {
        // The parser reads up to `requiredPadding` bytes past the input: give it a padded copy.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: payload)
        scratch.append(contentsOf: repeatElement(0x20, count: JSONLineParser.requiredPadding))
        let ok = scratch.withUnsafeBytes { raw -> Bool in
            if case .object = parser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<payload.count])) { return true }
            return false
        }
        let type = typeTag ?? "-"
        guard ok else { return (type, "(payload is not a JSON object)") }
        func s(_ f: EventField) -> String? { parser.field(f.key).flatMap(Self.text) }
        var parts: [String] = []
        func add(_ p: String?) { if let p, !p.isEmpty { parts.append(p) } }
        func named(_ f: EventField, _ label: String) { if let v = s(f) { parts.append("\(label)=\(v)") } }
        func ms(_ f: EventField) { if let v = s(f) { parts.append(v + "ms") } }
        switch type {
        case "agent_run":
            add(s(.agentName).map { n in s(.agentType).map { "\(n) (\($0))" } ?? n })
            add(s(.status))
            named(.totalTokens, "tokens")
            if let q = s(.userQuery) { parts.append(Self.quote(q)) }
        case "tool_execution":
            add(s(.toolName).map { n in s(.toolType).map { "\(n) (\($0))" } ?? n })
            add(s(.status))
            ms(.executionTimeMs)
            if let e = s(.errorMessage) { parts.append("error=" + Self.quote(e)) }
        case "model_interaction":
            add([s(.modelProvider), s(.modelName)].compactMap { $0 }.joined(separator: "/"))
            if let p = s(.promptTokens) {
                parts.append("tokens \(p)→\(s(.completionTokens) ?? "?")" + (s(.totalTokens).map { " (\($0))" } ?? ""))
            }
            ms(.responseTimeMs)
            if case .bool(false)? = parser.field(EventField.success.key) { parts.append("failed") }
        case "memory_operation":
            add(s(.operationType))
            add([s(.memoryType), s(.memoryBackend)].compactMap { $0 }.joined(separator: "@"))
            ms(.operationTimeMs)
            if case .bool(let hit)? = parser.field(EventField.cacheHit.key) { parts.append(hit ? "hit" : "miss") }
        case "routing_decision":
            add(s(.selectedAgent).map { "→ " + $0 })
            named(.routingStrategy, "strategy")
            named(.confidenceScore, "confidence")
            if let q = s(.query) { parts.append(Self.quote(q)) }
        case "span_start", "span_end":
            add(s(.name))
            named(.spanID, "span")
            add(s(.status))
        default:
            var n = 0
            parser.forEachField { k, v in
                guard n < 4, !Self.headerKeys.contains(k),
                      let t = Self.text(v) else { return }
                parts.append("\(k)=\(Self.short(t))")
                n += 1
            }
        }
        return (type, parts.joined(separator: "  "))
    }

    /// The header fields, left out of the summary of an event of another type.
    private static let headerKeys: Set<String> = Set(([.eventID, .eventType, .timestamp, .sessionID, .runID] as [EventField]).map(\.key))

    static func text(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : Format.fixed(d, 2)
        case .bool(let b): return b ? "true" : "false"
        case .null: return nil
        case .array(let c): return "[\(c)]"
        case .object(let c): return "{\(c)}"
        }
    }

    static func short(_ s: String, _ max: Int = 48) -> String {
        let flat = s.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 }
        return flat.count > max ? String(flat.prefix(max - 1)) + "…" : String(flat)
    }

    static func quote(_ s: String) -> String { "\"" + short(s) + "\"" }
}
