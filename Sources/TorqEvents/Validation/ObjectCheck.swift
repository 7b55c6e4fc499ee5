import CSimdJSON
import TorqJSON

/// The result of checking one parsed object against its type's field table:
/// which table, each slot's status, and whether every required slot is ok.
package struct ObjectCheck {
    /// Index into ``FieldTable/all``.
    package var table: Int
    /// One status per slot of the table.
    package var statuses: SlotStatuses
    /// All required slots are ok.
    package var isCompliant: Bool
}

extension JSONLineParser {
    /// Checks the object from the last successful `parse` (whose result is
    /// `info`): one pass over its fields, no allocation. For a repeated key
    /// the first occurrence counts, as in the store's indexing.
    @inline(__always)
    package func checkObject(_ info: tq_json_object_info) -> ObjectCheck {
        let tableIndex = FieldTable.index(ofType: info.key(EventKeys.typeSlot))
        let table = FieldTable.all[tableIndex]
        var statuses = SlotStatuses()
        // The facade's iterator, called directly: no closure, and the value is
        // read in place rather than copied per field.
        var iterator = tq_json_field_iter()
        tq_json_fields_begin(handle, &iterator)
        var key: UnsafePointer<CChar>?
        var keyLength = 0
        var value = tq_json_value()
        while tq_json_fields_next(handle, &iterator, &key, &keyLength, &value) != 0 {
            let slot = table.slot(of: UnsafeRawPointer(key), length: keyLength)
            if slot >= 0, statuses.isMissing(slot) {
                statuses[slot] = table.check(&value, slot: slot)
            }
        }
        return ObjectCheck(table: tableIndex, statuses: statuses, isCompliant: statuses.allOK(upTo: table.requiredCount))
    }
}

/// A short English description of why simdjson refused a line.
package enum ParseFailure {
    package static func describe(_ info: tq_json_object_info) -> String {
        switch Int(info.error) {
        case TQ_JSON_EMPTY: return "empty line"
        case TQ_JSON_NOT_AN_OBJECT:
            let kind = switch Int(info.root_kind) {
            case TQ_JSON_ARRAY: "an array"
            case TQ_JSON_STRING: "a string"
            case TQ_JSON_BOOL: "a boolean"
            case TQ_JSON_NULL: "null"
            default: "a number"
            }
            return "valid JSON, but \(kind)"
        case TQ_JSON_INVALID_UTF8: return "invalid UTF-8" + (info.error_offset >= 0 ? " at byte \(info.error_offset)" : "")
        case TQ_JSON_BOM: return "starts with a UTF-8 byte order mark"
        case TQ_JSON_TOO_DEEP: return "nested more than 1024 levels deep"
        case TQ_JSON_CAPACITY: return "longer than the 16 MiB limit"
        case TQ_JSON_TRAILING_CONTENT: return "invalid JSON: content after the value" + (info.error_offset >= 0 ? " at byte \(info.error_offset)" : "")
        default:
            let message = info.message.map { String(cString: $0) } ?? "syntax error"
            return "invalid JSON: " + message + (info.error_offset >= 0 ? " near byte \(info.error_offset)" : "")
        }
    }
}
