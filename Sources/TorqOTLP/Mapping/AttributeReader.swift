import TorqAnalysis
import TorqEvents
import TorqJSON

/// Reads an event's fields from OpenTelemetry attributes by ``OTelMapping``:
/// each field from its row's attribute, else the first accepted one present.
/// An attribute read into a field is taken out of ``remaining``; what is left
/// is kept in the event's `attributes`, so nothing is dropped.
struct AttributeReader {
    /// The attributes not read into a field.
    private(set) var remaining: [String: TelemetryValue]
    /// The event type whose rows are read (nil: the common fields).
    let type: EventType?

    init(_ attributes: [String: TelemetryValue], type: EventType?) {
        remaining = attributes
        self.type = type
    }

    /// The first value among the row's attributes that `convert` accepts; takes that attribute out.
    private mutating func take<T>(_ field: EventField, _ convert: (TelemetryValue) -> T?) -> T? {
        guard let row = OTelMapping.row(type, field) else { return nil }
        for attribute in row.attributesRead {
            if let value = remaining[attribute], let converted = convert(value) {
                remaining[attribute] = nil
                return converted
            }
        }
        return nil
    }

    mutating func string(_ field: EventField) -> String? {
        take(field) { if case .string(let s) = $0, !s.isEmpty { s } else { nil } }
    }

    /// An integer: an int, an integral double, or a decimal string (some SDKs send counts as strings).
    mutating func int(_ field: EventField) -> Int? {
        take(field) { value -> Int? in
            switch value {
            case .int(let i): Int(exactly: i)
            case .double(let d): Int(exactly: d)
            case .string(let s): Int(s)
            default: nil
            }
        }
    }

    mutating func double(_ field: EventField) -> Double? {
        take(field) { value -> Double? in
            switch value {
            case .int(let i): Double(i)
            case .double(let d): d.isFinite ? d : nil
            case .string(let s): Double(s)
            default: nil
            }
        }
    }

    mutating func bool(_ field: EventField) -> Bool? {
        take(field) { value -> Bool? in
            switch value {
            case .bool(let b): b
            case .string("true"): true
            case .string("false"): false
            default: nil
            }
        }
    }

    mutating func strings(_ field: EventField) -> [String]? {
        take(field) { value -> [String]? in
            guard case .array(let items) = value else { return nil }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                out.append(s)
            }
            return out
        }
    }

    /// Takes a named attribute out (one the table does not list, such as `torq.duration_ms`).
    mutating func takeAttribute(_ key: String) -> TelemetryValue? {
        remaining.removeValue(forKey: key)
    }
}
