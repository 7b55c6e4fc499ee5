import TorqEvents
import TorqJSON
/// A W3C Trace Context `traceparent` value
/// (`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`): the trace
/// id, the id of the caller's span, and the trace flags.
///
/// Parsing follows the W3C Trace Context rules and never traps: anything
/// invalid gives nil, and the caller then starts a new trace.
/// - The version is two lowercase hex digits; `ff` is invalid.
/// - Version `00` is exactly 55 characters: `00-` 32 hex `-` 16 hex `-` 2 hex.
/// - A higher (future) version is parsed leniently: its first 55 characters
///   must have the version-00 layout, and anything after them must start with `-`.
/// - Hex digits must be lowercase; an all-zero trace id or parent id is invalid.
/// - Leading and trailing spaces and tabs (HTTP's optional white space) are ignored.
///
/// ```swift
/// if let parent = TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") {
///     print(parent.traceID, parent.parentID, parent.sampled)   // 4bf9…4736 00f067aa0ba902b7 true
///     print(parent)                                            // the same 55 characters
/// }
/// ```
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// The trace all the spans belong to.
    public var traceID: TraceID
    /// The caller's span: the parent of the spans started from this value.
    public var parentID: SpanID
    /// The trace flags byte; bit 0 is `sampled`.
    public var flags: UInt8
    /// The version the value was written with (`00` for values made here).
    public var version: UInt8

    /// A version-00 value.
    public init(traceID: TraceID, parentID: SpanID, flags: UInt8) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
        self.version = 0
    }

    /// A version-00 value with only the `sampled` flag set as given.
    public init(traceID: TraceID, parentID: SpanID, sampled: Bool) {
        self.init(traceID: traceID, parentID: parentID, flags: sampled ? 1 : 0)
    }

    /// Parses a `traceparent` header value by the rules above; nil when it is invalid.
    public init?(_ header: some StringProtocol) {
        var text = String(header)
        guard let parsed = text.withUTF8({ Self.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Whether the caller recorded (sampled) its span: bit 0 of ``flags``.
    public var sampled: Bool {
        get { flags & 1 == 1 }
        set { flags = newValue ? flags | 1 : flags & ~1 }
    }

    /// The value to send: always written as version `00`, with the flags as they are.
    public var description: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            guard let base = buffer.baseAddress, buffer.count >= 55 else { return 0 }
            let raw = UnsafeMutableRawPointer(base)
            raw.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 0, as: UInt8.self)
            raw.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 1, as: UInt8.self)
            raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 2, as: UInt8.self)
            HexDigits.write(traceID.high, to: raw + 3)
            HexDigits.write(traceID.low, to: raw + 19)
            raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 35, as: UInt8.self)
            HexDigits.write(parentID.value, to: raw + 36)
            raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 52, as: UInt8.self)
            let digits = HexDigits.eightDigits(UInt32(flags))  // "000000ff" in memory order
            raw.storeBytes(of: UInt8(truncatingIfNeeded: digits >> 48), toByteOffset: 53, as: UInt8.self)
            raw.storeBytes(of: UInt8(truncatingIfNeeded: digits >> 56), toByteOffset: 54, as: UInt8.self)
            return 55
        }
    }

    /// The W3C parse of `bytes` (a header value); nil when invalid.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> TraceParent? {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let b = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard b.count >= 55,
              let version = hexByte(b[0], b[1]), version != 0xFF,
              b[2] == UInt8(ascii: "-"), b[35] == UInt8(ascii: "-"), b[52] == UInt8(ascii: "-"),
              let high = word(b, from: 3), let low = word(b, from: 19), let span = word(b, from: 36),
              let flags = hexByte(b[53], b[54])
        else { return nil }
        if version == 0 {
            guard b.count == 55 else { return nil }
        } else if b.count > 55 {
            guard b[55] == UInt8(ascii: "-") else { return nil }
        }
        guard let traceID = TraceID(high: high, low: low), let parentID = SpanID(span) else { return nil }
        var parent = TraceParent(traceID: traceID, parentID: parentID, flags: flags)
        parent.version = version
        return parent
    }

    /// 16 lowercase hex digits at `offset` as a word.
    private static func word(_ b: UnsafeRawBufferPointer, from offset: Int) -> UInt64? {
        var value: UInt64 = 0
        for i in offset..<offset + 16 {
            guard let digit = hexDigit(b[i]) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    private static func hexByte(_ a: UInt8, _ b: UInt8) -> UInt8? {
        guard let high = hexDigit(a), let low = hexDigit(b) else { return nil }
        return high << 4 | low
    }

    /// A lowercase hex digit's value; nil for anything else (uppercase included).
    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
