import TorqJSON
/// A W3C trace id: 16 bytes, written as 32 lowercase hexadecimal digits.
/// The all-zero id is invalid and never produced.
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian (the first 16 hex digits).
    public let high: UInt64
    /// The last 8 bytes, big-endian (the last 16 hex digits).
    public let low: UInt64

    /// The id with these halves; nil when both are zero.
    public init?(high: UInt64, low: UInt64) {
        guard high != 0 || low != 0 else { return nil }
        self.high = high
        self.low = low
    }

    /// Parses exactly 32 lowercase hex digits; nil for anything else or all zeros.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32, let high = HexDigits.parse(utf8[0..<16]), let low = HexDigits.parse(utf8[16..<32]) else { return nil }
        self.init(high: high, low: low)
    }

    /// A random id from `generator` (never all zeros).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> TraceID {
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return TraceID(checked: high, low == 0 && high == 0 ? 1 : low)
    }

    private init(checked high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The 32 lowercase hex digits.
    public var description: String { HexDigits.string(high) + HexDigits.string(low) }
}

extension TraceID: Codable {
    /// Decodes the 32 lowercase hex digits.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = TraceID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a trace id (32 lowercase hex digits, not all zero): \(text)")
        }
        self = id
    }

    /// Encodes the 32 lowercase hex digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
