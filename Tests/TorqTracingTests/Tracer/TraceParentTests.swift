import Foundation
import Testing
import TorqTestSupport
@testable import TorqTracing
import TorqEvents

/// `traceparent` and `tracestate` parsing and formatting, against the cases of
/// the W3C trace-context test suite (test/test.py: version, trace id, parent id,
/// flags and white-space cases).
@Suite("W3C trace context: traceparent and tracestate")
struct TraceParentTests {
    static let trace = "12345678901234567890123456789012"
    static let span = "1234567890123456"

    static let valid: [String] = [
        "00-\(trace)-\(span)-01",
        "00-\(trace)-\(span)-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-\(trace)-\(span)-ff",                                      // unknown flags are kept, not rejected
        // A future version: parsed leniently, with or without extra fields.
        "cc-\(trace)-\(span)-01",
        "cc-\(trace)-\(span)-01-what-the-future-will-be-like",
        "01-\(trace)-\(span)-01-",
        // Optional white space around the value (spaces and tabs).
        " 00-\(trace)-\(span)-01",
        "\t00-\(trace)-\(span)-01",
        "00-\(trace)-\(span)-01 ",
        "00-\(trace)-\(span)-01\t",
        "\t 00-\(trace)-\(span)-01 \t",
    ]

    static let invalid: [String] = [
        // Version ff, and malformed versions.
        "ff-\(trace)-\(span)-01",
        ".0-\(trace)-\(span)-01",
        "0.-\(trace)-\(span)-01",
        "000-\(trace)-\(span)-01",
        "0000-\(trace)-\(span)-01",
        "0-\(trace)-\(span)-01",
        "0A-\(trace)-\(span)-01",
        // Version 00 with extra characters or fields.
        "00-\(trace)-\(span)-01.",
        "00-\(trace)-\(span)-01-what-the-future-will-be-like",
        "00-\(trace)-\(span)-01-",
        // A future version whose extra part does not start with "-".
        "cc-\(trace)-\(span)-01.what-the-future-will-be-like",
        "cc-\(trace)-\(span)-0",
        // Trace id: all zero, bad characters, uppercase, wrong length.
        "00-00000000000000000000000000000000-\(span)-01",
        "00-.2345678901234567890123456789012-\(span)-01",
        "00-1234567890123456789012345678901.-\(span)-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473A-00f067aa0ba902b7-01",
        "00-1234567890123456789012345678901234-\(span)-01",
        "00-123456789012345678901234567890-\(span)-01",
        // Parent id: all zero, bad characters, uppercase, wrong length.
        "00-\(trace)-0000000000000000-01",
        "00-\(trace)-.234567890123456-01",
        "00-\(trace)-123456789012345.-01",
        "00-\(trace)-00F067AA0BA902B7-01",
        "00-\(trace)-123456789012345678-01",
        "00-\(trace)-12345678901234-01",
        // Flags: bad characters, uppercase, wrong length.
        "00-\(trace)-\(span)-.0",
        "00-\(trace)-\(span)-0.",
        "00-\(trace)-\(span)-0A",
        "00-\(trace)-\(span)-001",
        "00-\(trace)-\(span)-1",
        // Other malformations.
        "",
        "   ",
        "00",
        "00_\(trace)_\(span)_01",
        "00-\(trace)--\(span)-01",
        "00-\(trace)-\(span)-01\n",
        "00-\(trace)-\(span)-0é",
        "\u{0}0-\(trace)-\(span)-01",
    ]

    @Test("valid traceparent values parse to the right ids and flags", arguments: valid)
    func validValues(_ header: String) throws {
        let parent = try #require(TraceParent(header), "should parse: \(header.debugDescription)")
        let trimmed = header.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        #expect(parent.traceID.description == String(trimmed.dropFirst(3).prefix(32)))
        #expect(parent.parentID.description == String(trimmed.dropFirst(36).prefix(16)))
        #expect(parent.flags == UInt8(trimmed.dropFirst(53).prefix(2), radix: 16))
        // Written back as version 00, whatever version it came with.
        #expect(parent.description == "00-" + trimmed.dropFirst(3).prefix(52))
        #expect(TraceParent(parent.description) == TraceParent(traceID: parent.traceID, parentID: parent.parentID, flags: parent.flags))
    }

    @Test("invalid traceparent values are rejected, never crash", arguments: invalid)
    func invalidValues(_ header: String) {
        #expect(TraceParent(header) == nil, "should be rejected: \(header.debugDescription)")
    }

    @Test("the sampled flag is bit 0; formatting writes 55 lowercase characters")
    func sampledFlag() throws {
        let unsampled = try #require(TraceParent("00-\(Self.trace)-\(Self.span)-00"))
        #expect(!unsampled.sampled)
        let sampled = try #require(TraceParent("00-\(Self.trace)-\(Self.span)-03"))
        #expect(sampled.sampled)
        let made = TraceParent(traceID: sampled.traceID, parentID: sampled.parentID, sampled: true)
        #expect(made.description == "00-\(Self.trace)-\(Self.span)-01")
        var flipped = made
        flipped.sampled = false
        #expect(flipped.description == "00-\(Self.trace)-\(Self.span)-00")
        let future = try #require(TraceParent("cc-\(Self.trace)-\(Self.span)-01-extra"))
        #expect(future.version == 0xCC)
    }

    @Test("random ids are 32 and 16 lowercase hex digits, never zero, not repeated")
    func randomIDs() {
        var spans: Set<SpanID> = []
        var traces: Set<TraceID> = []
        for _ in 0..<10_000 {
            let span = TraceIdentifiers.spanID(), trace = TraceIdentifiers.traceID()
            #expect(span.description.count == 16 && trace.description.count == 32)
            spans.insert(span)
            traces.insert(trace)
        }
        #expect(spans.count == 10_000)
        #expect(traces.count == 10_000)
        #expect(spans.allSatisfy { $0.description.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    @Test("tracestate: valid lists are kept, in order, normalized")
    func traceStateValid() throws {
        let state = try #require(TraceState("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"))
        #expect(state.members.map(\.key) == ["rojo", "congo"])
        #expect(state["congo"] == "t61rcWkgMzE")
        #expect(state.description == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        #expect(TraceState("foo=1,,, bar=2 ,\t")?.description == "foo=1,bar=2")           // empty members are allowed
        #expect(TraceState("tenant1@vendor=x")?.members.first?.key == "tenant1@vendor")   // multi-tenant keys
        #expect(TraceState("a-b_c*d/e=va lue")?["a-b_c*d/e"] == "va lue")                 // inner spaces in values
        let thirtyTwo = (0..<32).map { "k\($0)=v" }.joined(separator: ",")
        #expect(TraceState(thirtyTwo)?.members.count == 32)
        #expect(TraceState("k=" + String(repeating: "v", count: 256)) != nil)
    }

    @Test("tracestate: a value breaking the grammar is dropped whole", arguments: [
        "foo", "=bar", "Foo=1", "1foo=1", "foo=1,foo=2", "foo=a,b", "foo=a=b", "foo=b\u{01}r", "foo=\u{7F}",
        "föo=1", "@vendor=1", "tenant@=1", "tenant@Vendor=1", "tenant@1vendor=1", "",
        (0..<33).map { "k\($0)=v" }.joined(separator: ","),
        "k=" + String(repeating: "v", count: 257),
        String(repeating: "k", count: 257) + "=v",
    ])
    func traceStateInvalid(_ header: String) {
        #expect(TraceState(header) == nil, "should be rejected: \(header.prefix(80).debugDescription)")
    }
}
