/// The running per-name counts of ``TelemetryAggregator``, one kind per
/// table, and their conversion to the rows of ``TelemetrySummary``.
enum Tally {
    /// Counts of one event type.
    struct EventType {
        var name: String?
        var events = 0
        var withStatus = 0
        var errors = 0

        func row(isOther: Bool) -> TelemetrySummary.EventTypeRow {
            .init(name: isOther ? nil : name, isOther: isOther, events: events, eventsWithStatus: withStatus, errors: errors)
        }
    }

    /// Counts and durations of one tool.
    struct Tool {
        var name: String?
        var calls = 0
        var withStatus = 0
        var errors = 0
        var duration = DurationRecorder()

        func row(isOther: Bool) -> TelemetrySummary.ToolRow {
            .init(name: isOther ? nil : name, isOther: isOther, calls: calls, callsWithStatus: withStatus, errors: errors,
                  executionTime: duration.stats)
        }
    }

    /// Counts, tokens and durations of one provider and model.
    struct Model {
        var provider: String?
        var model: String?
        var calls = 0
        var withStatus = 0
        var errors = 0
        var tokens = Tokens()
        var duration = DurationRecorder()

        func row(isOther: Bool) -> TelemetrySummary.ModelRow {
            .init(provider: isOther ? nil : provider, model: isOther ? nil : model, isOther: isOther, calls: calls,
                  callsWithStatus: withStatus, errors: errors, promptTokens: tokens.prompt,
                  completionTokens: tokens.completion, totalTokens: tokens.total, responseTime: duration.stats)
        }
    }

    /// Tokens of one provider.
    struct Provider {
        var provider: String?
        var calls = 0
        var tokens = Tokens()

        func row(isOther: Bool) -> TelemetrySummary.ProviderRow {
            .init(provider: isOther ? nil : provider, isOther: isOther, calls: calls, promptTokens: tokens.prompt,
                  completionTokens: tokens.completion, totalTokens: tokens.total)
        }
    }

    /// Token sums, saturating at `Int.max` (hostile values cannot trap).
    struct Tokens {
        var prompt = 0
        var completion = 0
        var total = 0

        @inline(__always)
        mutating func add(prompt p: Int?, completion c: Int?, total t: Int?) {
            if let p { prompt = Self.add(prompt, p) }
            if let c { completion = Self.add(completion, c) }
            if let t {
                total = Self.add(total, t)
            } else if p != nil || c != nil {
                total = Self.add(total, Self.add(p ?? 0, c ?? 0))
            }
        }

        @inline(__always)
        static func add(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }
    }

    /// Counts, cache hits and durations of one memory type and operation.
    struct Memory {
        var memoryType: String?
        var operationType: String?
        var operations = 0
        var withStatus = 0
        var errors = 0
        var cacheHits = 0
        var cacheKnown = 0
        var duration = DurationRecorder()

        func row(isOther: Bool) -> TelemetrySummary.MemoryRow {
            .init(memoryType: isOther ? nil : memoryType, operationType: isOther ? nil : operationType, isOther: isOther,
                  operations: operations, operationsWithStatus: withStatus, errors: errors, cacheHits: cacheHits,
                  cacheKnown: cacheKnown, operationTime: duration.stats)
        }
    }

    /// Decisions and confidence of one routing strategy.
    struct Routing {
        var strategy: String?
        var decisions = 0
        var scored = 0
        var confidenceSum = 0.0

        func row(isOther: Bool) -> TelemetrySummary.RoutingRow {
            .init(strategy: isOther ? nil : strategy, isOther: isOther, decisions: decisions, scoredDecisions: scored,
                  meanConfidence: scored == 0 ? nil : confidenceSum / Double(scored))
        }
    }
}
