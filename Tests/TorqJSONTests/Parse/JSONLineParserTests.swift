// Longer than most files: the parser's whole input space (keys, every kind
// of invalid line, padding, limits) in one suite.
import Foundation
import Testing
import TorqTestSupport
@testable import TorqJSON

@testable import TorqLogStore

// MARK: - Helpers

/// An owned copy of a key extracted by the parser (the parser's own views die
/// at the next parse).
private enum Key: Equatable {
    case absent, string(String), null, number, other
}

/// An owned copy of a parse outcome.
private enum Parsed: Equatable {
    case object(runID: Key, eventType: Key, timestamp: Key)
    case invalid(JSONLineError)

    var error: JSONLineError? {
        if case .invalid(let error) = self { return error }
        return nil
    }

    var isObject: Bool { error == nil }
}

/// Bytes that would change the result if the parser ever treated the padding
/// as input: quotes, closers, invalid UTF-8.
private let paddingJunk: [UInt8] = [0x22, 0x5D, 0x7D, 0xFF, 0x5C, 0x00, 0x2C, 0x7B]

/// Copies `bytes` into an exactly sized allocation with `requiredPadding`
/// readable junk bytes after it (the parser's contract, and nothing more, so
/// AddressSanitizer runs catch over-reads) and runs `body` on the line part.
private func withPadded<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let padding = JSONLineParser.requiredPadding
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + padding, alignment: 1)
    defer { storage.deallocate() }
    storage.copyBytes(from: bytes)
    for index in 0..<padding { storage[bytes.count + index] = paddingJunk[index % paddingJunk.count] }
    return body(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
}

private func owned(_ view: UnsafeRawBufferPointer?, _ kind: JSONLineParser.KeyKind) -> Key {
    switch kind {
    case .absent: .absent
    case .string: .string(String(decoding: view!, as: UTF8.self))
    case .null: .null
    case .number: .number
    case .other: .other
    }
}

private func parse(_ parser: inout JSONLineParser, bytes: [UInt8]) -> Parsed {
    withPadded(bytes) { line in
        switch parser.parse(line) {
        case .object(let keys):
            #expect((keys[0].bytes != nil) == (keys[0].kind == .string))
            #expect((keys[1].bytes != nil) == (keys[1].kind == .string))
            #expect((keys[2].bytes != nil) == (keys[2].kind == .string))
            return .object(
                runID: owned(keys[0].bytes, keys[0].kind),
                eventType: owned(keys[1].bytes, keys[1].kind),
                timestamp: owned(keys[2].bytes, keys[2].kind))
        case .invalid(let error):
            return .invalid(error)
        }
    }
}

private func parse(_ parser: inout JSONLineParser, _ text: String) -> Parsed {
    parse(&parser, bytes: Array(text.utf8))
}

/// The keys these tests extract, in slots 0, 1, 2 (the ones the store indexes).
private let testKeys = ["run_id", "event_type", "timestamp"]

private func makeParser(maxLineLength: Int = 16 << 20) -> JSONLineParser {
    JSONLineParser(maxLineLength: maxLineLength, keys: testKeys)
}

// MARK: - Tests

@Suite struct JSONLineParserTests {
    @Test func extractsTheKeysItsCallerNamesInTheirSlots() {
        var parser = JSONLineParser(maxLineLength: 1 << 20, keys: ["b", "a", "nested", "é"])
        #expect(parser.keys == ["b", "a", "nested", "é"])
        let got = withPadded(Array(#"{"a":"1","b":"2","c":"3","x":{"nested":"no"},"é":"4","a":"dup"}"#.utf8)) { line -> [String?] in
            guard case .object(let keys) = parser.parse(line) else { return [] }
            #expect(keys.count == 4)
            return (0..<4).map { keys[$0].bytes.map { String(decoding: $0, as: UTF8.self) } }
        }
        #expect(got == ["2", "1", nil, "4"], "slot order is the caller's; nested keys do not count; the first occurrence wins")
        // No keys: every slot absent; more than maxKeys: the rest ignored.
        var none = JSONLineParser(maxLineLength: 1 << 20)
        let absent = withPadded(Array(#"{"run_id":"r"}"#.utf8)) { line -> Bool in
            guard case .object(let keys) = none.parse(line) else { return false }
            return keys.count == 0 && keys[0].kind == .absent
        }
        #expect(absent)
        let many = JSONLineParser(maxLineLength: 1 << 20, keys: ["a", "b", "c", "d", "e"])
        #expect(many.keys == ["a", "b", "c", "d"])
    }

    @Test func extractsAllThreeKeys() {
        var parser = makeParser()
        let result = parse(&parser, #"{"timestamp":"2026-11-25T17:36:48Z","run_id":"run-1","x":[1,{"run_id":"nested"}],"event_type":"step"}"#)
        #expect(result == .object(runID: .string("run-1"), eventType: .string("step"), timestamp: .string("2026-11-25T17:36:48Z")))
    }

    @Test func missingKeysAreAbsent() {
        var parser = makeParser()
        #expect(parse(&parser, "{}") == .object(runID: .absent, eventType: .absent, timestamp: .absent))
        #expect(parse(&parser, #"{"run_id":"r"}"#) == .object(runID: .string("r"), eventType: .absent, timestamp: .absent))
        #expect(parse(&parser, #"{"event_type":"e"}"#) == .object(runID: .absent, eventType: .string("e"), timestamp: .absent))
        #expect(parse(&parser, #"{"timestamp":"t"}"#) == .object(runID: .absent, eventType: .absent, timestamp: .string("t")))
        // Keys that only look similar, and nested keys, do not count.
        #expect(parse(&parser, #"{"run_ID":"a","runid":"b","run_id ":"c","a":{"run_id":"d"}}"#)
            == .object(runID: .absent, eventType: .absent, timestamp: .absent))
    }

    @Test func keysOfOtherTypes() throws {
        var parser = makeParser()
        #expect(parse(&parser, #"{"run_id":5,"event_type":null,"timestamp":1.5e3}"#)
            == .object(runID: .number, eventType: .null, timestamp: .number))
        #expect(parse(&parser, #"{"run_id":true,"event_type":[],"timestamp":{"a":1}}"#)
            == .object(runID: .other, eventType: .other, timestamp: .other))
        #expect(parse(&parser, #"{"run_id":""}"#) == .object(runID: .string(""), eventType: .absent, timestamp: .absent))

        let outcome = withPadded(Array(#"{"run_id":5,"event_type":"e"}"#.utf8)) { line -> (Bool, Bool) in
            var parser = makeParser()
            guard case .object(let keys) = parser.parse(line) else { return (false, false) }
            return (keys.hasNonStringKey, keys[0].kind.isPresentButNotString)
        }
        #expect(outcome.0)
        #expect(outcome.1)
        let clean = withPadded(Array(#"{"event_type":"e"}"#.utf8)) { line -> Bool? in
            var parser = makeParser()
            guard case .object(let keys) = parser.parse(line) else { return nil }
            return keys.hasNonStringKey
        }
        #expect(clean == false)
    }

    @Test func duplicateKeysFirstOccurrenceWins() {
        var parser = makeParser()
        #expect(parse(&parser, #"{"run_id":"first","run_id":"second","event_type":1,"event_type":"later"}"#)
            == .object(runID: .string("first"), eventType: .number, timestamp: .absent))
        #expect(parser.field("run_id") == .string("first"))
        #expect(parser.fieldCount == 4)
    }

    @Test func escapesAndUnicodeAreDecoded() {
        var parser = makeParser()
        #expect(parse(&parser, #"{"run\u005fid":"run\u0041","event_type":"a\"b\\c\/d\n\t\u00e9","timestamp":"\ud83d\ude00"}"#)
            == .object(runID: .string("runA"), eventType: .string("a\"b\\c/d\n\té"), timestamp: .string("😀")))
        #expect(parse(&parser, #"{"run_id":"héllo 日本 🎉","event_type":"\u0000x"}"#)
            == .object(runID: .string("héllo 日本 🎉"), eventType: .string("\u{0}x"), timestamp: .absent))
    }

    @Test func surroundingWhitespaceIsAllowed() {
        var parser = makeParser()
        #expect(parse(&parser, " \t{\"run_id\" : \"r\"}\r\n ").isObject)
        #expect(parse(&parser, "{\"a\":1}\n").isObject)
        // Not JSON whitespace: form feed, vertical tab, NBSP.
        #expect(parse(&parser, "{}\u{0C}").error?.kind == .trailingContent)
        #expect(parse(&parser, "\u{0B}{}").error?.kind == .invalidJSON)
        #expect(parse(&parser, "{}\u{A0}").error != nil)
    }

    @Test(arguments: [
        ("[1,2,3]", "array"), ("\"text\"", "string"), ("42", "number"), ("-1.5e10", "number"),
        ("true", "boolean"), ("false", "boolean"), ("null", "null"), ("  [ {} ]  ", "array"),
    ])
    func nonObjectsAreRejected(input: String, type: String) {
        var parser = makeParser()
        let error = parse(&parser, input).error
        #expect(error?.kind == .notAnObject)
        #expect(error?.reason == "not a JSON object (\(type))")
        #expect(error?.byteOffset == input.utf8.prefix { $0 == 0x20 }.count)
        #expect(parser.field("a") == nil)
        #expect(parser.fieldCount == 0)
    }

    @Test(arguments: [
        #"{"run_id":"a""#, #"{"run_id":"a"#, #"{"run_id":"#, #"{"run_id""#, "{", #"{"a":[1,2"#, #"{"a":tru"#, #"{"a":-"#, "{\"a\":\"\\u12",
    ])
    func truncatedObjectsPointAtTheEnd(input: String) {
        var parser = makeParser()
        let error = parse(&parser, input).error
        #expect(error?.kind == .invalidJSON)
        #expect(error?.byteOffset == input.utf8.count)
        #expect(error?.reason.hasPrefix("invalid JSON: ") == true)
    }

    @Test(arguments: [
        (#"{"a":1,}"#, 7), (#"{"a" 1}"#, 5), (#"{"a":01}"#, 6), (#"{"a":1.}"#, 7), (#"{"a":tru}"#, 8),
        (#"{"a":nulll}"#, 9), (#"{"a":"\x"}"#, 6), ("{\"a\":\"x\u{1}\"}", 7), (#"{"a":"\ud800"}"#, 6),
        (#"{"a":"\udc00"}"#, 6), (#"{"a":"\ud800\u0041"}"#, 6), (#"{a:1}"#, 1), (#"{"a":[1,]}"#, 8), (#"{"a":1e400}"#, nil),
    ] as [(String, Int?)])
    func syntaxErrorsAreReportedWithAnApproximateOffset(input: String, offset: Int?) {
        var parser = makeParser()
        let error = parse(&parser, input).error
        #expect(error?.kind == .invalidJSON)
        #expect(error?.byteOffset == offset)
    }

    @Test func invalidJSONReasonUsesSimdjsonMessage() {
        var parser = makeParser()
        #expect(parse(&parser, #"{"a":1,}"#).error?.reason
            == "invalid JSON: the JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc")
        #expect(parse(&parser, #"{"a":"x"#).error?.reason == "invalid JSON: a string is opened, but never closed")
    }

    @Test(arguments: [
        ([0xFF], 0), ([0xC0, 0x80], 0), ([0xED, 0xA0, 0x80], 0), ([0xF4, 0x90, 0x80, 0x80], 0), ([0xE2, 0x82], 0),
        ([0x61, 0x80], 1), ([0xF0, 0x9F, 0x98], 0), ([0xC3, 0xA9, 0xF8], 2),
    ] as [([UInt8], Int)])
    func invalidUTF8ReportsTheFirstBadByte(bad: [UInt8], relative: Int) {
        var parser = makeParser()
        let prefix = Array(#"{"run_id":"ok","msg":"ab"#.utf8)
        let error = parse(&parser, bytes: prefix + bad + Array(#"cd"}"#.utf8)).error
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.byteOffset == prefix.count + relative)
        #expect(error?.reason == "invalid UTF-8 at byte \(prefix.count + relative)")
    }

    @Test func invalidUTF8OutsideStrings() {
        var parser = makeParser()
        let error = parse(&parser, bytes: Array("{} ".utf8) + [0xFE]).error
        #expect(error?.kind == .invalidUTF8)
        #expect(error?.byteOffset == 3)
    }

    @Test func byteOrderMarkIsReportedSpecially() {
        var parser = makeParser()
        let error = parse(&parser, bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8)).error
        #expect(error?.kind == .byteOrderMark)
        #expect(error?.byteOffset == 0)
        #expect(error?.reason == "line starts with a UTF-8 byte order mark")
        // A BOM inside a string is just U+FEFF.
        #expect(parse(&parser, "{\"a\":\"\u{FEFF}\"}").isObject)
    }

    @Test(arguments: ["", " ", "\t\r\n  ", "\n"])
    func emptyAndWhitespaceOnlyLines(input: String) {
        var parser = makeParser()
        let error = parse(&parser, input).error
        #expect(error?.kind == .empty)
        #expect(error?.byteOffset == nil)
        #expect(error?.reason == "line is empty or contains only whitespace")
    }

    @Test func emptyBufferWithoutBaseAddress() {
        var parser = makeParser()
        let outcome = parser.parse(UnsafeRawBufferPointer(start: nil, count: 0))
        guard case .invalid(let error) = outcome else {
            Issue.record("empty buffer accepted")
            return
        }
        #expect(error.kind == .empty)
    }

    @Test(arguments: [
        ("{} x", 3), ("{}{}", 2), (#"{"a":1} {"b":2}"#, 8), ("{}]", 2), ("{}  ,", 4), ("{} \"unclosed", 3), ("[] {}", 3), ("1 2", 2),
    ])
    func trailingContentIsReported(input: String, offset: Int) {
        var parser = makeParser()
        let error = parse(&parser, input).error
        #expect(error?.kind == .trailingContent)
        #expect(error?.byteOffset == offset)
        #expect(error?.reason == "invalid JSON: unexpected content after the JSON value")
    }

    @Test func deepNestingIsRejected() {
        var parser = makeParser()
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let balanced = parse(&parser, #"{"a":"# + deep + "}").error
        #expect(balanced?.kind == .tooDeep)
        #expect(balanced?.reason == "JSON nesting is too deep (more than 1024 levels)")
        #expect(balanced?.byteOffset != nil)

        let unbalanced = parse(&parser, String(repeating: "[", count: 10_000)).error
        #expect(unbalanced?.kind == .tooDeep)
        #expect(unbalanced?.byteOffset == 1024)

        // Moderate depth is fine.
        let ok = #"{"a":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        #expect(parse(&parser, ok).isObject)
    }

    @Test func largeStringField() {
        var parser = makeParser()
        let big = String(repeating: "abcdefghij", count: 4_000) // 40 KB
        #expect(parse(&parser, #"{"run_id":"\#(big)","n":1}"#) == .object(runID: .string(big), eventType: .absent, timestamp: .absent))
        #expect(parser.field("run_id") == .string(big))
        // The parser shrinks back to small lines without trouble.
        #expect(parse(&parser, #"{"run_id":"x"}"#) == .object(runID: .string("x"), eventType: .absent, timestamp: .absent))
    }

    @Test func hugeLineThenShortLines() {
        // Crosses the 1 MiB threshold above which the C side drops its buffers.
        var parser = makeParser()
        let huge = String(repeating: "0123456789abcdef", count: 200_000) // 3.2 MB
        #expect(parse(&parser, #"{"run_id":"\#(huge)"}"#) == .object(runID: .string(huge), eventType: .absent, timestamp: .absent))
        #expect(parse(&parser, #"{"run_id":"small"}"#) == .object(runID: .string("small"), eventType: .absent, timestamp: .absent))
        #expect(parser.field("run_id") == .string("small"))
        #expect(parse(&parser, #"{"run_id":"\#(huge)","#).error?.byteOffset == huge.utf8.count + 13)
        #expect(parse(&parser, "[1]").error?.kind == .notAnObject)
    }

    @Test func lineLongerThanTheMaximum() {
        var parser = makeParser(maxLineLength: 1024)
        let fits = "{\"p\":\"" + String(repeating: "x", count: 1024 - 8) + "\"}"
        #expect(fits.utf8.count == 1024)
        #expect(parse(&parser, fits).isObject)
        let tooLong = "{\"p\":\"" + String(repeating: "x", count: 1024 - 7) + "\"}"
        let error = parse(&parser, tooLong).error
        #expect(error?.kind == .tooLong)
        #expect(error?.reason == "line is longer than the maximum record size (1024 bytes)")

        // Limits below simdjson's internal minimum allocation still work exactly.
        var tiny = makeParser(maxLineLength: 10)
        #expect(parse(&tiny, #"{"a":"12"}"#).isObject)
        #expect(parse(&tiny, #"{"a":"123"}"#).error?.kind == .tooLong)
        var zero = makeParser(maxLineLength: 0)
        #expect(parse(&zero, "").error?.kind == .empty)
        #expect(parse(&zero, "{}").error?.kind == .tooLong)

        var big = makeParser(maxLineLength: 16_777_216)
        #expect(parse(&big, fits).isObject)
        #expect(big.maxLineLength == 16_777_216)
    }

    @Test func genericFieldAccess() {
        var parser = makeParser()
        let line = #"{"s":"v\u00e9","n":null,"t":true,"f":false,"i":-42,"u":18446744073709551615,"d":0.25,"e":1e2,"a":[1,[2],3],"o":{"x":1,"y":2},"":"empty key"}"#
        #expect(parse(&parser, line).isObject)
        #expect(parser.field("s") == .string("vé"))
        #expect(parser.field("n") == .null)
        #expect(parser.field("t") == .bool(true))
        #expect(parser.field("f") == .bool(false))
        #expect(parser.field("i") == .int(-42))
        #expect(parser.field("u") == .uint(UInt64.max))
        #expect(parser.field("d") == .double(0.25))
        #expect(parser.field("e") == .double(100))
        #expect(parser.field("a") == .array(count: 3))
        #expect(parser.field("o") == .object(count: 2))
        #expect(parser.field("") == .string("empty key"))
        #expect(parser.field("missing") == nil)
        #expect(parser.field("x") == nil) // nested keys are not top-level
        #expect(parser.fieldCount == 11)

        var keys: [String] = []
        var values: [JSONValue] = []
        parser.forEachField { key, value in
            keys.append(key)
            values.append(value)
        }
        #expect(keys == ["s", "n", "t", "f", "i", "u", "d", "e", "a", "o", ""])
        #expect(values.first == .string("vé"))
        #expect(values.last == .string("empty key"))

        // A failed parse forgets the previous document.
        #expect(parse(&parser, "[1]").error?.kind == .notAnObject)
        #expect(parser.field("s") == nil)
        #expect(parser.fieldCount == 0)
        var visited = 0
        parser.forEachField { _, _ in visited += 1 }
        #expect(visited == 0)
    }

    @Test func errorsAreSendableValues() async {
        var parser = makeParser()
        let error = parse(&parser, "[]").error!
        let copy = await Task.detached { error }.value
        #expect(copy == error)
        #expect(copy.description == "not a JSON object (array)")
    }

    // MARK: Differential fuzzing against Foundation

    /// Known, deliberate differences between Foundation's JSONSerialization
    /// (swift-corelibs-foundation on Linux) and simdjson. In every one of them
    /// JSONSerialization accepts something simdjson rejects:
    private enum Discrepancy {
        /// `[1,]` / `{"a":1,}`: JSONSerialization accepts trailing commas;
        /// RFC 8259 forbids them and simdjson rejects them.
        case trailingComma
        /// Integers outside Int64/UInt64 (e.g. 18446744073709551616):
        /// JSONSerialization keeps them as arbitrary-precision numbers;
        /// simdjson 3.0.1 rejects them ("Problem while parsing a number").
        case bigInteger
        /// JSONSerialization sniffs UTF-16/UTF-32 from NUL bytes in the first
        /// four bytes or a UTF-16 BOM (`{\0}\0` is an object to it); JSONL is
        /// UTF-8 only.
        case nonUTF8Encoding
        /// A UTF-8 BOM: JSONSerialization skips it, we reject it on purpose.
        case utf8BOM
    }

    /// Which discrepancy classes a line belongs to, found by a tolerant
    /// string-aware scan (the line may be arbitrary bytes).
    private static func discrepancies(of line: [UInt8]) -> Set<Discrepancy> {
        var found: Set<Discrepancy> = []
        if line.starts(with: [0xEF, 0xBB, 0xBF]) { found.insert(.utf8BOM) }
        if line.prefix(4).contains(0) || line.starts(with: [0xFF, 0xFE]) || line.starts(with: [0xFE, 0xFF]) {
            found.insert(.nonUTF8Encoding)
        }
        var inString = false
        var escaped = false
        var lastSignificant: UInt8 = 0
        var index = 0
        while index < line.count {
            let byte = line[index]
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                index += 1
                continue
            }
            switch byte {
            case 0x22:
                inString = true
            case 0x5D, 0x7D: // ] }
                if lastSignificant == 0x2C { found.insert(.trailingComma) }
            case 0x2D, 0x30...0x39: // number token
                var end = index
                while end < line.count, "-+.eE0123456789".utf8.contains(line[end]) { end += 1 }
                let token = String(decoding: line[index..<end], as: UTF8.self)
                if token.utf8.allSatisfy({ $0 == 0x2D || (0x30...0x39).contains($0) }),
                   token.utf8.contains(where: { (0x30...0x39).contains($0) }),
                   Int64(token) == nil, UInt64(token) == nil {
                    found.insert(.bigInteger)
                }
                lastSignificant = line[end - 1]
                index = end
                continue
            default:
                break
            }
            if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) { lastSignificant = byte }
            index += 1
        }
        return found
    }

    /// Whether `error` is what simdjson reports for lines of class `discrepancy`.
    private static func explains(_ discrepancy: Discrepancy, _ error: JSONLineError) -> Bool {
        switch discrepancy {
        case .trailingComma: error.kind == .invalidJSON && error.reason.contains("improper structure")
        case .bigInteger: error.kind == .invalidJSON && error.reason.contains("number")
        case .nonUTF8Encoding: error.kind != .empty
        case .utf8BOM: error.kind == .byteOrderMark
        }
    }

    private struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let seeds: [String] = [
        #"{"timestamp":"2026-11-25T17:36:48.123456Z","run_id":"run-42","event_type":"step","payload":{"loss":0.125,"ok":true,"tags":["a","b"],"n":null,"big":18446744073709551615,"neg":-12,"exp":1.5e-3},"msg":"h\u00e9llo \"q\" \\ \n \ud83d\ude00 日本"}"#,
        #"{"a":[1,2,[3,{"b":"c"}]],"run_id":null,"event_type":7,"timestamp":"2026-01-01T00:00:00+02:00"}"#,
        #" { "k" : "v" , "e" : [ ] , "o" : { } , "z" : -0.0e+10 } "#,
        #"{"run_id":"r","event_type":"e","s":"\/\b\f\n\r\t","x":[true,false,null,1,-1,1.0,1E5]}"#,
        "{}",
        "[1,2]",
    ]

    private static let alphabet: [UInt8] = Array(#"{}[]:,"\ -+.eE0123456789tfnrulasu"#.utf8) + [0x09, 0x0A, 0x0D, 0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xA9, 0xE2, 0xED, 0xF0, 0xFF, 0xEF, 0xBB]

    @Test func randomMutationsAgreeWithJSONSerialization() {
        // Deterministic by default; set TORQLOG_JSON_FUZZ_ITERATIONS / _SEED for longer runs.
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["TORQLOG_JSON_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 5_000
        var rng = SplitMix64(state: environment["TORQLOG_JSON_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x7051_0C0D_E5EE_D001)
        var parser = makeParser()
        var accepted = 0
        var rejected = 0
        var excused: [String: Int] = [:]

        func randomByte() -> UInt8 {
            Int.random(in: 0..<10, using: &rng) < 7 ? Self.alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }

        for iteration in 0..<iterations {
            var line = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0...line.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where position < line.count: line[position] = randomByte()
                case 1: line.insert(randomByte(), at: position)
                case _ where position < line.count: line.remove(at: position)
                default: line.append(randomByte())
                }
            }

            let ours = parse(&parser, bytes: line)
            let foundation = (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) as? [String: Any]
            if ours.isObject { accepted += 1 } else { rejected += 1 }

            if ours.isObject == (foundation != nil) {
                // When both accept, the extracted run_id must match (unless
                // duplicated: Foundation keeps the last, we keep the first).
                if case .object(let runID, _, _) = ours, let theirs = foundation?["run_id"] as? String,
                   String(decoding: line, as: UTF8.self).components(separatedBy: "run_id").count == 2 {
                    #expect(runID == .string(theirs), "run_id mismatch for \(line)")
                }
                continue
            }
            // Excuse a disagreement only if Foundation is the one accepting and
            // our error is the one the discrepancy class predicts.
            if let error = ours.error, foundation != nil,
               let reason = Self.discrepancies(of: line).first(where: { Self.explains($0, error) }) {
                excused["\(reason)", default: 0] += 1
                continue
            }
            Issue.record("""
                disagreement on \(String(decoding: line, as: UTF8.self).debugDescription) (\(line)): \
                ours=\(ours.error?.reason ?? "object"), JSONSerialization=\(foundation != nil ? "object" : "rejected")
                """)
        }
        // The loop must exercise both sides to mean anything.
        #expect(accepted > 200)
        #expect(rejected > 200)
        print("JSON fuzz: \(accepted) accepted, \(rejected) rejected, excused discrepancies: \(excused)")
    }

    @Test func discrepancyClassesBehaveAsDocumented() {
        // Pin the differences the fuzz test excuses, so a library upgrade that
        // changes them is noticed.
        var parser = makeParser()
        for (line, expected) in [
            (Array(#"{"a":[1,]}"#.utf8), Discrepancy.trailingComma),
            (Array(#"{"a":18446744073709551616}"#.utf8), .bigInteger),
            (Array(#"{"a":-9223372036854775809}"#.utf8), .bigInteger),
            ([0x7B, 0x00, 0x7D, 0x00], .nonUTF8Encoding),
            ([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], .utf8BOM),
        ] {
            #expect(Self.discrepancies(of: line) == [expected])
            let error = parse(&parser, bytes: line).error
            #expect(error.map { Self.explains(expected, $0) } == true)
            #expect((try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) is [String: Any])
        }
        #expect(parse(&parser, #"{"a":18446744073709551615,"b":-9223372036854775808}"#).isObject)
    }
}
