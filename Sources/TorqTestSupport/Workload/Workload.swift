import Foundation
import TorqEvents

/// A deterministic generator of realistic JSONL agent telemetry.
///
/// Events of the five types (`agent_run`, `tool_execution`, `model_interaction`,
/// `memory_operation`, `routing_decision`) belong to a few interleaved runs and
/// sessions, ~480 bytes each on average, with the awkward cases a store must
/// carry byte for byte: CJK, emoji, combining marks, right-to-left text, raw
/// U+2028, escaped `\u0000`-style sequences, escaped surrogate pairs, `\"quotes\"`
/// and backslashes; a run whose `run_id` is written with escapes; some events
/// without `run_id`, or with `run_id` a number or `null`; timestamps with 0–9
/// fraction digits and non-UTC offsets, a few missing or unparsable; and every
/// `bigPayloadEvery`-th event carrying a 40 KB string.
///
/// The same seed gives the same lines; `line(i)` depends only on the seed and
/// the lines before it, so a longer workload starts with a shorter one.
package struct Workload {
    private var rng: SplitMix64
    private var clock: Int64
    private var runs: [OpenRun] = []
    private var produced = 0
    private let bigPayloadEvery: Int
    private let session: String

    private struct OpenRun {
        var id: String        // as written in JSON (may contain escapes)
        var agent: String
        var left: Int
        var number: Int
    }

    /// 2026-03-01T12:00:00Z.
    package static let epoch: Int64 = 1_772_366_400 * 1_000_000_000

    package init(seed: UInt64 = 0x7041_6C6F_6721, bigPayloadEvery: Int = 997) {
        rng = SplitMix64(seed: seed)
        clock = Self.epoch
        self.bigPayloadEvery = bigPayloadEvery
        var s = SplitMix64(seed: seed ^ 0xABCD)
        session = "sess-" + s.hex(12)
    }

    /// The first `count` lines of the workload with `seed`.
    package static func lines(_ count: Int, seed: UInt64 = 0x7041_6C6F_6721, bigPayloadEvery: Int = 997) -> [Data] {
        var w = Workload(seed: seed, bigPayloadEvery: bigPayloadEvery)
        return (0..<count).map { _ in w.next() }
    }

    static let agents = ["code_generation_agent", "research_agent", "data_analysis_agent", "support_agent", "planner_agent"]
    static let tools = ["web_search", "file_reader", "file_writer", "code_executor", "sql_query", "vector_search"]
    static let models = [("anthropic", "claude-3-5-sonnet"), ("openai", "gpt-4o"), ("anthropic", "claude-3-5-haiku"), ("mistral", "mistral-large")]
    /// JSON string *contents* (already escaped where needed), each exercising something.
    static let texts = [
        #"Summarise the quarterly report \u2014 key risks only"#,
        "日本語のオンボーディングガイドを翻訳してください",
        "用户问题：为什么构建失败了？请检查日志。",
        "Deploy finished 🚀✅ — all 42 checks passed 🎉👩‍💻",
        "Cafe\u{301} vs Café, n\u{303}o, Zalgo: Z\u{351}\u{36B}a\u{30C}l\u{344}g\u{314}o\u{35B}",
        #"He said \"use the \\\"raw\\\" path\" then C:\\Users\\agent\\tmp"#,
        #"escapes: \u0000 nul, \u001f unit sep, \b\f\n\r\t, \/slash, \ud83d\ude00 pair, \u00e9t\u00e9"#,
        "مرحبا بالعالم — RTL text with עברית mixed in",
        "line\u{2028}separator and paragraph\u{2029}separator, both raw",
        "Ελληνικά, Кириллица, हिन्दी, 한국어 텍스트",
        "plain ascii query about SQL performance in last night's logs",
    ]

    /// The next line (no newline).
    package mutating func next() -> Data {
        let i = produced
        produced += 1
        // Keep 4 runs open at a time, interleaving their events.
        while runs.count < 4 {
            let n = Int(rng.next() % 1_000_000)
            let agent = Self.agents[Int(rng.next() % UInt64(Self.agents.count))]
            // One run in 9 has an id written with escapes (decodes to "run-été-…").
            let id = n % 9 == 4 ? #"run-\u00e9t\u00e9-"# + rng.hex(6) : "run-" + rng.hex(8) + "-" + rng.hex(4)
            runs.append(OpenRun(id: id, agent: agent, left: 3 + Int(rng.next() % 18), number: n))
        }
        let slot = Int(rng.next() % UInt64(runs.count))
        let run = runs[slot]
        runs[slot].left -= 1
        if runs[slot].left <= 0 { runs.remove(at: slot) }

        clock += Int64(1 + rng.next() % 400) * 1_000_000 + Int64(rng.next() % 1_000_000)
        let type: String
        switch i % 10 {
        case 0, 5: type = "tool_execution"
        case 1, 6, 8: type = "model_interaction"
        case 2: type = "memory_operation"
        case 3: type = "routing_decision"
        default: type = "agent_run"
        }

        var s = "{\"event_id\":\"\(rng.uuid())\","
        // A few events spell their type with escapes (it decodes to the plain name).
        s += i % 251 == 17 ? "\"event_type\":\"" + type.replacingOccurrences(of: "_", with: #"\u005f"#) + "\"," : "\"event_type\":\"\(type)\","
        switch i % 97 {
        case 13: break                                             // no timestamp
        case 29: s += "\"timestamp\":\"yesterday afternoon\","      // unparsable
        case 41: s += "\"timestamp\":\(clock / 1_000_000),"        // a number: no time
        default: s += "\"timestamp\":\"\(Self.formatTimestamp(clock, variant: Int(rng.next() % 8)))\","
        }
        s += "\"session_id\":\"\(session)\","
        switch i % 61 {
        case 7: break                                              // no run_id
        case 19: s += "\"run_id\":\(run.number),"                 // a number
        case 37: s += "\"run_id\":null,"
        default: s += "\"run_id\":\"\(run.id)\","
        }
        s += "\"trace_id\":\"\(rng.hex(16))\","
        if i % 2 == 0 { s += "\"span_id\":\"\(rng.hex(8))\"," }
        s += "\"agent_name\":\"\(run.agent)\","
        let text = Self.texts[Int(rng.next() % UInt64(Self.texts.count))]
        switch type {
        case "tool_execution":
            let tool = Self.tools[Int(rng.next() % UInt64(Self.tools.count))]
            let failed = rng.next() % 11 == 0
            s += "\"tool_name\":\"\(tool)\",\"tool_type\":\"builtin\",\"status\":\"\(failed ? "failed" : "completed")\","
            s += "\"execution_time_ms\":\(20 + rng.next() % 900),\"success\":\(!failed),"
            if i % 4 == 0 { s += "\"input\":{\"query\":\"\(text)\"}," }
            if failed { s += "\"error_message\":\"timeout after 30000 ms calling \(tool)\"," }
        case "model_interaction":
            let (provider, model) = Self.models[Int(rng.next() % UInt64(Self.models.count))]
            let p = 200 + rng.next() % 1800, c = 50 + rng.next() % 600
            s += "\"model_provider\":\"\(provider)\",\"model_name\":\"\(model)\",\"prompt_tokens\":\(p),\"completion_tokens\":\(c),"
            s += "\"total_tokens\":\(p + c),\"response_time_ms\":\(300 + rng.next() % 2500),\"cost_usd\":\(1 + rng.next() % 900)e-5,"
            if i % 2 == 0 { s += "\"prompt_preview\":\"\(text)\"," }
        case "memory_operation":
            s += "\"memory_type\":\"episodic\",\"memory_backend\":\"redis\",\"operation_type\":\"\(rng.next() % 2 == 0 ? "retrieve" : "store")\","
            s += "\"operation_time_ms\":\(1 + rng.next() % 8),\"cache_hit\":\(rng.next() % 3 != 0),"
        case "routing_decision":
            s += "\"query\":\"\(text)\",\"selected_agent\":\"\(run.agent)\",\"routing_strategy\":\"semantic_similarity\","
            s += "\"confidence_score\":0.\(600 + rng.next() % 400),\"routing_time_ms\":\(3 + rng.next() % 20),"
        default:
            s += "\"agent_type\":\"react_agent\",\"status\":\"\(["started", "running", "completed"][Int(rng.next() % 3)])\",\"user_query\":\"\(text)\","
            s += "\"tools_used\":[\"web_search\"],\"total_tokens\":\(rng.next() % 20000),\"parent\":null,"
        }
        if bigPayloadEvery > 0 && i % bigPayloadEvery == bigPayloadEvery / 2 {
            s += "\"output\":\"" + Self.bigString(40_000, seed: rng.next()) + "\","
        }
        s += i % 3 == 0 ? "\"metadata\":{\"host\":\"worker-\(rng.next() % 64)\",\"nested\":[1,[2,{\"d\":3}]]}}" : "\"host\":\"worker-\(rng.next() % 64)\"}"
        return Data(s.utf8)
    }

    /// A JSON string body of about `bytes` bytes mixing ASCII, CJK, emoji and escapes.
    static func bigString(_ bytes: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        let pieces = ["The quick brown fox jumps over the lazy dog. ", "数据分析结果显示增长。", "🚀🔥✨", #"\"quoted\" "#, #"tab\tnew\nline "#,
                      #"\u0000\u0001"#, "e\u{301}\u{302} ", #"C:\\path\\to\\file "#, "0123456789"]
        var s = ""
        s.reserveCapacity(bytes + 64)
        while s.utf8.count < bytes { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return s
    }

    /// RFC 3339 text of `ns` in one of several styles (fraction digits, offsets).
    static func formatTimestamp(_ ns: Int64, variant: Int) -> String {
        switch variant {
        case 0: return RFC3339Text.format(ns, fractionDigits: 0, offsetMinutes: 0)
        case 1: return RFC3339Text.format(ns, fractionDigits: 9, offsetMinutes: 0)
        case 2: return RFC3339Text.format(ns, fractionDigits: 6, offsetMinutes: 330)    // +05:30
        case 3: return RFC3339Text.format(ns, fractionDigits: 3, offsetMinutes: -480)   // -08:00
        case 4: return RFC3339Text.format(ns, fractionDigits: 1, offsetMinutes: 60)
        default: return RFC3339Text.format(ns, fractionDigits: 3, offsetMinutes: 0)
        }
    }
}

/// What a test knows about a line, found independently of torqlog (JSONSerialization).
package struct EventFacts {
    /// `run_id` when it is a string.
    package var runID: String?
    /// `event_type` when it is a string.
    package var type: String?
    /// `timestamp` parsed as RFC 3339, when it is a parsable string.
    package var time: Int64?

    package init(_ line: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        runID = object["run_id"] as? String
        type = object["event_type"] as? String
        time = (object["timestamp"] as? String).flatMap(RFC3339Text.parse)
    }

    package static func of(_ lines: [Data]) throws -> [EventFacts] { try lines.map(EventFacts.init) }
}

/// RFC 3339 in the tests, written separately from the product's parser.
package enum RFC3339Text {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → nanoseconds since the epoch.
    package static func parse(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58, b[16] == 58 else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r { guard b[i] >= 48, b[i] <= 57 else { return nil }; v = v * 10 + Int64(b[i] - 48) }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let sec = num(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 60 else { return nil }
        var i = 19
        var frac: Int64 = 0
        if b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { frac *= 10 }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, i + 6 == b.count, b[i + 3] == 58, let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6) {
            offset = (oh * 60 + om) * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        return ((days * 86_400 + h * 3600 + mi * 60 + sec) - offset * 60) * 1_000_000_000 + frac
    }

    /// Nanoseconds → RFC 3339 with `fractionDigits` digits and a `±HH:MM` offset (`Z` for 0).
    package static func format(_ ns: Int64, fractionDigits: Int, offsetMinutes: Int) -> String {
        let local = ns + Int64(offsetMinutes) * 60_000_000_000
        var seconds = local / 1_000_000_000
        var nanos = local % 1_000_000_000
        if nanos < 0 { nanos += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))"
        if fractionDigits > 0 {
            let digits = String(nanos).leftPadded(9)
            s += "." + digits.prefix(fractionDigits)
        }
        if offsetMinutes == 0 { return s + "Z" }
        let a = Int64(abs(offsetMinutes))
        return s + (offsetMinutes < 0 ? "-" : "+") + two(a / 60) + ":" + two(a % 60)
    }

    // Howard Hinnant's civil-date algorithms.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

extension SplitMix64 {
    /// `digits` random lowercase hex digits.
    package mutating func hex(_ digits: Int) -> String {
        var s = ""
        while s.count < digits { s += String(next(), radix: 16).leftPadded(16) }
        return String(s.prefix(digits))
    }
    /// A random UUID-shaped string (version 4, variant a).
    package mutating func uuid() -> String {
        let c = Array(hex(32))
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    package func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
