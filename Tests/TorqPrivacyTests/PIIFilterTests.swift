// Longer than most files: positive and negative cases for every detector.
import Foundation
import Testing
import TorqTestSupport
@testable import TorqPrivacy
import TorqEvents
import TorqJSON
import TorqTelemetry

/// One text to redact and what it must become on its own.
struct PIISample: Sendable, CustomTestStringConvertible {
    var kind: PIIKind
    var text: String
    var redacted: String

    init(_ kind: PIIKind, _ text: String, _ redacted: String? = nil) {
        self.kind = kind
        self.text = text
        self.redacted = redacted ?? kind.replacement
    }

    var testDescription: String { "\(kind.rawValue): \(text.debugDescription)" }
}

/// Positive examples of every kind.
let piiSamples: [PIISample] = [
    PIISample(.email, "john.doe@example.com"),
    PIISample(.email, "a_b+tag@mail.example.co.uk"),
    PIISample(.email, "X9@sub-domain.org"),
    PIISample(.email, "first.last%ops@corp.io"),

    PIISample(.phone, "+44 20 7946 0958"),
    PIISample(.phone, "+1 555 123 4567"),
    PIISample(.phone, "+33 1 23 45 67 89"),
    PIISample(.phone, "+49-151-1234-5678"),
    PIISample(.phone, "+4915112345678"),
    PIISample(.phone, "+44 (0)20 7946 0958"),
    PIISample(.phone, "(555) 123-4567"),
    PIISample(.phone, "(555)123-4567"),
    PIISample(.phone, "555-123-4567"),
    PIISample(.phone, "555.123.4567"),
    PIISample(.phone, "555 123 4567"),
    PIISample(.phone, "1-555-123-4567"),
    PIISample(.phone, "1 (555) 123-4567"),

    PIISample(.card, "4111 1111 1111 1111"),
    PIISample(.card, "4111-1111-1111-1111"),
    PIISample(.card, "4111111111111111"),
    PIISample(.card, "5555555555554444"),
    PIISample(.card, "378282246310005"),
    PIISample(.card, "3782 822463 10005"),
    PIISample(.card, "6011111111111117"),
    PIISample(.card, "4222222222222"),

    PIISample(.ipv4, "192.168.1.1"),
    PIISample(.ipv4, "10.0.0.255"),
    PIISample(.ipv4, "8.8.8.8"),
    PIISample(.ipv4, "255.255.255.255"),
    PIISample(.ipv4, "0.0.0.0"),

    PIISample(.ipv6, "2001:db8::1"),
    PIISample(.ipv6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    PIISample(.ipv6, "fe80::1ff:fe23:4567:890a"),
    PIISample(.ipv6, "::1"),
    PIISample(.ipv6, "::ffff:192.0.2.128"),
    PIISample(.ipv6, "2001:DB8:0:0:8:800:200C:417A"),
    PIISample(.ipv6, "fe80::"),

    PIISample(.ssn, "123-45-6789"),
    PIISample(.ssn, "078-05-1120"),
    PIISample(.ssn, "219-09-9999"),

    PIISample(.apiKey, "sk-abcdefghijklmnopqrstuvwxyz123456"),
    PIISample(.apiKey, "sk-proj-abc123DEF456ghi789JKL012mno345_PQR-stu"),
    PIISample(.apiKey, "sk-ant-api03-Abc123_def-456GHI789jkl012MNO345pqr-STU678vwx_YZ"),
    PIISample(.apiKey, "ghp_" + String(repeating: "aB3", count: 12)),
    PIISample(.apiKey, "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    PIISample(.apiKey, "ghs_" + String(repeating: "Zx9q", count: 9)),
    PIISample(.apiKey, "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV"),
    PIISample(.apiKey, "AKIAIOSFODNN7EXAMPLE"),
    PIISample(.apiKey, "ASIAY34FZKBOKMUTVV7A"),
    PIISample(.apiKey, "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
    PIISample(.apiKey, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    PIISample(.apiKey, "xoxp-2934-8271-ab12cd"),

    PIISample(.jwt, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    PIISample(.jwt, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."),
    PIISample(.jwt, "eyJraWQiOiJrMSJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJlLWJ5dGVz-_"),

    PIISample(.privateKey, "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yJqH+Q==\n-----END RSA PRIVATE KEY-----"),
    PIISample(.privateKey, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBk3rW1cQH3YhSx7pnJf0b7oPb0J9W7m6hXb3rW1cQH3\n-----END PRIVATE KEY-----"),
    PIISample(.privateKey, "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\r\n-----END OPENSSH PRIVATE KEY-----"),

    PIISample(.bearer, "Bearer abc123def456ghi", "Bearer [REDACTED:BEARER]"),
    PIISample(.bearer, "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.sig-_abc", "bearer [REDACTED:BEARER]"),
    PIISample(.bearer, "BEARER dGhpc2lzYXRva2Vu==", "BEARER [REDACTED:BEARER]"),
    PIISample(.bearer, "Bearer\tAbCdEfGhIj", "Bearer\t[REDACTED:BEARER]"),
    PIISample(.bearer, "Bearer mF_9.B5f-4.1JqM", "Bearer [REDACTED:BEARER]"),
]

/// Texts that look numeric, hex or token-like but are not personal data.
let piiNonMatches: [String] = [
    "550e8400-e29b-41d4-a716-446655440000",
    "123e4567-e89b-12d3-a456-426614174000",
    "00000000-0000-0000-0000-000000000000",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00f067aa0ba902b7",
    "4111111111111111a",
    "2026-11-25T19:59:30.123456Z",
    "2026-11-25T19:59:30Z",
    "2026-11-25 19:59:30+01:00",
    "2026-11-25T19:59:30.123-05:00",
    "2026-11-25",
    "25/11/2026",
    "12345",
    "3.14159",
    "1700000000000",
    "1700000000",
    "1732564770123456789",
    "-42",
    "1e10",
    "1.2.3",
    "version 1.2.3.4.5",
    "v1.2.3.4",
    "12:30:45",
    "12:30:45.250",
    "took 01:02:03 and 4:05",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "the bearer of this letter",
    "Bearer",
    "bearer tokens are documented in RFC 6750",
    "the bearer instrument was signed",
    "Luhn fails: 4111 1111 1111 1112 and 4111111111111112",
    "not SSNs: 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000",
    "not an address: 256.1.1.1, 1.2.3.04, 999.999.999.999",
    "MAC 00:1A:2B:3C:4D:5E",
    "std::vector<int> and Foo::bar",
    "ratio 16:9, score 3:2",
    "sk-learn-compatible-estimator-wrapper",
    "order 12345678 of 2026",
    "tokens 4521 latency 1834.25 ms",
    "room 101, floor -2",
    "user@localhost",
    "@mention and email@ and @example.com",
    "1234 5678",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
    "Generate a REST API endpoint for listing orders",
]

/// `s` as a JSON string literal; with `escapeAll`, every character other than
/// a letter or digit is written as `\uXXXX` (surrogate pairs beyond the BMP).
func jsonString(_ s: String, escapeAll: Bool = false) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        let v = scalar.value
        let plain = (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
        if escapeAll && !plain {
            if v > 0xFFFF {
                let x = v - 0x10000
                out += String(format: "\\u%04x\\u%04x", 0xD800 + (x >> 10), 0xDC00 + (x & 0x3FF))
            } else {
                out += String(format: "\\u%04X", v)
            }
            continue
        }
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "/": out += "\\/"
        default:
            if v < 0x20 { out += String(format: "\\u%04x", v) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// Parses a JSON object with JSONSerialization.
func parseObject(_ bytes: [UInt8]) throws -> [String: Any] {
    let any = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    return try #require(any as? [String: Any], "not a JSON object: \(String(decoding: bytes, as: UTF8.self))")
}

@Suite("PII filter")
struct PIIFilterTests {
    let filter = PIIFilter()

    /// Redacts one JSON line; nil when unchanged.
    func redactLine(_ line: String, _ filter: PIIFilter = PIIFilter(), counts: inout RedactionCounts) throws -> String? {
        try filter.redactJSONObject(Array(line.utf8), counts: &counts).map { String(decoding: $0, as: UTF8.self) }
    }

    func redactLine(_ line: String, _ filter: PIIFilter = PIIFilter()) throws -> String? {
        var counts = RedactionCounts()
        return try redactLine(line, filter, counts: &counts)
    }

    // MARK: - Every kind

    @Test("each sample is redacted alone, in prose, at the start and at the end", arguments: piiSamples)
    func redactsInText(_ sample: PIISample) throws {
        let contexts: [(String, String)] = [("", ""), ("Please see ", " for details."), ("", " trailing"), ("leading: ", ""),
                                            ("line one\n", "\nline three"), ("(", ")"), ("\"", "\"")]
        for (before, after) in contexts {
            var counts = RedactionCounts()
            let got = filter.redact(before + sample.text + after, counts: &counts)
            #expect(got == before + sample.redacted + after, "context \(before.debugDescription) … \(after.debugDescription)")
            #expect(counts[sample.kind] == 1 && counts.total == 1, "counts: \(counts)")
        }
    }

    @Test("each sample is redacted inside a JSON string field, with and without escapes", arguments: piiSamples)
    func redactsInJSON(_ sample: PIISample) throws {
        let prose = "Hi \"team\"/ops — é 😀 \(sample.text)\tthanks\n"
        let expected = "Hi \"team\"/ops — é 😀 \(sample.redacted)\tthanks\n"
        for escapeAll in [false, true] {
            let line = #"{"event_type":"agent_run","run_id":"run-1","user_query":"# + jsonString(prose, escapeAll: escapeAll)
                + #","tokens":4521,"attributes":{"note":"x@y.com"}}"#
            var counts = RedactionCounts()
            let out = try #require(try filter.redactJSONObject(Array(line.utf8), counts: &counts), "escapeAll \(escapeAll): not redacted")
            let object = try parseObject(out)
            #expect(object["user_query"] as? String == expected, "escapeAll \(escapeAll): \(String(decoding: out, as: UTF8.self))")
            #expect(object["event_type"] as? String == "agent_run")
            #expect((object["attributes"] as? [String: Any])?["note"] as? String == "x@y.com", "not a sanitized field")
            #expect(counts[sample.kind] == 1 && counts.total == 1, "counts: \(counts)")
            // No byte sequence of the secret survives (beyond the scheme word of a bearer credential).
            let secret = sample.kind == .bearer ? String(sample.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? "") : sample.text
            #expect(!String(decoding: out, as: UTF8.self).contains(secret))
        }
    }

    @Test("a private key block without its END line is redacted to the end of the text")
    func truncatedPrivateKey() {
        let text = "key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk3rW1cQH3YhSx7pnJf0b7o (truncated"
        #expect(filter.redact(text) == "key: [REDACTED:PRIVATE_KEY]")
        #expect(filter.redact("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----") == nil)
    }

    @Test("several kinds in one text, counted per kind")
    func severalKinds() throws {
        let text = "Mail ann@example.org or bob@example.net, call +1 555 123 4567 from 10.1.2.3 with key AKIAIOSFODNN7EXAMPLE."
        var counts = RedactionCounts()
        let got = filter.redact(text, counts: &counts)
        #expect(got == "Mail [REDACTED:EMAIL] or [REDACTED:EMAIL], call [REDACTED:PHONE] from [REDACTED:IPV4] with key [REDACTED:API_KEY].")
        #expect(counts[.email] == 2)
        #expect(counts[.phone] == 1)
        #expect(counts[.ipv4] == 1)
        #expect(counts[.apiKey] == 1)
        #expect(counts[.card] == 0)
        #expect(counts.total == 5)
        #expect(counts.description == "email 2, phone 1, ipv4 1, api_key 1")

        var sum = RedactionCounts()
        #expect(sum.isEmpty && sum.description == "none")
        sum += counts
        sum.merge(counts)
        #expect(sum[.email] == 4 && sum.total == 10)
        #expect(sum.nonZero.map(\.kind) == [.email, .phone, .ipv4, .apiKey])
    }

    @Test("replacement texts")
    func replacements() {
        #expect(PIIKind.allCases.map(\.replacement) == [
            "[REDACTED:EMAIL]", "[REDACTED:PHONE]", "[REDACTED:CARD]", "[REDACTED:IPV4]", "[REDACTED:IPV6]",
            "[REDACTED:SSN]", "[REDACTED:API_KEY]", "[REDACTED:JWT]", "[REDACTED:PRIVATE_KEY]", "[REDACTED:BEARER]",
        ])
        #expect(PIIKind(rawValue: "api_key") == .apiKey)
    }

    // MARK: - No false positives

    @Test("look-alikes are left alone", arguments: piiNonMatches)
    func noFalsePositive(_ text: String) throws {
        #expect(filter.redact(text) == nil)
        #expect(filter.redact("id=\(text); next") == nil)
        let all = PIIFilter(PIIFilteringConfiguration(allStringValues: true))
        let line = #"{"user_query":"# + jsonString(text) + #","v":"# + jsonString(text, escapeAll: true) + "}"
        #expect(try redactLine(line, all) == nil)
    }

    @Test("a realistic event with every look-alike in every field is returned as nil")
    func realisticEventUnchanged() throws {
        let line = #"{"event_id":"550e8400-e29b-41d4-a716-446655440000","event_type":"tool_execution","timestamp":"2026-11-25T19:59:30.123456Z","run_id":"run-42","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","agent_version":"1.2.3","duration_ms":1834.25,"started":1700000000,"started_ms":1700000000000,"delta":-42,"pi":3.14159,"user_query":"Summarise the 2026-11-25 report (took 12:30:45); bearer semantics per RFC 6750","digest":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","local":"2026-11-25 19:59:30+01:00","tags":["a","b",null,true,false,1e-5]}"#
        #expect(try redactLine(line) == nil)
        #expect(try redactLine(line, PIIFilter(PIIFilteringConfiguration(allStringValues: true))) == nil)
    }

    // MARK: - JSON objects

    @Test("only the configured fields, at any depth; the rest byte for byte")
    func nestedFields() throws {
        let line = #"{ "run_id" : "r1", "user_query":"write to a@b.com" ,"attributes":{"user_query":"c@d.org","other":"e@f.net"},"metadata":{"query":["g@h.io",{"deep":"i@j.co"},7]},"query_count":5,"other":"k@l.com","error_message":null,"user_feedback":"call 555-123-4567"}"#
        var counts = RedactionCounts()
        let out = try redactLine(line, counts: &counts)
        let expected = line
            .replacingOccurrences(of: "a@b.com", with: "[REDACTED:EMAIL]")
            .replacingOccurrences(of: "c@d.org", with: "[REDACTED:EMAIL]")
            .replacingOccurrences(of: "g@h.io", with: "[REDACTED:EMAIL]")
            .replacingOccurrences(of: "i@j.co", with: "[REDACTED:EMAIL]")
            .replacingOccurrences(of: "555-123-4567", with: "[REDACTED:PHONE]")
        #expect(out == expected)
        #expect(counts[.email] == 4 && counts[.phone] == 1 && counts.total == 5)
    }

    @Test("allStringValues: every string value at any depth, never keys")
    func allStrings() throws {
        let all = PIIFilter(PIIFilteringConfiguration(allStringValues: true))
        let line = #"{"run_id":"a@b.com","x@y.com":"plain","list":[["192.168.0.1"]],"o":{"p":{"q":"AKIAIOSFODNN7EXAMPLE"}},"n":123}"#
        var counts = RedactionCounts()
        let out = try redactLine(line, all, counts: &counts)
        #expect(out == #"{"run_id":"[REDACTED:EMAIL]","x@y.com":"plain","list":[["[REDACTED:IPV4]"]],"o":{"p":{"q":"[REDACTED:API_KEY]"}},"n":123}"#)
        #expect(counts.total == 3)
        // Without allStringValues none of these fields is sanitized.
        #expect(try redactLine(line) == nil)
    }

    @Test("configured fields and kinds; disabled")
    func configuration() throws {
        let line = #"{"prompt":"a@b.com 555-123-4567","query":"c@d.com"}"#
        let custom = PIIFilter(PIIFilteringConfiguration(sanitizeFields: ["prompt"], kinds: [.phone]))
        #expect(try redactLine(line, custom) == #"{"prompt":"a@b.com [REDACTED:PHONE]","query":"c@d.com"}"#)
        #expect(custom.redact("x@y.com") == nil)
        let off = PIIFilter(PIIFilteringConfiguration(enabled: false))
        #expect(try redactLine(line, off) == nil)
        #expect(off.redact("a@b.com") == nil)
        #expect(try redactLine(#"{"not json"#, off) == nil, "a disabled filter does not read its input")
        let none = PIIFilter(PIIFilteringConfiguration(kinds: []))
        #expect(try redactLine(line, none) == nil)
        #expect(PIIFilteringConfiguration().sanitizeFields == ["user_query", "user_feedback", "error_message", "query"])
        #expect(PIIFilteringConfiguration().kinds == Set(PIIKind.allCases))
    }

    @Test("escapes outside a match keep their spelling; escaped matches are replaced whole")
    func escapes() throws {
        let line = #"{"user_query":"line1\nmail a@b.com\t\u00e9 \/ \"z\u0040w.org\" \ud83d\ude00x@y.io end\\"}"#
        #expect(try redactLine(line) == #"{"user_query":"line1\nmail [REDACTED:EMAIL]\t\u00e9 \/ \"[REDACTED:EMAIL]\" \ud83d\ude00[REDACTED:EMAIL] end\\"}"#)
        // A key written with escapes still names a sanitized field.
        #expect(try redactLine(#"{"user\u005fquery":"a@b.com"}"#) == #"{"user\u005fquery":"[REDACTED:EMAIL]"}"#)
        // An escaped private key block (newlines as \n) goes whole.
        let pem = #"{"error_message":"bad key: -----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n(ignored)"}"#
        #expect(try redactLine(pem) == #"{"error_message":"bad key: [REDACTED:PRIVATE_KEY]\n(ignored)"}"#)
    }

    @Test("objects with nothing to redact come back nil")
    func unchangedIsNil() throws {
        for line in [#"{}"#, #"  {"a":1}  "#, #"{"user_query":""}"#, #"{"user_query":"plain words only"}"#,
                     #"{"user_query":["nothing","here"],"query":{"a":[1,2,{"b":null}]}}"#, "{\"query\":\"tab\\tand\\nnewline\"}\r\n"] {
            #expect(try redactLine(line) == nil, "\(line)")
        }
    }

    @Test("invalid JSON is an error naming the byte", arguments: [
        (#""#, 0), (#"   "#, 3), (#"[1,2]"#, 0), (#""str""#, 0), (#"{"a":}"#, 5), (#"{"a":1,}"#, 7), (#"{"a" 1}"#, 5),
        (#"{"a":1"#, 6), (#"{"a":1]"#, 6), (#"{"a":[1}"#, 7), (#"{"a":tru}"#, 5), (#"{"a":01}"#, 6), (#"{"a":-}"#, 6),
        (#"{"a":1.}"#, 7), (#"{"a":1e}"#, 7), (#"{"a":"\x"}"#, 6), (#"{"a":"\u12G4"}"#, 6), (#"{"a":"unterminated}"#, 5),
        (#"{"a":1} {"#, 8), (#"{a:1}"#, 1), ("{\"a\":\"tab\there\"}", 9), ("{\"a\":\"\u{01}\"}", 6),
    ] as [(String, Int)])
    func invalidJSON(_ input: String, _ offset: Int) throws {
        var counts = RedactionCounts()
        let error = #expect(throws: JSONRedactionError.self) {
            try filter.redactJSONObject(Array(input.utf8), counts: &counts)
        }
        #expect(error?.byteOffset == offset, "\(input.debugDescription): \(String(describing: error))")
        #expect(error?.description.hasPrefix("invalid JSON at byte \(offset): ") == true)
    }

    @Test("invalid UTF-8 and excessive nesting are errors; deep valid nesting is fine")
    func utf8AndDepth() throws {
        var counts = RedactionCounts()
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            let line = Array(#"{"user_query":"a"#.utf8) + bad + Array(#"b"}"#.utf8)
            let error = #expect(throws: JSONRedactionError.self) { try filter.redactJSONObject(line, counts: &counts) }
            #expect(error?.byteOffset == 16)
            #expect(error?.reason.contains("UTF-8") == true)
        }
        let deep = String(repeating: #"{"a":"#, count: 1023) + #""x@y.com""# + String(repeating: "}", count: 1023)
        let all = PIIFilter(PIIFilteringConfiguration(allStringValues: true))
        #expect(try redactLine(deep, all) == deep.replacingOccurrences(of: "x@y.com", with: "[REDACTED:EMAIL]"))
        let tooDeep = String(repeating: "[", count: 1100)
        let error = #expect(throws: JSONRedactionError.self) { try filter.redactJSONObject(Array(("{\"a\":" + tooDeep).utf8), counts: &counts) }
        #expect(error?.reason.contains("nesting") == true)
    }

    @Test("the byte-level variant and the String variant agree")
    func byteVariant() {
        let text = "reach me at a@b.com or +44 20 7946 0958"
        var counts = RedactionCounts()
        let bytes = Array(text.utf8).withUnsafeBytes { filter.redactBytes($0, counts: &counts) }
        #expect(bytes.map { String(decoding: $0, as: UTF8.self) } == filter.redact(text))
        #expect(counts.total == 2)
        #expect(Array("nothing".utf8).withUnsafeBytes { filter.redactBytes($0, counts: &counts) } == nil)
    }

    // MARK: - Round trip

    @Test("random objects with escapes: output parses, and only sanitized values change, exactly as the text filter says")
    func fuzzRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED_F00D)
        let fragments = piiSamples.map(\.text) + piiNonMatches + [
            "\"", "\\", "/", "\n", "\t", "\r", "\u{01}", "\u{1F}", "é", "😀", "中文", " ", "  ", ",", ".", "-", ":", "@", "+",
            "(", ")", "abc", "XYZ", "0", "42", "Bearer", "sk-", "eyJ", "-----BEGIN PRIVATE KEY-----", "::", "\u{7F}", "\u{2028}",
        ]
        let keys = ["user_query", "query", "error_message", "user_feedback", "note", "run_id", "text", "q"]
        let filters = [PIIFilter(), PIIFilter(PIIFilteringConfiguration(allStringValues: true))]
        var changed = 0
        for iteration in 0..<400 {
            func randomText() -> String {
                (0..<rng.below(6)).map { _ in rng.pick(fragments) }.joined(separator: rng.chance(0.5) ? " " : "")
            }
            // Top-level string members, and one nested object {"query": text, "n": [...]}.
            var texts: [(key: String, text: String)] = []
            var members: [String] = []
            for key in keys.shuffled(using: &rng).prefix(1 + rng.below(keys.count)) {
                let text = randomText()
                texts.append((key, text))
                members.append(jsonString(key) + ":" + jsonString(text, escapeAll: rng.chance(0.3)))
            }
            let nestedText = randomText()
            members.insert(#""nested" : {"query":"# + jsonString(nestedText, escapeAll: rng.chance(0.3)) + #","n":[1.5e3,-0,true]}"#,
                           at: rng.below(members.count + 1))
            let line = "{" + members.joined(separator: rng.chance(0.5) ? "," : " ,\t") + "}"
            for (which, filter) in filters.enumerated() {
                var counts = RedactionCounts()
                let out = try filter.redactJSONObject(Array(line.utf8), counts: &counts)
                let object = try parseObject(out ?? Array(line.utf8))
                if out != nil { changed += 1 } else { #expect(counts.isEmpty) }
                for (key, text) in texts {
                    let sanitized = which == 1 || PIIFilteringConfiguration.defaultSanitizeFields.contains(key)
                    let want = sanitized ? (filter.redact(text) ?? text) : text
                    #expect(object[key] as? String == want, "iteration \(iteration), filter \(which), key \(key): \(line)")
                }
                let nested = object["nested"] as? [String: Any]
                #expect(nested?["query"] as? String == (filter.redact(nestedText) ?? nestedText), "iteration \(iteration): \(line)")
                #expect((nested?["n"] as? [Any])?.count == 3)
            }
        }
        #expect(changed > 100, "the generator must produce PII often")
    }
}

@Suite("PII filter: the member search on written JSON")
struct WrittenJSONTests {
    /// A random attribute tree whose keys include the sanitized names, near
    /// misses, and names holding quotes, backslashes and `"query":` itself.
    func randomValue(_ random: inout SplitMix64, depth: Int) -> TelemetryValue {
        let texts = piiSamples.map(\.text) + ["plain", "", "say \"query\": \"a@b.com\"", "back\\slash \\\"q\\\" x@y.org", "line\none\ttab",
                                              "{\"query\":\"555-867-5309\"}", "é 😀 jane@example.com"]
        let keys = ["user_query", "query", "error_message", "user_feedback", "note", "x\"query", "query\\", "\\\"query\"", "queries",
                    "\"query\":", "Query", "user_query2"]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        switch random.next() % (depth >= 3 ? 3 : 6) {
        case 0: return .string(pick(texts))
        case 1: return .int(Int64(random.next() % 1000))
        case 2: return random.next() % 2 == 0 ? .bool(true) : .null
        case 3, 4:
            var object: [String: TelemetryValue] = [:]
            for _ in 0..<(random.next() % 4) { object[pick(keys)] = randomValue(&random, depth: depth + 1) }
            return .object(object)
        default:
            return .array((0..<(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) })
        }
    }

    @Test("on events the telemetry encoder wrote, the member search redacts exactly what the whole walk redacts")
    func sameAsTheWalk() throws {
        var random = SplitMix64(seed: 11)
        let filter = PIIFilter()
        var changed = 0
        for i in 0..<4_000 {
            var attributes: [String: TelemetryValue] = [:]
            for _ in 0..<(random.next() % 5) {
                if case .object(let o) = randomValue(&random, depth: 1) { attributes.merge(o) { a, _ in a } }
            }
            let header = EventHeader(eventID: "e\(i)", timestamp: 1, sessionID: "s", runID: "r", attributes: attributes)
            let event: AnyTelemetryEvent = i % 2 == 0
                ? AnyTelemetryEvent(AgentRunEvent(header: header, agentName: "a", agentType: "t", status: .completed,
                                                  userQuery: random.next() % 2 == 0 ? piiSamples[i % piiSamples.count].text : nil))!
                : AnyTelemetryEvent(ToolExecutionEvent(header: header, toolName: "t", toolType: "api", status: .failed))!
            var json: [UInt8] = []
            event.encodeJSON(into: &json)
            var walkCounts = RedactionCounts(), searchCounts = RedactionCounts()
            let walked = try filter.redactJSONObject(json, counts: &walkCounts)
            let searched = try json.withUnsafeBytes { try filter.redactWrittenJSONObject($0, counts: &searchCounts) }
            #expect(searched == walked, "event \(i): \(String(decoding: json, as: UTF8.self))")
            #expect(searchCounts == walkCounts)
            if walked != nil { changed += 1 }
        }
        #expect(changed > 1_000 && changed < 3_900)  // both outcomes well exercised
    }

    @Test("a value found by the search that is not valid JSON is an error, not a silent pass")
    func invalidValue() {
        let filter = PIIFilter()
        for bad in [#"{"query":"unterminated}"#, #"{"a":1,"query":{"b":[1,2}"#, #"{"query":"#] {
            var counts = RedactionCounts()
            #expect(throws: JSONRedactionError.self, "\(bad)") {
                _ = try Array(bad.utf8).withUnsafeBytes { try filter.redactWrittenJSONObject($0, counts: &counts) }
            }
        }
    }
}
