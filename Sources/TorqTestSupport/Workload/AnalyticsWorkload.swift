import Foundation
import TorqLogStore
import TorqTelemetry
import TorqJSON

/// A hand-made event for the analytics tests: every field optional, written
/// to JSON by hand, so the expected summary can be computed from the model
/// itself, independently of any JSON parser.
package struct AnalyticsEvent {
    package var type: String?
    package var runID: String?
    package var sessionID: String?
    package var timestamp: Int64?
    package var status: String?
    package var success: Bool?
    package var toolName: String?
    package var executionMs: Double?
    package var provider: String?
    package var model: String?
    package var prompt: Int?
    package var completion: Int?
    package var total: Int?
    package var responseMs: Double?
    package var memoryType: String?
    package var operation: String?
    package var cacheHit: Bool?
    package var operationMs: Double?
    package var strategy: String?
    package var confidence: Double?

    package init(type: String? = nil, runID: String? = nil, sessionID: String? = nil, timestamp: Int64? = nil, status: String? = nil, success: Bool? = nil, toolName: String? = nil, executionMs: Double? = nil, provider: String? = nil, model: String? = nil, prompt: Int? = nil, completion: Int? = nil, total: Int? = nil, responseMs: Double? = nil, memoryType: String? = nil, operation: String? = nil, cacheHit: Bool? = nil, operationMs: Double? = nil, strategy: String? = nil, confidence: Double? = nil) {
        self.type = type
        self.runID = runID
        self.sessionID = sessionID
        self.timestamp = timestamp
        self.status = status
        self.success = success
        self.toolName = toolName
        self.executionMs = executionMs
        self.provider = provider
        self.model = model
        self.prompt = prompt
        self.completion = completion
        self.total = total
        self.responseMs = responseMs
        self.memoryType = memoryType
        self.operation = operation
        self.cacheHit = cacheHit
        self.operationMs = operationMs
        self.strategy = strategy
        self.confidence = confidence
    }

    /// The event as one JSON object (keys in a fixed order, absent fields left out).
    package var json: String {
        var members: [String] = []
        func add(_ key: String, _ value: String?) { if let value { members.append(Self.quoted(key) + ":" + value) } }
        add("event_id", Self.quoted("e-\(members.count)"))
        add("event_type", type.map(Self.quoted))
        add("timestamp", timestamp.map { Self.quoted(RFC3339.format(nanoseconds: $0, fractionDigits: 6)) })
        add("session_id", sessionID.map(Self.quoted))
        add("run_id", runID.map(Self.quoted))
        add("status", status.map(Self.quoted))
        add("success", success.map { $0 ? "true" : "false" })
        add("tool_name", toolName.map(Self.quoted))
        add("execution_time_ms", executionMs.map(Self.number))
        add("model_provider", provider.map(Self.quoted))
        add("model_name", model.map(Self.quoted))
        add("prompt_tokens", prompt.map(String.init))
        add("completion_tokens", completion.map(String.init))
        add("total_tokens", total.map(String.init))
        add("response_time_ms", responseMs.map(Self.number))
        add("memory_type", memoryType.map(Self.quoted))
        add("operation_type", operation.map(Self.quoted))
        add("cache_hit", cacheHit.map { $0 ? "true" : "false" })
        add("operation_time_ms", operationMs.map(Self.number))
        add("routing_strategy", strategy.map(Self.quoted))
        add("confidence_score", confidence.map(Self.number))
        return "{" + members.joined(separator: ",") + "}"
    }

    package static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)" }

    /// Whether the event is an error by the documented definition.
    var isError: Bool {
        if success == false { return true }
        guard let status = status?.lowercased() else { return false }
        return ["error", "failed", "failure", "timeout"].contains(status)
    }

    var hasStatus: Bool { status != nil || success != nil }
}

/// A deterministic mix of events of every type, with unicode names, missing
/// fields and unknown types, spread over a few hours.
package enum AnalyticsWorkload {
    package static let start: Int64 = 1_772_366_400 * 1_000_000_000 // 2026-03-01T12:00:00Z
    static let tools: [String?] = ["file_writer", "web_search", "ツール🔧", "sql_query", "naïve \"quoted\" tool", nil]
    static let providers: [String?] = ["anthropic", "openai", "mistral_ai", nil]
    static let models: [String?] = ["claude-3-5-sonnet", "gpt-4o", "模型-1", nil]
    static let memoryTypes: [String?] = ["episodic", "semantic", nil]
    static let operations: [String?] = ["read", "write", "search"]
    static let strategies: [String?] = ["semantic", "keyword", "llm", "règle", nil]
    static let statuses: [String?] = ["completed", "failed", "ERROR", "Timeout", "ok", "started", "failure", "errors", nil, nil]

    package static func make(count: Int, seed: UInt64 = 7) -> [AnalyticsEvent] {
        var rng = SplitMix64(seed: seed)
        var events: [AnalyticsEvent] = []
        events.reserveCapacity(count)
        for i in 0..<count {
            var e = AnalyticsEvent()
            let roll = rng.below(100)
            e.type = roll < 35 ? "tool_execution" : roll < 60 ? "model_interaction" : roll < 75 ? "memory_operation"
                : roll < 85 ? "routing_decision" : roll < 95 ? "agent_run" : roll < 98 ? "custom_événement" : nil
            e.runID = rng.chance(0.03) ? nil : (i % 50 == 0 ? "run-ü-\(i % 700)" : "run-\(rng.below(400))")
            e.sessionID = rng.chance(0.02) ? nil : "sess-\(rng.below(7))"
            e.timestamp = rng.chance(0.01) ? nil : start + Int64(i) * 1_000_000_000 + Int64(rng.below(1000)) * 1_000_000
            e.status = rng.pick(statuses)
            e.success = rng.chance(0.5) ? nil : rng.chance(0.8)
            func millis(_ scale: Int) -> Double { Double(rng.below(scale * 100) + 1) / 100 }
            switch e.type {
            case "tool_execution":
                e.toolName = rng.pick(tools)
                e.executionMs = rng.chance(0.1) ? nil : rng.chance(0.1) ? Double(rng.below(60_000)) : millis(2_000)
            case "model_interaction":
                e.provider = rng.pick(providers)
                e.model = rng.pick(models)
                e.prompt = rng.chance(0.05) ? nil : 100 + rng.below(4000)
                e.completion = rng.chance(0.2) ? nil : rng.below(1000)
                e.total = rng.chance(0.3) ? nil : (e.prompt ?? 0) + (e.completion ?? 0) + rng.below(3)
                e.responseMs = rng.chance(0.05) ? nil : Double(200 + rng.below(5000)) + 0.5
            case "memory_operation":
                e.memoryType = rng.pick(memoryTypes)
                e.operation = rng.pick(operations)
                e.cacheHit = rng.chance(0.2) ? nil : rng.chance(0.6)
                e.operationMs = rng.chance(0.05) ? nil : millis(50)
            case "routing_decision":
                e.strategy = rng.pick(strategies)
                e.confidence = rng.chance(0.05) ? nil : Double(rng.below(1001)) / 1000
            default:
                break
            }
            events.append(e)
        }
        return events
    }
}

/// The summary the tests expect, computed from the event models directly.
package struct AnalyticsExpectation {
    package struct Counts: Equatable {
        package var count = 0
        package var withStatus = 0
        package var errors = 0
        package init(count: Int = 0, withStatus: Int = 0, errors: Int = 0) {
            self.count = count
            self.withStatus = withStatus
            self.errors = errors
        }
    }
    package struct Tokens: Equatable {
        package var calls = 0
        package var prompt = 0
        package var completion = 0
        package var total = 0
        package init(calls: Int = 0, prompt: Int = 0, completion: Int = 0, total: Int = 0) {
            self.calls = calls
            self.prompt = prompt
            self.completion = completion
            self.total = total
        }
    }

    package var events = 0
    package var runs = Set<String>()
    package var sessions = Set<String>()
    package var withoutRun = 0
    package var withoutSession = 0
    package var withoutTimestamp = 0
    package var first: Int64?
    package var last: Int64?
    package var withStatus = 0
    package var errors = 0
    /// Keyed by event type, "\u{0}none" for a missing one.
    package var types: [String: Counts] = [:]
    package var tools: [String: Counts] = [:]
    package var toolDurations: [String: [Double]] = [:]
    /// Keyed by "provider|model" ("(none)" for missing parts).
    package var models: [String: Counts] = [:]
    package var modelTokens: [String: Tokens] = [:]
    package var modelDurations: [String: [Double]] = [:]
    package var providers: [String: Tokens] = [:]
    /// Keyed by "type|operation".
    package var memory: [String: Counts] = [:]
    package var memoryCache: [String: (hits: Int, known: Int)] = [:]
    package var memoryDurations: [String: [Double]] = [:]
    package var routing: [String: (decisions: Int, scored: Int, sum: Double)] = [:]

    package static let none = "(none)"

    package init(_ list: [AnalyticsEvent]) {
        for e in list {
            events += 1
            if let r = e.runID { runs.insert(r) } else { withoutRun += 1 }
            if let s = e.sessionID { sessions.insert(s) } else { withoutSession += 1 }
            if let t = e.timestamp {
                first = min(first ?? t, t)
                last = max(last ?? t, t)
            } else {
                withoutTimestamp += 1
            }
            if e.hasStatus { withStatus += 1 }
            if e.isError { errors += 1 }
            func bump(_ c: inout Counts) {
                c.count += 1
                if e.hasStatus { c.withStatus += 1 }
                if e.isError { c.errors += 1 }
            }
            bump(&types[e.type ?? Self.none, default: Counts()])
            func addTokens(_ t: inout Tokens) {
                t.calls += 1
                t.prompt += e.prompt ?? 0
                t.completion += e.completion ?? 0
                if let total = e.total {
                    t.total += total
                } else if e.prompt != nil || e.completion != nil {
                    t.total += (e.prompt ?? 0) + (e.completion ?? 0)
                }
            }
            switch e.type {
            case "tool_execution":
                let key = e.toolName ?? Self.none
                bump(&tools[key, default: Counts()])
                if let d = e.executionMs { toolDurations[key, default: []].append(d) }
            case "model_interaction":
                let key = Self.pair(e.provider, e.model)
                bump(&models[key, default: Counts()])
                addTokens(&modelTokens[key, default: Tokens()])
                addTokens(&providers[e.provider ?? Self.none, default: Tokens()])
                if let d = e.responseMs { modelDurations[key, default: []].append(d) }
            case "memory_operation":
                let key = Self.pair(e.memoryType, e.operation)
                bump(&memory[key, default: Counts()])
                if let hit = e.cacheHit {
                    memoryCache[key, default: (0, 0)].known += 1
                    if hit { memoryCache[key, default: (0, 0)].hits += 1 }
                }
                if let d = e.operationMs { memoryDurations[key, default: []].append(d) }
            case "routing_decision":
                let key = e.strategy ?? Self.none
                routing[key, default: (0, 0, 0)].decisions += 1
                if let c = e.confidence {
                    routing[key, default: (0, 0, 0)].scored += 1
                    routing[key, default: (0, 0, 0)].sum += c
                }
            default:
                break
            }
        }
    }

    package static func pair(_ a: String?, _ b: String?) -> String { (a ?? none) + "|" + (b ?? none) }

    /// The nearest-rank percentile of `values`.
    package static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    /// Whether `actual` is within the histogram's precision (1%, or 1 µs plus JSON rounding) of `exact`.
    package static func close(_ actual: Double, _ exact: Double) -> Bool {
        abs(actual - exact) <= exact * 0.01 + 0.002
    }
}
