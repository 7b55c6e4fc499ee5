import TorqJSON
/// A W3C span id: 8 bytes, written as 16 lowercase hexadecimal digits.
/// The all-zero id is invalid and never produced.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    /// The 8 bytes, big-endian.
    public let value: UInt64

    /// The id `value`; nil when it is zero.
    public init?(_ value: UInt64) {
        guard value != 0 else { return nil }
        self.value = value
    }

    /// Parses exactly 16 lowercase hex digits; nil for anything else or all zeros.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16, let value = HexDigits.parse(utf8[...]) else { return nil }
        self.init(value)
    }

    /// A random id from `generator` (never zero).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SpanID {
        let value = generator.next() as UInt64
        return SpanID(checked: value == 0 ? 1 : value)
    }

    private init(checked value: UInt64) { self.value = value }

    /// The 16 lowercase hex digits.
    public var description: String { HexDigits.string(value) }
}

extension SpanID: Codable {
    /// Decodes the 16 lowercase hex digits.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = SpanID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a span id (16 lowercase hex digits, not all zero): \(text)")
        }
        self = id
    }

    /// Encodes the 16 lowercase hex digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
