import TorqLogStore
import TorqJSON

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
        func s(_ k: String) -> String? { parser.field(k).flatMap(Self.text) }
        var parts: [String] = []
        func add(_ p: String?) { if let p, !p.isEmpty { parts.append(p) } }
        func named(_ k: String, _ label: String) { if let v = s(k) { parts.append("\(label)=\(v)") } }
        func ms(_ k: String) { if let v = s(k) { parts.append(v + "ms") } }
        switch type {
        case "agent_run":
            add(s("agent_name").map { n in s("agent_type").map { "\(n) (\($0))" } ?? n })
            add(s("status"))
            named("total_tokens", "tokens")
            if let q = s("user_query") { parts.append(Self.quote(q)) }
        case "tool_execution":
            add(s("tool_name").map { n in s("tool_type").map { "\(n) (\($0))" } ?? n })
            add(s("status"))
            ms("execution_time_ms")
            if let e = s("error_message") { parts.append("error=" + Self.quote(e)) }
        case "model_interaction":
            add([s("model_provider"), s("model_name")].compactMap { $0 }.joined(separator: "/"))
            if let p = s("prompt_tokens") {
                parts.append("tokens \(p)→\(s("completion_tokens") ?? "?")" + (s("total_tokens").map { " (\($0))" } ?? ""))
            }
            ms("response_time_ms")
            if case .bool(false)? = parser.field("success") { parts.append("failed") }
        case "memory_operation":
            add(s("operation_type"))
            add([s("memory_type"), s("memory_backend")].compactMap { $0 }.joined(separator: "@"))
            ms("operation_time_ms")
            if case .bool(let hit)? = parser.field("cache_hit") { parts.append(hit ? "hit" : "miss") }
        case "routing_decision":
            add(s("selected_agent").map { "→ " + $0 })
            named("routing_strategy", "strategy")
            named("confidence_score", "confidence")
            if let q = s("query") { parts.append(Self.quote(q)) }
        case "span_start", "span_end":
            add(s("name"))
            named("span_id", "span")
            add(s("status"))
        default:
            var n = 0
            parser.forEachField { k, v in
                guard n < 4, !["event_id", "event_type", "timestamp", "session_id", "run_id"].contains(k),
                      let t = Self.text(v) else { return }
                parts.append("\(k)=\(Self.short(t))")
                n += 1
            }
        }
        return (type, parts.joined(separator: "  "))
    }

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
