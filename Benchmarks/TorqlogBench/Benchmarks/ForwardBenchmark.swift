import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// forward: `torqlog forward` (release binary) from a store of spans to a
/// local `torqlog serve` (release binary, `--fsync batch`), in one run:
///
/// 1. throughput: spans/s from the start of `forward` to its exit (every span
///    answered 200 = stored durably by the receiver), and the forwarder's CPU;
/// 2. bytes on the wire per span (gzip) and before gzip, from its summary;
/// 3. resume after a kill: a second forward of a fresh copy of the store is
///    killed with SIGKILL once its cursor passed a third of the store, then
///    started again: the time from that start to its cursor moving past the
///    saved one (its first answered request), and to the end.
enum ForwardBenchmark: Benchmark {
    static let name = "forward"
    static let abstract = "torqlog forward of a store of spans to a local torqlog serve: spans/s, bytes per span (gzip), time to resume after kill -9"
    static let defaultRuns = 1

    static func run(_ context: BenchContext) throws -> BenchmarkReport {
        guard let binary = context.torqlogBinary else {
            throw BenchError("forward needs the release torqlog executable (swift build -c release --product torqlog, or --torqlog PATH)")
        }
        let spans = min(max(context.workload.events, 100_000), 1_000_000)
        var report = BenchmarkReport(name: name, title: "\(Fmt.count(spans)) spans (span_start + span_end each) to torqlog serve --fsync batch",
                                     repeats: context.repeats, runs: 1)
        let input = context.newPath("forward-spans.jsonl")
        try writeSpans(spans, to: input)
        let source = context.newPath("forward-a")
        _ = try Subprocess(executable: binary, arguments: ["--dir", source, "ingest", "--fsync", "never", "--quiet"], stdin: input).runChecked("torqlog ingest")
        var row = ResultRow(system: "torqlog forward", operation: "OTLP/HTTP protobuf + gzip, 4 requests in flight per signal, 200 = durable", isBaseline: false)
        var rates: [Double] = []
        var resumeNote = ""
        for rep in 0..<context.repeats {
            let store = context.newPath("forward-b")
            let server = try ServerProcess(binary: binary, store: store, arguments: ["--fsync", "batch", "--no-ui"], scratch: store + "-server")
            let url = "http://127.0.0.1:\(server.port)"
            let log = context.newPath("forward.log")
            let cursor = source + "/cursor-bench\(rep)"
            // Its summary goes to stderr, which Subprocess removes: the shell (exec'd into torqlog) keeps it in `log`.
            let result = try Subprocess(executable: "/bin/sh", arguments: ["-c", "exec \"$0\" \"$@\" 2>\"\(log)\"", binary,
                                                                          "--dir", source, "forward", "--to", url, "--name", "bench\(rep)"])
                .runChecked("torqlog forward")
            let summary = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            context.remove(log)
            let sent = number("spans", in: summary) ?? 0
            let wire = number("bytes", in: summary) ?? 0
            let raw = summary.firstMatch(of: #/gzip, (\d+) before/#).flatMap { Int($0.1) } ?? 0
            guard sent == spans else { _ = server.stop(); throw BenchError("forward: \(sent) of \(spans) spans sent: \(summary)") }
            rates.append(Double(spans) / result.seconds)
            row.seconds.append(result.seconds)
            row.cpuSeconds.append(result.cpuSeconds)
            row.events = spans
            row.bytes = Int64(wire)
            row.extra["spans/s"] = Fmt.count(Int(Double(spans) / result.seconds))
            row.extra["wire B/span"] = String(format: "%.1f", Double(wire) / Double(spans))
            row.extra["raw B/span"] = String(format: "%.1f", Double(raw) / Double(spans))
            row.extra["forward CPU s"] = String(format: "%.2f", result.cpuSeconds)
            row.extra["receiver CPU s"] = String(format: "%.2f", server.cpuSeconds)
            context.remove(cursor)

            // 3. Resume after kill -9.
            let name = "resume\(rep)"
            let resumeCursor = source + "/cursor-" + name
            let first = try spawn(binary, ["--dir", source, "forward", "--to", url, "--name", name, "--in-flight", "1"])
            var saved: UInt64 = 0
            let total = UInt64(2 * spans)
            for _ in 0..<60_000 {
                saved = readCursor(resumeCursor)
                if saved > total / 3 { break }
                usleep(500)
            }
            kill(first, SIGKILL)
            var status: Int32 = 0
            waitpid(first, &status, 0)
            saved = readCursor(resumeCursor)
            let start = monotonicNanoseconds()
            let second = try spawn(binary, ["--dir", source, "forward", "--to", url, "--name", name])
            var resumed: UInt64 = 0
            while readCursor(resumeCursor) <= saved {
                if waitpid(second, &status, WNOHANG) == second { break }
                usleep(200)
            }
            resumed = monotonicNanoseconds() - start
            waitpid(second, &status, 0)
            let finished = monotonicNanoseconds() - start
            context.remove(resumeCursor)
            _ = server.stop()
            resumeNote = "resume after kill -9 (cursor saved at \(Fmt.count(Int(saved))) of \(Fmt.count(Int(total))) records): "
                + String(format: "%.1f ms from the restart to its first answered request, %.2f s to the end", Double(resumed) / 1e6, Double(finished) / 1e9)
            context.log("forward: repeat \(rep + 1): \(Fmt.count(Int(rates.last ?? 0))) spans/s; \(resumeNote)")
        }
        report.rows = [row]
        let rate = rates.sorted()[rates.count / 2]
        report.goals.append(.init(description: "≥ 100,000 spans/s forwarded to a local receiver", met: rate >= 100_000, actual: Fmt.count(Int(rate)) + " spans/s"))
        report.notes.append(resumeNote)
        context.remove(input)
        return report
    }

    /// `count` spans as our tracer writes them (`span_start`, `span_end`), 20 to a trace under one root.
    static func writeSpans(_ count: Int, to path: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot create \(path)") }
        defer { fclose(file) }
        var line = ""
        let base: Int64 = 1_772_366_400_000_000_000
        for i in 0..<count {
            let trace = String(format: "%016x%016x", 0x5eed, i / 20 + 1)
            let span = String(format: "%016x", i + 1)
            let root = String(format: "%016x", (i / 20) * 20 + 1)
            let parent = i % 20 == 0 ? "" : #","parent_span_id":"\#(root)""#
            let t0 = base + Int64(i) * 1_000_000
            let start = RFC3339Stamp.format(t0), end = RFC3339Stamp.format(t0 + 850_000)
            let name = i % 20 == 0 ? "agent.run support" : (i % 2 == 0 ? "llm.chat gpt-4o" : "tool.search")
            line = #"{"event_id":"s\#(i)","event_type":"span_start","timestamp":"\#(start)","session_id":"sess-\#(i / 200)","run_id":"run-\#(i / 20)","trace_id":"\#(trace)","span_id":"\#(span)"\#(parent),"name":"\#(name)","kind":"internal"}"# + "\n"
            line += #"{"event_id":"e\#(i)","event_type":"span_end","timestamp":"\#(end)","session_id":"sess-\#(i / 200)","run_id":"run-\#(i / 20)","trace_id":"\#(trace)","span_id":"\#(span)"\#(parent),"name":"\#(name)","status":"ok","duration_ms":0.85,"attributes":{"gen_ai.request.model":"gpt-4o","tokens":\#(i % 977)}}"# + "\n"
            fputs(line, file)
        }
    }

    static func number(_ label: String, in summary: String) -> Int? {
        let words = summary.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" || $0 == "(" || $0 == "\n" })
        guard let at = words.firstIndex(where: { $0 == label }), at > 0 else { return nil }
        return Int(words[at - 1])
    }

    static func readCursor(_ path: String) -> UInt64 {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        return text.split(separator: " ").dropFirst(2).first.flatMap { UInt64($0) } ?? 0
    }

    static func spawn(_ binary: String, _ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot run \(binary): \(String(cString: strerror(rc)))") }
        return pid
    }
}

/// RFC 3339 UTC with microseconds, for generated records.
enum RFC3339Stamp {
    static func format(_ ns: Int64) -> String {
        var t = time_t(ns / 1_000_000_000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(ns % 1_000_000_000) / 1000)
    }
}
