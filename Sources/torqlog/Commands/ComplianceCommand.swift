import ArgumentParser
import TorqLogStore
import TorqTelemetry

/// `torqlog compliance`: how many events follow the telemetry schema, and what to fix.
struct ComplianceCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Check events against the telemetry schema (at least 95% compliant) and say what to fix.",
        discussion: """
            Scans the store, or the SOURCEs given: a directory is a store (or an archive folder); \
            NNNNNNNNNNNNNNNNNNNN.wal / .lz4 a segment file; *.gz gzip-compressed JSONL; - standard input; \
            anything else JSONL. An event is compliant when it is a JSON object of one of the five event \
            types whose required fields are present, not null and valid (see `torqlog schema`).

            --min-score X exits 1 when the compliance score is below X (0.95 or 95%).
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions
    @OptionGroup var filters: FilterOptions

    @Option(help: "text or json.")
    var format: ReportFormat = .text

    @Option(name: .customLong("min-score"), help: ArgumentHelp("Exit 1 when the compliance score is below SCORE (0 to 1, or a percentage).", valueName: "SCORE"))
    var minScore: Score?

    @Argument(help: ArgumentHelp("Stores, segment files, JSONL or JSONL.gz files (default: the store).", valueName: "SOURCE"))
    var sources: [String] = []

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// A score given as `0.95` or `95%`.
    struct Score: ExpressibleByArgument {
        let value: Double

        init?(argument: String) {
            let percent = argument.hasSuffix("%")
            guard let number = Double(percent ? String(argument.dropLast()) : argument), number.isFinite else { return nil }
            let value = percent ? number / 100 : number
            guard (0...1).contains(value) else { return nil }
            self.value = value
        }
    }

    func run() throws {
        let scanSources = sources.isEmpty ? [ScanSource.store(store.path)] : sources.map(ScanSource.init(argument:))
        let report: ComplianceReport
        do {
            report = try ComplianceScanner(filter: filters.filter()).scan(scanSources)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        let out = OutputStream()
        switch format {
        case .json: out.write(report.json() + "\n")
        case .text: out.write(Self.text(report, minScore: minScore?.value))
        }
        out.flush()
        if let minScore, report.complianceScore < minScore.value {
            throw ExitCode(1)
        }
    }

    /// The report for people: the score, a table by type, recommended-field
    /// coverage, the first non-compliant events and the recommendations.
    static func text(_ r: ComplianceReport, minScore: Double?) -> String {
        let required = minScore ?? ComplianceReport.requiredScore
        let verdict = r.complianceScore >= required ? "ok" : "BELOW"
        var s = "compliance \(percent(r.complianceScore))  (\(grouped(r.compliantEvents)) of \(grouped(r.totalEvents)) events)"
            + "  required ≥ \(percent(required)): \(verdict)\n\n"
        s += Format.pad("type", 20) + left("events", 12) + left("compliant", 12) + left("score", 9) + "\n"
        for t in r.byType where t.events > 0 || t.name != "unknown" {
            s += Format.pad(t.name, 20) + left(grouped(t.events), 12) + left(grouped(t.compliantEvents), 12)
                + left(t.events == 0 ? "-" : percent(t.score), 9) + "\n"
        }
        if r.notJSONObjects > 0 {
            s += Format.pad("(not JSON objects)", 20) + left(grouped(r.notJSONObjects), 12) + left("0", 12) + left("0%", 9) + "\n"
        }
        if r.spanEvents > 0 {
            s += "\n\(grouped(r.spanEvents)) span events (span_start, span_end) are tracing records, not subject to the rule\n"
        }
        let recommended = r.fields.filter { $0.requirement == .recommended && $0.events > 0 }
        if !recommended.isEmpty {
            s += "\nrecommended fields (present and valid)\n"
            for f in recommended {
                s += "  " + Format.pad("\(f.eventType).\(f.field)", 38) + left(f.coverage.map(percent) ?? "-", 7) + "\n"
            }
        }
        if !r.examples.isEmpty {
            s += "\nfirst non-compliant events\n"
            for e in r.examples {
                s += "  \(e.location)  " + e.issues.map(\.description).joined(separator: "; ") + "\n"
            }
        }
        if !r.recommendations.isEmpty {
            s += "\nrecommendations\n"
            for line in r.recommendations { s += "  - " + line + "\n" }
        }
        return s
    }

    private static func percent(_ share: Double) -> String {
        if share >= 1 { return "100%" }
        if share <= 0 { return "0%" }
        let text = Format.fixed(share * 100, 1)
        return (text == "100.0" ? "99.9" : text == "0.0" ? "0.1" : text) + "%"
    }

    private static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    private static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
