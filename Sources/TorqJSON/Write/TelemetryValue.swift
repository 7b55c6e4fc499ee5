/// A JSON value: the type of `attributes` entries and of the unknown fields
/// an event keeps so that they survive decoding and re-encoding.
///
/// Integers that fit in `Int64` stay exact; other numbers are `Double`
/// (an integer above `Int64.max` therefore loses precision). Objects are
/// unordered: encoding writes their keys sorted, so output is deterministic.
public enum TelemetryValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in `Int64`.
    case int(Int64)
    /// Any other number. Non-finite values are encoded as `null`.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([TelemetryValue])
    /// An object.
    case object([String: TelemetryValue])
}

extension TelemetryValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A number.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array.
    public init(arrayLiteral elements: TelemetryValue...) { self = .array(elements) }
    /// An object; for a repeated key the last value wins.
    public init(dictionaryLiteral elements: (String, TelemetryValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension TelemetryValue: Codable {
    /// Decodes any JSON value (for use inside `Codable` types): null, a
    /// boolean, an integer that fits in `Int64`, another number, a string, an
    /// array or an object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([TelemetryValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: TelemetryValue].self))
        }
    }

    /// Encodes the value as the JSON value it stands for (non-finite doubles as null).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): if d.isFinite { try container.encode(d) } else { try container.encodeNil() }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}
