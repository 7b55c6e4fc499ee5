import TorqJSON
import TorqEvents
/// Text helpers of the trace renderers: durations, one-line summaries of
/// records and attributes, and terminal column widths.
enum TraceText {
    /// A duration for people: `850 µs`, `12.3 ms`, `1.24 s`, `2 m 05 s`.
    static func duration(nanoseconds ns: Int64) -> String {
        let v = abs(ns)
        let sign = ns < 0 ? "-" : ""
        if v < 1_000 { return sign + "\(v) ns" }
        if v < 1_000_000 { return sign + fixed(Double(v) / 1_000, v < 10_000 ? 1 : 0) + " µs" }
        if v < 1_000_000_000 {
            let ms = Double(v) / 1_000_000
            return sign + fixed(ms, ms < 10 ? 2 : ms < 100 ? 1 : 0) + " ms"
        }
        if v < 60_000_000_000 {
            let s = Double(v) / 1_000_000_000
            return sign + fixed(s, s < 10 ? 2 : 1) + " s"
        }
        let seconds = v / 1_000_000_000
        if seconds < 3_600 { return sign + "\(seconds / 60) m " + pad2(seconds % 60) + " s" }
        return sign + "\(seconds / 3_600) h " + pad2(seconds / 60 % 60) + " m"
    }

    /// A duration in milliseconds; see ``duration(nanoseconds:)``.
    static func duration(ms: Double) -> String { duration(nanoseconds: TraceBuilder.nanoseconds(ms)) }

    /// An offset from the trace's start: `+0.000s`, `+12.345s`, `+2m05.1s`.
    static func offset(nanoseconds ns: Int64) -> String {
        let sign = ns < 0 ? "-" : "+"
        let v = abs(ns)
        if v < 60_000_000_000 { return sign + fixed(Double(v) / 1_000_000_000, 3) + "s" }
        let seconds = v / 1_000_000_000
        let tenths = v / 100_000_000 % 10
        if seconds < 3_600 { return sign + "\(seconds / 60)m" + pad2(seconds % 60) + ".\(tenths)s" }
        return sign + "\(seconds / 3_600)h" + pad2(seconds / 60 % 60) + "m"
    }

    private static func pad2(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// `value` with `digits` digits after the point (rounded half away from zero).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite, digits >= 0, digits <= 9 else { return "\(value)" }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let n = Int64(scaled)
        var whole = n / scale
        var fraction = n % scale
        // Digits written backwards into a small buffer, then reversed once.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for _ in 0..<digits {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
            fraction /= 10
        }
        if digits > 0 { bytes.append(UInt8(ascii: ".")) }
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(whole % 10))
            whole /= 10
        } while whole > 0
        if value < 0 && n != 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.reverse()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An integer with thousands separators: `12,345`.
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A value, compactly: strings as they are, arrays and objects as JSON.
    static func value(_ v: TelemetryValue) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite && d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return json(v).rendered(pretty: false)
        }
    }

    /// A value as an ordered JSON document (object keys sorted).
    static func json(_ v: TelemetryValue) -> OrderedJSON {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int(i))
        case .double(let d): return d.isFinite ? .number(d) : .null
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(json))
        case .object(let o): return .object(o.keys.sorted().map { ($0, json(o[$0] ?? .null)) })
        }
    }

    /// `key=value` pairs, keys sorted, separated by two spaces.
    static func attributeSummary(_ attributes: [String: TelemetryValue]) -> String {
        attributes.keys.sorted().map { "\($0)=\(value(attributes[$0] ?? .null))" }.joined(separator: "  ")
    }

    /// One line of a record's key fields, by type.
    static func recordSummary(_ r: TraceRecord) -> String {
        var parts: [String] = []
        func add(_ field: EventField, _ transform: (String) -> String = { $0 }) { if let s = r.string(field) { parts.append(transform(s)) } }
        func addDuration() { if let ms = r.durationMs { parts.append(duration(ms: ms)) } }
        switch r.eventType {
        case "agent_run":
            add(.agentName)
            add(.status)
            if let t = r.integer(.totalTokens) { parts.append("\(grouped(t)) tokens") }
        case "tool_execution":
            add(.toolName)
            add(.status)
            addDuration()
        case "model_interaction":
            if let provider = r.string(.modelProvider), let model = r.string(.modelName) { parts.append(provider + "/" + model) } else { add(.modelName) }
            addDuration()
            if let p = r.integer(.promptTokens) {
                parts.append("\(grouped(p))→\(r.integer(.completionTokens).map(grouped) ?? "?") tokens")
            }
        case "memory_operation":
            add(.operationType)
            add(.memoryType)
            add(.memoryBackend)
            addDuration()
            if let hit = r.bool(.cacheHit) { parts.append(hit ? "hit" : "miss") }
        case "routing_decision":
            add(.selectedAgent) { "→ " + $0 }
            if let c = r.number(.confidenceScore) { parts.append(fixed(c, 2)) }
            add(.routingStrategy)
            addDuration()
        default:
            add(.name)
            add(.status)
        }
        if r.bool(.success) == false && r.string(.status) == nil { parts.append("success=false") }
        if r.isFailure, let message = r.string(.errorMessage) { parts.append("— " + message) }
        return parts.joined(separator: " ")
    }

    // MARK: - Terminal columns

    /// How many terminal columns `scalar` takes: 0 for combining marks and
    /// controls, 2 for East Asian wide and fullwidth characters and emoji, else 1.
    static func columns(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v < 0x300 { return 1 }
        switch v {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F, 0x200B...0x200F, 0xFE00...0xFE0F:
            return 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// The terminal columns of `text`.
    static func columns(_ text: String) -> Int {
        if let n = printableASCII(text) { return n }
        var n = 0
        for s in text.unicodeScalars { n += columns(s) }
        return n
    }

    /// The length of `text` when it is all printable ASCII (one column per byte), else nil.
    @inline(__always)
    static func printableASCII(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b >= 0x7F { return nil }
            return bytes.count
        }
    }

    private static let spaces = String(repeating: " ", count: 256)

    /// `n` spaces (no allocation up to 256... beyond, one).
    static func spaces(_ n: Int) -> Substring {
        n <= 256 ? spaces.prefix(max(n, 0)) : Substring(String(repeating: " ", count: n))
    }

    /// `text` cut to at most `width` columns, ending in `…` when cut; control characters become spaces.
    static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if let n = printableASCII(text), n <= width { return text }
        var out = String.UnicodeScalarView()
        var used = 0
        let total = columns(text)
        let room = total <= width ? width : width - 1
        for s in text.unicodeScalars {
            let scalar: Unicode.Scalar = s.value < 0x20 || s.value == 0x7F ? " " : s
            let w = columns(scalar)
            if used + w > room { break }
            out.append(scalar)
            used += w
        }
        return String(out) + (total <= width ? "" : "…")
    }

    /// `text` padded with spaces to `width` columns (cut first when longer).
    static func pad(_ text: String, _ width: Int) -> String {
        var out = ""
        appendPadded(&out, text, width)
        return out
    }

    /// `text` right-aligned in `width` columns.
    static func padLeft(_ text: String, _ width: Int) -> String {
        var out = ""
        appendPadded(&out, text, width, right: true)
        return out
    }

    /// Appends `text` padded (or cut) to exactly `width` columns; right-aligned when `right`.
    static func appendPadded(_ out: inout String, _ text: String, _ width: Int, right: Bool = false) {
        let t = truncate(text, to: width)
        let fill = spaces(width - columns(t))
        if right { out += fill }
        out += t
        if !right { out += fill }
    }
}
