import Foundation

/// Renders benchmark reports as aligned text tables.
enum ResultTable {
    static func renderEnvironment(_ e: BenchOutput.Environment) -> String {
        var s = "torqlog-bench: \(Fmt.count(e.events)) events, \(Fmt.bytes(e.workloadBytes)) of JSONL "
        s += "(largest run: \(Fmt.count(e.largestRunEvents)) events), seed \(e.seed)\n"
        s += "stores in \(e.storeDirectory) on \(e.filesystem); \(e.cpus) CPUs (\(e.cpuModel)); SQLite \(e.sqliteVersion)\n"
        s += "torqlog CLI: \(e.torqlogBinary ?? "not found (CLI rows skipped)")\n"
        s += "figures: median and min over --repeat \(e.repeats) (each repeat: the median of its runs); \(e.pageCache)\n"
        s += "load average (1, 5, 15 min) at start: \(e.loadAverageAtStart) — other work on the machine stretches wall times, not the CPU column\n"
        s += "peak RSS: in process, VmHWM (reset before each run; \(Fmt.bytes(e.residentBytesAtStart)) before any benchmark) and (+ its rise during the run); "
        s += "CLI rows: the child's peak, from one extra run under /usr/bin/time\n"
        s += "CPU: user + system seconds of one run (median), all threads; vs X: X's median time ÷ this row's (3.00× = three times as fast as X)\n"
        return s
    }

    static func render(_ report: BenchmarkReport) -> String {
        var s = "== \(report.name): \(report.title) (\(report.repeats) repeat\(report.repeats == 1 ? "" : "s") × \(report.runs) run\(report.runs == 1 ? "" : "s"))\n"
        let baselines = report.baselineSystems
        var header = ["system", "operation", "median", "min", "CPU", "events/s", "MB/s"]
        header += baselines.map { "vs \($0)" }
        header += ["latency of", "p50", "p99", "p99.9", "max", "peak RSS"]
        var rows: [[String]] = [header]
        for r in report.rows {
            var cells = [r.system, r.operation, Fmt.seconds(r.medianSeconds), Fmt.seconds(r.minSeconds),
                         r.medianCPUSeconds.map { Fmt.seconds($0) } ?? "—",
                         r.eventsPerSecond.map { Fmt.count(Int($0.rounded())) } ?? "—",
                         r.megabytesPerSecond.map { Fmt.fixed($0, $0 < 10 ? 2 : 0) } ?? "—"]
            for b in baselines {
                if r.isBaseline && r.system == b { cells.append("1×"); continue }
                cells.append(report.speedRatio(r, versus: b).map { Fmt.ratio($0) } ?? "—")
            }
            if let l = r.latency {
                cells += [l.operation, Fmt.seconds(l.p50), Fmt.seconds(l.p99), Fmt.seconds(l.p999), Fmt.seconds(l.max)]
            } else {
                cells += ["—", "—", "—", "—", "—"]
            }
            cells.append(r.peakRSS.map { Fmt.bytes($0) + (r.peakRSSGrowth.map { " (+\(Fmt.bytes($0)))" } ?? "") } ?? "—")
            rows.append(cells)
        }
        // Right-align figures, left-align the two text columns and "latency of".
        let leftAligned: Set<Int> = [0, 1, 7 + baselines.count]
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        for row in rows {
            var line = ""
            for (i, c) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += leftAligned.contains(i) ? c + pad : pad + c
                if i < row.count - 1 { line += "  " }
            }
            while line.last == " " { line.removeLast() }
            s += line + "\n"
        }
        for r in report.rows where !r.extra.isEmpty {
            for key in r.extra.keys.sorted() {
                s += "  \(r.system), \(r.operation): \(key): \(r.extra[key]!)\n"
            }
        }
        for g in report.goals {
            s += "  goal \(g.description): \(g.met ? "met" : "MISSED") (\(g.actual))\n"
        }
        for c in report.checks { s += "  check: \(c)\n" }
        for n in report.notes { s += "  note: \(n)\n" }
        return s
    }

    static func json(_ output: BenchOutput) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}

/// Number formatting for the tables.
enum Fmt {
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "—" }
        return String(format: "%.\(digits)f", x)
    }

    /// 3 significant-ish digits with a unit: 812 ns, 41.2 µs, 3.07 ms, 1.24 s.
    static func seconds(_ s: Double) -> String {
        guard s.isFinite else { return "—" }
        func three(_ v: Double) -> String { fixed(v, v >= 100 ? 0 : v >= 10 ? 1 : 2) }
        if s >= 1 { return three(s) + " s" }
        if s >= 1e-3 { return three(s * 1e3) + " ms" }
        if s >= 1e-6 { return three(s * 1e6) + " µs" }
        return fixed(s * 1e9, 0) + " ns"
    }

    static func bytes(_ b: Int64) -> String {
        let x = Double(b)
        if x >= 1e9 { return fixed(x / 1e9, 2) + " GB" }
        if x >= 1e6 { return fixed(x / 1e6, 1) + " MB" }
        if x >= 1e3 { return fixed(x / 1e3, 1) + " kB" }
        return "\(b) B"
    }

    static func ratio(_ r: Double) -> String {
        guard r.isFinite else { return "—" }
        return fixed(r, r >= 100 ? 0 : r >= 10 ? 1 : 2) + "×"
    }
}
