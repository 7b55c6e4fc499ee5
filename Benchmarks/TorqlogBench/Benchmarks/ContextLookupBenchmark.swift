import ServiceContextModule
import TorqTelemetry

/// context: what placing an event in its trace costs, the lookup of the
/// current span in the task's `ServiceContext` (what the facade and the
/// tracer do for every event recorded inside a span).
///
/// - torqlog: `ServiceContext.current?.telemetrySpan`, inside a context that
///   holds a span (the task-local read, the dictionary lookup by key type,
///   the cast of the stored value).
/// - task-local (baseline): a plain `@TaskLocal` read of a class reference,
///   the floor any task-scoped lookup pays.
///
/// `events` counts lookups: "events/s" is lookups per second, and the
/// latency column gives the time per lookup (a batch of 1,000 timed at once).
enum ContextLookupBenchmark: Benchmark {
    static let name = "context"
    static let abstract = "the current span from the task's ServiceContext, per lookup, vs a bare @TaskLocal read"
    static let defaultRuns = 5

    final class Holder: Sendable {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    @TaskLocal static var holder: Holder?

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        // 100 per workload event: 10M at the default 100,000 events (a smoke run with a few thousand stays short).
        let lookups = max(10_000, min(context.workload.events * 100, 100_000_000))
        let runs = context.runs(default: defaultRuns)
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(lookups)) lookups per run", repeats: context.repeats, runs: runs)
        var torqlog = ResultRow(system: "torqlog", operation: "ServiceContext.current?.telemetrySpan inside a span", isBaseline: false, events: lookups)
        var local = ResultRow(system: "task-local", operation: "a bare @TaskLocal read of a class reference", isBaseline: true, events: lookups)

        var serviceContext = ServiceContext.topLevel
        guard let traceID = TraceID(high: 0x0123_4567_89AB_CDEF, low: 0x0FED_CBA9_8765_4321), let spanID = SpanID(0x1122_3344_5566_7788) else {
            throw BenchError("context: the fixed trace and span ids are invalid")
        }
        serviceContext.telemetrySpan = TelemetrySpanContext(traceID: traceID, spanID: spanID)
        var found = 0
        for rep in 0..<context.repeats {
            context.log("context: repeat \(rep + 1)/\(context.repeats)")
            var samples = [RepeatSamples(), RepeatSamples()]
            for _ in 0..<runs {
                let (hits, cost) = measured {
                    ServiceContext.withValue(serviceContext) {
                        var hits = 0
                        for _ in 0..<lookups where ServiceContext.current?.telemetrySpan != nil { hits += 1 }
                        return hits
                    }
                }
                samples[0].add(cost)
                found = hits
                let (localHits, localCost) = measured {
                    $holder.withValue(Holder(1)) {
                        var hits = 0
                        for _ in 0..<lookups { hits &+= holder?.value ?? 0 }
                        return hits
                    }
                }
                samples[1].add(localCost)
                guard hits == lookups, localHits == lookups else {
                    throw BenchError("context: \(hits) and \(localHits) lookups found their value, of \(lookups)", disagreement: true)
                }
            }
            samples[0].fold(into: &torqlog)
            samples[1].fold(into: &local)
        }
        let perLookup = torqlog.medianSeconds / Double(lookups) * 1e9
        let floor = local.medianSeconds / Double(lookups) * 1e9
        torqlog.extra["per lookup"] = "\(Fmt.fixed(perLookup, 1)) ns (the bare task-local read: \(Fmt.fixed(floor, 1)) ns)"
        report.rows = [torqlog, local]
        report.goals.append(.init(description: "context lookup < 50 ns", met: perLookup < 50, actual: "\(Fmt.fixed(perLookup, 1)) ns"))
        report.checks.append("every lookup found the span (\(Fmt.count(found)) of \(Fmt.count(lookups)) per run) and every task-local read its value")
        return report
    }
}
