import Foundation
import Testing
import TorqTestSupport

/// Broken JSONL interleaved with good lines: each bad line is reported once as
/// `FILE:LINE: reason`, every good line is stored, blank lines are skipped
/// silently, and the exit status says data was rejected.
@Suite("Bad input: rejected lines, line numbers, --strict")
struct BadInputTests {
    /// A JSONL input built line by line, knowing what each line should become.
    struct Corpus {
        enum Kind { case good, bad, blank }
        var bytes = Data()
        /// The bytes a good line is stored as (without `\r\n` / `\n`).
        var stored: [Data] = []
        /// 1-based numbers of the bad lines, and a word their reason must contain (if any).
        var bad: [(line: Int, reasonContains: String?)] = []
        var lineCount = 0

        mutating func add(_ content: Data, _ kind: Kind, ending: String = "\n", reason: String? = nil) {
            lineCount += 1
            bytes.append(content)
            bytes.append(contentsOf: Array(ending.utf8))
            switch kind {
            case .good: stored.append(content)
            case .bad: bad.append((lineCount, reason))
            case .blank: break
            }
        }
        mutating func add(_ content: [UInt8], _ kind: Kind, ending: String = "\n", reason: String? = nil) {
            add(Data(content), kind, ending: ending, reason: reason)
        }
        mutating func add(_ text: String, _ kind: Kind, ending: String = "\n", reason: String? = nil) {
            add(Data(text.utf8), kind, ending: ending, reason: reason)
        }

        /// `{"KEY":"` + `count` times `fill` + `"}` (built without per-byte work: these are megabytes).
        static func bigObject(key: String, fill: UInt8, count: Int) -> Data {
            var d = Data(#"{"\#(key)":""#.utf8)
            d.append(Data(repeating: fill, count: count))
            d.append(Data(#""}"#.utf8))
            return d
        }

        var badLines: [Int] { bad.map(\.line) }
    }

    static let maxRecord = 16 << 20

    /// The full corpus: every kind of broken line, big lines at and over the limit, CRLF,
    /// blank lines, and a last line without a newline.
    static let corpus: Corpus = {
        let w = Workload.lines(1_000)
        var c = Corpus()
        c.add(w[0], .good)
        c.add(#"{"event_type":"tool_execution","run_id":"r"#, .bad)                     // truncated object
        c.add("{", .bad)
        c.add("{}", .good)
        c.add("not json", .bad)
        c.add("", .blank)
        c.add("[1,2,3]", .bad, reason: "not a JSON object")
        c.add(#"[{"event_type":"agent_run"}]"#, .bad, reason: "not a JSON object")
        c.add(#""just a string""#, .bad, reason: "not a JSON object")
        c.add("42", .bad, reason: "not a JSON object")
        c.add("-1.5e3", .bad, reason: "not a JSON object")
        c.add("true", .bad, reason: "not a JSON object")
        c.add("null", .bad, reason: "not a JSON object")
        c.add("   \t  ", .blank)
        c.add(w[1], .good, ending: "\r\n")
        c.add(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8), .bad, reason: "UTF-8")               // never valid in UTF-8
        c.add(Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), .bad, reason: "UTF-8")         // overlong "/"
        c.add(Array(#"{"a":""#.utf8) + [0xE0, 0x80, 0xAF] + Array(#""}"#.utf8), .bad, reason: "UTF-8")   // overlong, 3 bytes
        c.add(Array(#"{"a":""#.utf8) + [0x80] + Array(#""}"#.utf8), .bad, reason: "UTF-8")               // lone continuation byte
        c.add(Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), .bad, reason: "UTF-8")   // UTF-16 surrogate
        c.add(Array(#"{""#.utf8) + [0xFF, 0xFE] + Array(#"":1}"#.utf8), .bad, reason: "UTF-8")           // in a key
        c.add(Array(#"{"a":"x"#.utf8) + [0xF0, 0x9F, 0x98] + Array(#""}"#.utf8), .bad)                   // truncated 4-byte sequence
        c.add(Array(#"{"a":""#.utf8) + [0xE2, 0x82], .bad)                                               // truncated at end of line
        c.add(w[2], .good)
        c.add(#"{"a":[1,2,{]}"#, .bad)
        c.add(String(repeating: "[", count: 10_000), .bad)
        c.add(String(repeating: #"{"a":"#, count: 2_000) + "1" + String(repeating: "}", count: 2_000), .bad)  // deeper than 1024
        c.add(String(repeating: #"{"d":"#, count: 100) + "0" + String(repeating: "}", count: 100), .good)     // deep but fine
        c.add(#"{"a":1}{"b":2}"#, .bad)
        c.add(#"{"a":1} {"b":2}"#, .bad)
        c.add(#"{"a":1} trailing"#, .bad)
        c.add(#"{"a":1},"#, .bad)
        c.add([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), .bad, reason: "byte order mark")
        c.add(#"{"a":1,}"#, .bad)
        c.add(#"{'a':1}"#, .bad)
        c.add("{a:1}", .bad)
        c.add(#"{"a":NaN}"#, .bad)
        c.add(Array(#"{"a":""#.utf8) + [0x01] + Array(#""}"#.utf8), .bad)                               // raw control character
        c.add(#"{"a":"\q"}"#, .bad)                                                                        // invalid escape
        c.add(Array(#"{"a":1}"#.utf8) + [0x00], .bad)                                                    // trailing NUL
        c.add(#"{"crlf":true}"#, .good, ending: "\r\n")
        c.add("", .blank, ending: "\r\n")
        c.add("\t", .blank)
        c.add(w.first { $0.count > 40_000 }!, .good)
        c.add(w[3], .good)
        // Exactly the largest record (16 MiB, with a CRLF ending), then one byte more.
        c.add(Corpus.bigObject(key: "fill", fill: 0x61, count: maxRecord - 11), .good, ending: "\r\n")
        c.add(Corpus.bigObject(key: "fill", fill: 0x62, count: maxRecord - 10), .bad, reason: "maximum record size")
        c.add(w[4], .good)
        // 20 MB: far over the limit, then more good lines.
        c.add(Corpus.bigObject(key: "big", fill: 0x78, count: 20_000_000), .bad, reason: "maximum record size")
        c.add(w[5], .good)
        c.add(w[6], .good, ending: "\r\n")
        c.add("", .blank)
        c.add(w[7], .good, ending: "")                                                                    // no final newline
        return c
    }()

    /// Checks that `stderr` holds exactly one `source:LINE: reason` line per bad line
    /// (plus, unless `quiet`, the summary line last).
    static func checkRejections(_ result: CommandResult, _ corpus: Corpus, source: String, quiet: Bool,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        var lines = result.stderrLines
        if !quiet {
            let summary = lines.popLast() ?? ""
            #expect(summary.hasPrefix("torqlog ingest: \(corpus.stored.count) events"), "summary line: \(summary)", sourceLocation: sourceLocation)
            #expect(summary.contains("; \(corpus.bad.count) rejected"), "summary line: \(summary)", sourceLocation: sourceLocation)
        }
        var numbers: [Int] = []
        for line in lines {
            guard line.hasPrefix(source + ":") else {
                Issue.record("stderr line not of the form \(source):LINE: reason: \(line.prefix(300).debugDescription)", sourceLocation: sourceLocation)
                continue
            }
            let rest = line.dropFirst(source.count + 1)
            guard let colon = rest.firstIndex(of: ":"), let n = Int(rest[..<colon]), rest[colon...].hasPrefix(": "), rest.count > rest.distance(from: rest.startIndex, to: colon) + 2 else {
                Issue.record("stderr line without LINE: reason: \(line.prefix(300).debugDescription)", sourceLocation: sourceLocation)
                continue
            }
            numbers.append(n)
            if let want = corpus.bad.first(where: { $0.line == n })?.reasonContains {
                #expect(line.contains(want), "line \(n): reason should mention \(want.debugDescription): \(line)", sourceLocation: sourceLocation)
            }
        }
        #expect(numbers == corpus.badLines, "rejected line numbers", sourceLocation: sourceLocation)
    }

    @Test("a file: exit 65, one FILE:LINE: reason per bad line, every good line stored")
    func fromFile() throws {
        let corpus = Self.corpus
        try withTemporaryStore { store, scratch in
            let file = scratch + "/broken.jsonl"
            try corpus.bytes.write(to: URL(fileURLWithPath: file))
            let r = try TorqlogBinary.run(["--dir", store, "ingest", file])
            #expect(!r.signaled && r.status == 65, "ingest: \(r.how)")
            Self.checkRejections(r, corpus, source: file, quiet: false)

            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(export.succeeded, "export: \(export.summary)")
            expectJSONL(export.stdout, equals: corpus.stored, "export after bad input")
            #expect(try TorqlogBinary.run(["--dir", store, "verify"]).succeeded)
        }
    }

    @Test("standard input: the same, named <stdin>; --quiet leaves only the rejections")
    func fromStdin() throws {
        let corpus = Self.corpus
        try withTemporaryStore { store, _ in
            let r = try TorqlogBinary.run(["--dir", store, "ingest", "--quiet"], stdin: corpus.bytes)
            #expect(!r.signaled && r.status == 65, "ingest: \(r.how)")
            Self.checkRejections(r, corpus, source: "<stdin>", quiet: true)
            #expect(r.stderrLines.count == corpus.bad.count)
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: corpus.stored, "export after bad input on stdin")
        }
    }

    @Test("--strict stops at the first bad line: the good lines before it are stored, none after")
    func strict() throws {
        var small = Corpus()
        let w = Workload.lines(20)
        small.add(w[0], .good)
        small.add(w[1], .good, ending: "\r\n")
        small.add("   ", .blank)
        small.add(w[2], .good)
        small.add(#"{"a":1}{"b":2}"#, .bad)
        small.add(w[3], .good)
        small.add("[]", .bad)
        small.add(w[4], .good, ending: "")
        try withTemporaryStore { store, scratch in
            let file = scratch + "/strict.jsonl"
            try small.bytes.write(to: URL(fileURLWithPath: file))
            let r = try TorqlogBinary.run(["--dir", store, "ingest", "--strict", "--quiet", file])
            #expect(!r.signaled && r.status == 65, "ingest --strict: \(r.summary)")
            #expect(r.stderrLines.count == 1 && r.stderrLines.first?.hasPrefix(file + ":5: ") == true, "stderr: \(r.stderrText)")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: Array(small.stored.prefix(3)), "export after --strict")

            // The same from stdin, into the same store: three more.
            let s = try TorqlogBinary.run(["--dir", store, "ingest", "--strict"], stdin: small.bytes)
            #expect(!s.signaled && s.status == 65, "ingest --strict from stdin: \(s.summary)")
            #expect(s.stderrLines.first?.hasPrefix("<stdin>:5: ") == true, "stderr: \(s.stderrText)")
            #expect(s.stderrLines.count == 2 && s.stderrLines.last?.contains("--strict") == true, "stderr: \(s.stderrText)")
            let again = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(again.stdout, equals: Array(small.stored.prefix(3)) + Array(small.stored.prefix(3)), "export after two --strict runs")
        }
    }

    @Test("--strict with an oversized line first: nothing after it is stored")
    func strictOversized() throws {
        var c = Corpus()
        let w = Workload.lines(5)
        c.add(w[0], .good)
        c.add("", .blank)
        c.add(Corpus.bigObject(key: "big", fill: 0x78, count: 20_000_000), .bad, reason: "maximum record size")
        c.add(w[1], .good)
        c.add(w[2], .good)
        try withTemporaryStore { store, _ in
            let r = try TorqlogBinary.run(["--dir", store, "ingest", "--strict", "-q"], stdin: c.bytes)
            #expect(!r.signaled && r.status == 65, "ingest --strict: \(r.summary)")
            Self.checkRejections(r, c, source: "<stdin>", quiet: true)
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: [w[0]], "export after --strict at an oversized line")
        }
    }

    @Test("a clean file (blank lines, CRLF, no final newline) exits 0 with nothing on stderr but the summary")
    func cleanFile() throws {
        var c = Corpus()
        let w = Workload.lines(300)
        for (i, line) in w.enumerated() {
            if i % 50 == 10 { c.add(i % 100 == 10 ? "" : " \t ", .blank) }
            c.add(line, .good, ending: i == w.count - 1 ? "" : (i % 7 == 3 ? "\r\n" : "\n"))
        }
        try withTemporaryStore { store, scratch in
            let file = scratch + "/clean.jsonl"
            try c.bytes.write(to: URL(fileURLWithPath: file))
            let r = try TorqlogBinary.run(["--dir", store, "ingest", "--strict", file])
            #expect(r.succeeded, "ingest: \(r.summary)")
            #expect(r.stderrLines.count == 1 && r.stderrText.contains("\(w.count) events") && r.stderrText.contains("0 rejected"), "stderr: \(r.stderrText)")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: w, "export of a clean file")
        }
    }

    @Test("several files, relative paths: each named as given, line numbers per file")
    func severalFiles() throws {
        var a = Corpus(), b = Corpus()
        let w = Workload.lines(10)
        a.add(w[0], .good); a.add("oops", .bad); a.add(w[1], .good); a.add("", .blank); a.add("[1]", .bad)
        b.add("{", .bad); b.add(w[2], .good, ending: "\r\n"); b.add(w[3], .good)
        try withTemporaryStore { store, scratch in
            try FileManager.default.createDirectory(atPath: scratch + "/in", withIntermediateDirectories: false)
            try a.bytes.write(to: URL(fileURLWithPath: scratch + "/in/a.jsonl"))
            try b.bytes.write(to: URL(fileURLWithPath: scratch + "/b.jsonl"))
            let r = try TorqlogBinary.run(["--dir", store, "ingest", "-q", "in/a.jsonl", "b.jsonl"], cwd: scratch)
            #expect(!r.signaled && r.status == 65, "ingest: \(r.summary)")
            #expect(r.stderrLines.map { String($0.prefix { $0 != " " }) } == ["in/a.jsonl:2:", "in/a.jsonl:5:", "b.jsonl:1:"], "stderr: \(r.stderrText)")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: a.stored + b.stored, "export of two files")

            // '-' is standard input, between files.
            let m = try TorqlogBinary.run(["--dir", store, "ingest", "-q", "b.jsonl", "-"], stdin: Data("nope\n".utf8 + w[4] + Data("\n".utf8)), cwd: scratch)
            #expect(m.status == 65 && m.stderrLines.count == 2 && m.stderrLines[0].hasPrefix("b.jsonl:1: ")
                    && m.stderrLines[1].hasPrefix("<stdin>:1: "), "stderr: \(m.stderrText)")

            // A file that does not exist: an error naming it, and a failure status.
            let missing = try TorqlogBinary.run(["--dir", store, "ingest", "-q", "no-such-file.jsonl"], cwd: scratch)
            #expect(!missing.succeeded && missing.stderrText.contains("no-such-file.jsonl"), "missing file: \(missing.summary)")
            let final = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(final.stdout, equals: a.stored + b.stored + b.stored + [w[4]], "export at the end")
        }
    }
}
