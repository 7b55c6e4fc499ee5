import Foundation
import Testing
@testable import TorqEvents

/// Field names come from the schema: ``EventField`` spells each one, once, in
/// `Sources/TorqEvents/Schema/EventSchema.swift`, and everything else under
/// `Sources` takes it from there. These tests keep that true.
@Suite("Field names are spelled once")
struct FieldNameLiteralTests {
    @Test("EventField names exactly the fields of the schema")
    func eventFieldIsTheSchema() {
        var schemaNames = EventSchema.commonFields.map(\.name)
        for schema in EventSchema.complianceSchemas + EventSchema.spanSchemas {
            schemaNames += schema.fields.map(\.name)
        }
        #expect(Set(EventField.allCases.map(\.key)) == Set(schemaNames))
        #expect(Set(EventField.allCases.map(\.key)).count == EventField.allCases.count)
        for field in EventField.allCases {
            let member = field.staticMember
            let bytes = Array(UnsafeBufferPointer(start: member.utf8Start, count: member.utf8CodeUnitCount))
            #expect(bytes == Array(",\"\(field.key)\":".utf8), "\(field)")
            #expect(Array(field.utf8) == Array(field.key.utf8))
            #expect(EventField(key: field.key) == field)
            #expect(field.description == field.key)
        }
        #expect(EventField(key: "no_such_field") == nil)
        #expect(EventField.executionTimeMs.key == "execution_time_ms")
        #expect(EventField.parentSpanID.key == "parent_span_id")
    }

    @Test("no field name is spelled as a string literal under Sources outside the schema")
    func noFieldNameLiterals() throws {
        let sources = Self.packageRoot.appendingPathComponent("Sources")
        let names = EventField.allCases.map(\.key)
        var files: [URL] = []
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "swift" { files.append(url) }
        }
        #expect(files.count > 100, "found \(files.count) Swift files under \(sources.path)")

        var found: [String] = []
        var used = Set<Int>()
        for url in files.sorted(by: { $0.path < $1.path }) {
            let path = String(url.path.dropFirst(Self.packageRoot.path.count + 1))
            if Self.exempt.contains(where: { path.hasPrefix($0) }) { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for literal in SwiftStringLiterals.scan(text) {
                for (name, lineNumber) in Self.hits(literal, names: names) {
                    let line = lineNumber <= lines.count ? String(lines[lineNumber - 1]) : ""
                    if let i = Self.allowed.firstIndex(where: { $0.allows(path: path, line: line, name: name) }) {
                        used.insert(i)
                        continue
                    }
                    found.append("\(path):\(lineNumber): \"\(name)\"")
                }
            }
        }
        #expect(found.isEmpty, Comment(rawValue: "field names spelled as string literals (take them from EventField):\n" + found.joined(separator: "\n")))
        for (i, allowance) in Self.allowed.enumerated() where !used.contains(i) {
            Issue.record(Comment(rawValue: "allow-list entry no longer needed: \(allowance.path) \(allowance.snippet ?? "")"))
        }
    }

    @Test("the literal scanner finds keys, prose and literals inside interpolations, and skips comments")
    func scannerRules() {
        let names = ["run_id", "status", "execution_time_ms"]
        let source = #"""
            let a = "run_id" // "status" in a comment
            /* "status" */ let b = #"{"status":1}"#
            let c = "x \(f("execution_time_ms")) y", d = "the run's run_id.", e = "torq.run_id", f = "status: ok"
            let g = """
                multi \
                line run_id
                """
            """#
        let hits = SwiftStringLiterals.scan(source).flatMap { literal in Self.hits(literal, names: names).map { "\($0.line):\($0.name)" } }
        #expect(hits == ["1:run_id", "2:status", "3:execution_time_ms", "3:run_id", "6:run_id"])
    }

    // MARK: - Rules

    /// The names a literal spells, each with the line where it is: the whole
    /// literal is the name, or the name appears quoted (a JSON key,
    /// `"name"`), or — for names with an underscore, distinctive enough to
    /// find in prose — appears as a word.
    static func hits(_ literal: SwiftStringLiterals.Literal, names: [String]) -> [(name: String, line: Int)] {
        names.compactMap { name in
            if !literal.isInterpolated && literal.text.elementsEqual(name.utf8) { return (name, literal.line) }
            if let at = firstOffset(of: Array("\"\(name)\"".utf8), in: literal.text, word: false) { return (name, literal.line(at: at)) }
            if name.contains("_"), let at = firstOffset(of: Array(name.utf8), in: literal.text, word: true) { return (name, literal.line(at: at)) }
            return nil
        }
    }

    /// Where `needle` first occurs in `text`; with `word`, only where it is
    /// not preceded by a letter, digit, `_` or `.` (so OpenTelemetry names
    /// like `torq.error_message` do not count) and not followed by a letter,
    /// digit or `_`.
    static func firstOffset(of needle: [UInt8], in text: [UInt8], word: Bool) -> Int? {
        guard text.count >= needle.count else { return nil }
        func isWordByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }
        for i in 0...(text.count - needle.count) where text[i..<(i + needle.count)].elementsEqual(needle) {
            if word {
                if i > 0 && (isWordByte(text[i - 1]) || text[i - 1] == 0x2E) { continue }
                if i + needle.count < text.count && isWordByte(text[i + needle.count]) { continue }
            }
            return i
        }
        return nil
    }

    // MARK: - What is exempt

    /// The package root, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Paths (under the package root) not checked at all.
    static let exempt = [
        // The one place the names are spelled.
        "Sources/TorqEvents/Schema/EventSchema.swift",
        // Test fixtures and workloads: they spell the wire format on purpose,
        // independently of EventField, so that the tests check the schema's
        // spelling instead of repeating it.
        "Sources/TorqTestSupport/",
        // Generated from opentelemetry-proto: OTLP's own field names (trace_id, …).
        "Sources/TorqOTLPProto/Generated/",
        // Generated from the viewer's JavaScript (Sources/TorqServer/Viewer/Assets): a browser
        // client reads the API's JSON by its field names; the server side spells none.
        "Sources/TorqServer/Viewer/ViewerAssets.swift",
    ]

    /// A literal allowed to stay: where (a path, and a snippet of its line,
    /// or any line of the file), which name, and why.
    struct Allowance {
        let path: String
        let snippet: String?
        let names: Set<String>
        let reason: String

        func allows(path: String, line: String, name: String) -> Bool {
            path == self.path && names.contains(name) && (snippet.map { line.contains($0) } ?? true)
        }
    }

    /// Literals spelled like field names that are not field names.
    static let allowed: [Allowance] = [
        Allowance(path: "Sources/TorqEvents/Schema/FieldKind.swift", snippet: nil, names: ["event_type", "trace_id", "span_id"],
                  reason: "raw values of FieldKind name value shapes, not fields (and an enum's raw values must be literals)"),
        Allowance(path: "Sources/TorqAnalysis/OTLP/OTLPKey.swift", snippet: nil, names: ["name", "kind", "attributes", "status"],
                  reason: "OTLP's own JSON keys: OpenTelemetry's names, which must not follow a renamed field"),
        Allowance(path: "Sources/TorqAnalysis/OTLP/GenAIAttributes.swift", snippet: #"case "search", "read", "retrieve""#, names: ["query"],
                  reason: "an operation_type value (a memory query), not the routing field"),
        Allowance(path: "Sources/TorqAnalysis/TraceView/TraceRecord.swift", snippet: nil, names: ["success"],
                  reason: "a status value (\"success\"), not the boolean field"),
        Allowance(path: "Sources/torqlog/Commands/InfoCommand.swift", snippet: #"{\"name\":"#, names: ["name", "kind"],
                  reason: "keys of the store's segment listing (torqlog info --format json), not event fields"),
        Allowance(path: "Sources/TorqServer/API/ViewerAPI.swift", snippet: #"("name", .string(segment.name)), ("kind","#, names: ["name", "kind"],
                  reason: "keys of the store's segment listing (GET /api/store, as torqlog info --format json), not event fields"),
        Allowance(path: "Sources/torqlog/Commands/IngestCommand.swift", snippet: #"valueName: "name""#, names: ["name"],
                  reason: "the --redact-field option's value name in the help"),
        Allowance(path: "Sources/TorqOTLP/Mapping/OTLPProtoField.swift", snippet: nil, names: ["trace_id", "span_id", "parent_span_id"],
                  reason: "OTLP's own protobuf field names (in rejection messages), which must not follow a renamed field"),
        Allowance(path: "Sources/TorqLogStore/Compaction/Archiver.swift", snippet: #"{\"name\":"#, names: ["name"],
                  reason: "the archive manifest's key for a segment's file name, not an event field"),
    ]
}

/// The string literals of Swift source: plain, raw (`#"…"#`) and multi-line,
/// with their escapes resolved and their interpolations left out (the code
/// inside an interpolation is scanned for literals of its own). Comments are
/// skipped. Enough Swift for this package's sources, not a full lexer.
enum SwiftStringLiterals {
    struct Literal {
        /// The line (1-based) where the literal opens.
        let line: Int
        /// The literal's text (UTF-8), each interpolation replaced by a 0 byte.
        let text: [UInt8]
        /// The line of each byte of `text`.
        let lines: [Int]
        let isInterpolated: Bool

        /// The line of the byte at `offset` of `text`.
        func line(at offset: Int) -> Int { offset < lines.count ? lines[offset] : line }
    }

    static func scan(_ source: String) -> [Literal] {
        var scanner = Scanner(bytes: Array(source.utf8))
        scanner.code(untilClosingParenthesis: false)
        return scanner.literals
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var literals: [Literal] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        private func at(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        private func starts(with text: [UInt8], at position: Int) -> Bool {
            position + text.count <= bytes.count && bytes[position..<(position + text.count)].elementsEqual(text)
        }

        /// Code up to the end, or (in an interpolation) to its closing parenthesis.
        mutating func code(untilClosingParenthesis: Bool) {
            var depth = 0
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "\n"):
                    line += 1
                    i += 1
                case UInt8(ascii: "/") where at(1) == UInt8(ascii: "/"):
                    while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
                case UInt8(ascii: "/") where at(1) == UInt8(ascii: "*"):
                    var nesting = 0
                    repeat {
                        if bytes[i] == UInt8(ascii: "/") && at(1) == UInt8(ascii: "*") {
                            nesting += 1
                            i += 2
                        } else if bytes[i] == UInt8(ascii: "*") && at(1) == UInt8(ascii: "/") {
                            nesting -= 1
                            i += 2
                        } else {
                            if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                            i += 1
                        }
                    } while nesting > 0 && i < bytes.count
                case UInt8(ascii: "#"), UInt8(ascii: "\""):
                    var j = i, hashes = 0
                    while j < bytes.count && bytes[j] == UInt8(ascii: "#") {
                        hashes += 1
                        j += 1
                    }
                    if j < bytes.count && bytes[j] == UInt8(ascii: "\"") {
                        i = j
                        string(hashes: hashes)
                    } else {
                        i += 1
                    }
                case UInt8(ascii: "(") where untilClosingParenthesis:
                    depth += 1
                    i += 1
                case UInt8(ascii: ")") where untilClosingParenthesis:
                    i += 1
                    if depth == 0 { return }
                    depth -= 1
                default:
                    i += 1
                }
            }
        }

        /// A literal whose opening quote is at `i`, after `hashes` `#`.
        private mutating func string(hashes: Int) {
            let startLine = line
            let multiLine = starts(with: Array("\"\"\"".utf8), at: i)
            i += multiLine ? 3 : 1
            let close = Array((multiLine ? "\"\"\"" : "\"").utf8) + Array(repeating: UInt8(ascii: "#"), count: hashes)
            let escape = [UInt8(ascii: "\\")] + Array(repeating: UInt8(ascii: "#"), count: hashes)
            var text: [UInt8] = []
            var lines: [Int] = []
            var interpolated = false
            func add(_ byte: UInt8, line: Int) {
                text.append(byte)
                lines.append(line)
            }
            while i < bytes.count {
                if starts(with: close, at: i) {
                    i += close.count
                    break
                }
                if starts(with: escape, at: i), i + escape.count < bytes.count {
                    let e = bytes[i + escape.count]
                    i += escape.count + 1
                    switch e {
                    case UInt8(ascii: "("):
                        interpolated = true
                        add(0, line: line)
                        code(untilClosingParenthesis: true)
                    case UInt8(ascii: "n"): add(UInt8(ascii: "\n"), line: line)
                    case UInt8(ascii: "t"): add(UInt8(ascii: "\t"), line: line)
                    case UInt8(ascii: "0"): add(0, line: line)
                    case UInt8(ascii: "\n"): line += 1 // a line continuation
                    default: add(e, line: line) // \" \\ \' and the rest, as the character
                    }
                    continue
                }
                add(bytes[i], line: line)
                if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                i += 1
            }
            literals.append(Literal(line: startLine, text: text, lines: lines, isInterpolated: interpolated))
        }
    }
}
