import Tracing
import TorqJSON

extension SpanAttributes {
    /// The attributes as JSON values for an event's `attributes`: integers,
    /// doubles, booleans and strings as themselves, arrays as arrays, and
    /// string-convertible values as their descriptions.
    var telemetryValues: [String: TelemetryValue] {
        var values: [String: TelemetryValue] = [:]
        values.reserveCapacity(count)
        forEach { name, attribute in values[name] = attribute.telemetryValue }
        return values
    }
}

extension SpanAttribute {
    /// The attribute as a JSON value.
    var telemetryValue: TelemetryValue {
        switch self {
        case .int32(let v): .int(Int64(v))
        case .int64(let v): .int(v)
        case .int32Array(let v): .array(v.map { .int(Int64($0)) })
        case .int64Array(let v): .array(v.map { .int($0) })
        case .double(let v): .double(v)
        case .doubleArray(let v): .array(v.map { .double($0) })
        case .bool(let v): .bool(v)
        case .boolArray(let v): .array(v.map { .bool($0) })
        case .string(let v): .string(v)
        case .stringArray(let v): .array(v.map { .string($0) })
        case .stringConvertible(let v): .string(v.description)
        case .stringConvertibleArray(let v): .array(v.map { .string($0.description) })
        default: .string(String(describing: self))
        }
    }
}
