import ArgumentParser
import TorqLogStore
import TorqTelemetry
import TorqJSON

/// `torqlog telemetry`: what the store's events add up to — counts, runs,
/// sessions, error rates, per-tool and per-model durations, tokens, memory
/// and routing — computed by streaming the store in bounded memory.
struct TelemetryCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "telemetry",
        abstract: "Summarize the events: counts by type, runs, sessions, error rates, tools, models, tokens, memory, routing.",
        discussion: """
            Streams the store (or the events matching --event-type, --since, --until, --run) once, in bounded memory. \
            Definitions:

            events: records that are JSON objects; any other record is counted as unparsable, by reason.

            runs: distinct \(EventField.runID) strings; sessions: distinct \(EventField.sessionID) strings. Exact (by 64-bit hash) up \
            to 100,000 ids, then a HyperLogLog estimate (standard error 0.8%), marked as an estimate (text: an \
            approximately-equal sign before the count; JSON: "exact": false).

            error rate: events whose status is error, failed, failure or timeout (any case) or whose success is \
            false, over events with a string status or a boolean success; per event type too.

            tools: tool_execution events by \(EventField.toolName): calls, errors, p50/p95/p99 of \(EventField.executionTimeMs).

            models: model_interaction events by \(EventField.modelProvider) and \(EventField.modelName): calls, errors, prompt, \
            completion and total tokens (\(EventField.totalTokens), else prompt + completion), p50/p95/p99 of \(EventField.responseTimeMs).

            tokens: the same tokens by \(EventField.modelProvider).

            memory: memory_operation events by \(EventField.memoryType) and \(EventField.operationType): operations, errors, cache-hit \
            rate (\(EventField.cacheHit) true over boolean \(EventField.cacheHit)), p50/p95/p99 of \(EventField.operationTimeMs).

            routing: routing_decision events by \(EventField.routingStrategy): decisions and mean \(EventField.confidenceScore) (in [0, 1]).

            Percentiles are nearest-rank, from HDR histograms with two significant digits (within 1%). Tables keep \
            at most 1,000 distinct tools, models and memory pairs and 10,000 event types, providers and strategies; \
            the rest add up in an "(other)" row. Values of the wrong type or out of range are ignored and counted \
            ("ignored values"). --compliance appends the report of `torqlog compliance` for the same events (a second \
            pass; in JSON under "compliance").
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions
    @OptionGroup var filters: FilterOptions

    @Option(name: .customLong("event-type"), help: ArgumentHelp("Only events of this \(EventField.eventType) (same as --type).", valueName: "T"))
    var eventType: String?

    @Option(name: .customLong("run"), help: ArgumentHelp("Only events of this \(EventField.runID).", valueName: "ID"))
    var runID: String?

    @Flag(help: "Append the schema compliance report of the same events.")
    var compliance = false

    @Option(help: "text or json.")
    var format: SummaryFormat = .text

    enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        if let eventType, let type = filters.type, eventType != type {
            throw ValidationError("--event-type '\(eventType)' and --type '\(type)' disagree: give one")
        }
    }

    /// The filter of the options: --event-type (or --type), --since, --until, --run.
    var filter: RecordFilter {
        var filter = filters.filter(run: runID)
        if let eventType { filter.type = Array(eventType.utf8) }
        return filter
    }

    func run() throws {
        let reader = try StoreReader(directory: store)
        let filter = self.filter
        var aggregator: TelemetryAggregator
        do {
            aggregator = try TelemetryAggregator()
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        try reader.forEach(filter) { record in
            aggregator.add(json: record.payload)
            return true
        }
        let summary = aggregator.summary()
        var report: ComplianceReport?
        if compliance {
            do {
                report = try ComplianceScanner(filter: filter).scan([.store(store.path)])
            } catch {
                Console.error(error.description)
                throw ExitCode(1)
            }
        }
        let out = OutputStream()
        switch format {
        case .json:
            out.write(summary.json(compliance: report) + "\n")
        case .text:
            if summary.records == 0 {
                out.write("no events" + (filter.isEmpty ? "" : " match the filters") + " in \(store.path)\n")
            } else {
                out.write(Self.text(summary))
                if let report {
                    out.write("\nCompliance\n")
                    out.write(ComplianceCommand.text(report, minScore: nil))
                }
            }
        }
        out.flush()
        if let failure = out.failure { throw StoreError(.io, path: "<stdout>", "write failed: \(failure)") }
    }

    // MARK: - Text

    /// The summary for people: sections Overview, Events by type, Tools,
    /// Models, Tokens, Memory, Routing (empty ones left out), in tables at
    /// most 100 columns wide.
    static func text(_ s: TelemetrySummary) -> String {
        var out = "Overview\n"
        func line(_ label: String, _ value: String) { out += "  " + Format.pad(label, 16) + value + "\n" }
        var events = grouped(s.events)
        if s.unparsable > 0 {
            let reasons = s.unparsableReasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", ")
            events += "  (+\(grouped(s.unparsable)) unparsable: \(reasons))"
        }
        line("events", events)
        line("runs", distinct(s.runs))
        line("sessions", distinct(s.sessions))
        if let first = s.firstTimestamp, let last = s.lastTimestamp {
            line("first event", RFC3339.format(nanoseconds: first, fractionDigits: 6))
            line("last event", RFC3339.format(nanoseconds: last, fractionDigits: 6))
        }
        if let rate = s.errorRate {
            line("error rate", percent(rate) + "  (\(grouped(s.errors)) of \(grouped(s.eventsWithStatus)) events with a status)")
        }
        var missing: [String] = []
        if s.eventsWithoutRunID > 0 { missing.append("\(EventField.runID) \(grouped(s.eventsWithoutRunID))") }
        if s.eventsWithoutSessionID > 0 { missing.append("\(EventField.sessionID) \(grouped(s.eventsWithoutSessionID))") }
        if s.eventsWithoutTimestamp > 0 { missing.append("\(EventField.timestamp) \(grouped(s.eventsWithoutTimestamp))") }
        if !missing.isEmpty { line("events without", missing.joined(separator: ", ")) }
        if !s.invalidFields.isEmpty {
            line("ignored values", s.invalidFields.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }
                .joined(separator: ", ") + "  (wrong type or out of range)")
        }

        if !s.eventTypes.isEmpty {
            var t = Table([(EventField.eventType.key, 40), ("events", 12), ("with status", 13), ("errors", 10), ("error rate", 12)])
            for r in s.eventTypes {
                t.row([name(r.name, other: r.isOther), grouped(r.events), grouped(r.eventsWithStatus), grouped(r.errors),
                       percent(r.errorRate)])
            }
            out += "\nEvents by type\n" + t.text
        }
        if !s.tools.isEmpty {
            var t = Table([(EventField.toolName.key, 34), ("calls", 10), ("errors", 9), ("error rate", 11), ("p50", 9), ("p95", 9), ("p99", 9)])
            for r in s.tools {
                let d = r.executionTime
                t.row([name(r.name, other: r.isOther), grouped(r.calls), grouped(r.errors), percent(r.errorRate),
                       duration(d?.p50), duration(d?.p95), duration(d?.p99)])
            }
            out += "\nTools (\(EventField.executionTimeMs))\n" + t.text
        }
        if !s.models.isEmpty {
            var t = Table([("\(EventField.modelProvider) / \(EventField.modelName)", 32), ("calls", 8), ("errors", 7), ("prompt", 9), ("completion", 11),
                           ("total", 9), ("p50", 7), ("p95", 7), ("p99", 7)])
            for r in s.models {
                let d = r.responseTime
                let label = r.isOther ? "(other)" : name(r.provider, other: false) + " / " + name(r.model, other: false)
                t.row([label, grouped(r.calls), grouped(r.errors), compact(r.promptTokens), compact(r.completionTokens),
                       compact(r.totalTokens), duration(d?.p50), duration(d?.p95), duration(d?.p99)])
            }
            out += "\nModels (tokens, \(EventField.responseTimeMs))\n" + t.text
        }
        if s.providers.contains(where: { $0.promptTokens > 0 || $0.completionTokens > 0 || $0.totalTokens > 0 }) {
            var t = Table([(EventField.modelProvider.key, 40), ("calls", 10), ("prompt", 14), ("completion", 14), ("total", 14)])
            for r in s.providers {
                t.row([name(r.provider, other: r.isOther), grouped(r.calls), compact(r.promptTokens, width: 14),
                       compact(r.completionTokens, width: 14), compact(r.totalTokens, width: 14)])
            }
            out += "\nTokens by provider\n" + t.text
        }
        if !s.memory.isEmpty {
            var t = Table([("\(EventField.memoryType) / \(EventField.operationType)", 32), ("operations", 11), ("errors", 8), ("cache hits", 11),
                           ("p50", 9), ("p95", 9), ("p99", 9)])
            for r in s.memory {
                let d = r.operationTime
                let label = r.isOther ? "(other)" : name(r.memoryType, other: false) + " / " + name(r.operationType, other: false)
                t.row([label, grouped(r.operations), grouped(r.errors), percent(r.cacheHitRate),
                       duration(d?.p50), duration(d?.p95), duration(d?.p99)])
            }
            out += "\nMemory (\(EventField.operationTimeMs))\n" + t.text
        }
        if !s.routing.isEmpty {
            var t = Table([(EventField.routingStrategy.key, 40), ("decisions", 12), ("mean confidence", 17)])
            for r in s.routing {
                t.row([name(r.strategy, other: r.isOther), grouped(r.decisions), r.meanConfidence.map { Format.fixed($0, 3) } ?? "-"])
            }
            out += "\nRouting\n" + t.text
        }
        return out
    }

    /// A table: the first column left-aligned and cut to its width, the others right-aligned.
    struct Table {
        private let columns: [(title: String, width: Int)]
        private(set) var text: String

        init(_ columns: [(String, Int)]) {
            self.columns = columns.map { (title: $0.0, width: $0.1) }
            text = ""
            row(columns.map(\.0))
        }

        mutating func row(_ cells: [String]) {
            var line = "  "
            for (i, cell) in cells.enumerated() where i < columns.count {
                let width = columns[i].width
                if i == 0 {
                    line += Format.pad(TelemetryCommand.cut(cell, width - 1), width)
                } else {
                    line += cell.count >= width ? " " + cell : String(repeating: " ", count: width - cell.count) + cell
                }
            }
            text += line + "\n"
        }
    }

    /// A name for a table cell: `(none)` for nil, `(other)` for the overflow row, control characters escaped.
    static func name(_ name: String?, other: Bool) -> String {
        if other { return "(other)" }
        guard let name else { return "(none)" }
        var out = ""
        for u in name.unicodeScalars {
            if u.value < 0x20 || (0x7F...0x9F).contains(u.value) {
                let hex = String(u.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// `s` cut to `width` characters, ending with `…` when cut.
    static func cut(_ s: String, _ width: Int) -> String {
        s.count <= width ? s : String(s.prefix(max(0, width - 1))) + "…"
    }

    static func distinct(_ d: DistinctCount) -> String {
        d.isExact ? grouped(d.value) : "≈ " + grouped(d.value) + "  (estimate, ±" + Format.fixed(d.standardError * 100, 1) + "%)"
    }

    /// `12.5%`; `-` for nil; exact 0 and 1 as `0%` and `100%`, anything else never rounded to them.
    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "-" }
        if rate <= 0 { return "0%" }
        if rate >= 1 { return "100%" }
        let text = Format.fixed(rate * 100, 1)
        return (text == "100.0" ? "99.9" : text == "0.0" ? "<0.1" : text) + "%"
    }

    /// A duration in milliseconds, compact: `0.25ms`, `42.5ms`, `812ms`, `2.31s`, `12.5m`, `1.5h`; `-` for nil.
    static func duration(_ ms: Double?) -> String {
        guard let ms else { return "-" }
        if ms < 10 { return Format.fixed(ms, 2) + "ms" }
        if ms < 100 { return Format.fixed(ms, 1) + "ms" }
        if ms < 999.5 { return Format.fixed(ms, 0) + "ms" }
        if ms < 59_995 { return Format.fixed(ms / 1000, 2) + "s" }
        if ms < 3_597_000 { return Format.fixed(ms / 60_000, 1) + "m" }
        return Format.fixed(ms / 3_600_000, 1) + "h"
    }

    /// `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A count grouped when it fits `width - 1` characters, else `12.3M`, `4.56G`, `7.89T`.
    static func compact(_ n: Int, width: Int = 9) -> String {
        let text = grouped(n)
        if text.count < width { return text }
        let d = Double(n)
        if d < 1e9 { return Format.fixed(d / 1e6, 1) + "M" }
        if d < 1e12 { return Format.fixed(d / 1e9, 2) + "G" }
        if d < 1e15 { return Format.fixed(d / 1e12, 2) + "T" }
        return Format.fixed(d / 1e15, 2) + "P"
    }
}
