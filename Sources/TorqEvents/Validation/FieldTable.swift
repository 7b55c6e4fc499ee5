import CSimdJSON
#if canImport(Glibc)
import Glibc
import TorqJSON
#endif

/// The status of one checked field: `ok` or the reason it fails. Four bits.
package enum FieldStatus: UInt8, Sendable {
    case ok = 0, missing, null, wrongType, outOfRange, invalidFormat, unknownEventType

    package static let allCases: [FieldStatus] = [.ok, .missing, .null, .wrongType, .outOfRange, .invalidFormat, .unknownEventType]

    /// The public reason; nil for `ok`.
    package var reason: NonComplianceReason? {
        switch self {
        case .ok: nil
        case .missing: .missing
        case .null: .null
        case .wrongType: .wrongType
        case .outOfRange: .outOfRange
        case .invalidFormat: .invalidFormat
        case .unknownEventType: .unknownEventType
        }
    }
}

/// The statuses of up to 16 slots, four bits each; every slot starts `missing`.
package struct SlotStatuses: Sendable, Hashable {
    private(set) var bits: UInt64 = 0x1111_1111_1111_1111

    @inline(__always)
    package subscript(slot: Int) -> FieldStatus {
        get { FieldStatus(rawValue: UInt8(truncatingIfNeeded: bits >> UInt64(slot * 4)) & 0xF) ?? .missing }
        set {
            let shift = UInt64(slot * 4)
            bits = bits & ~(0xF << shift) | UInt64(newValue.rawValue) << shift
        }
    }

    /// Whether slot `slot` is still `missing` (no field seen for it yet).
    @inline(__always)
    func isMissing(_ slot: Int) -> Bool {
        (bits >> UInt64(slot * 4)) & 0xF == UInt64(FieldStatus.missing.rawValue)
    }

    /// True when the first `count` slots are all `ok`.
    @inline(__always)
    package func allOK(upTo count: Int) -> Bool {
        count == 0 || bits & (count >= 16 ? ~0 : (1 << UInt64(count * 4)) - 1) == 0
    }
}

/// The fields the validator checks for one event type, in slot order: the
/// four required common fields, the type's required fields, then its
/// recommended fields. Built once from ``EventSchema``.
///
/// The hot part (names as ``NameWords``, kinds, a hash of the names) lives in
/// raw memory allocated once for the process, so that copying a table costs
/// no reference counting and matching a key allocates and calls nothing.
package struct FieldTable: @unchecked Sendable {
    /// Index of the table in ``all``: 0–4 the five types, 5 for any other `event_type`.
    package let index: Int
    /// Number of slots.
    package let slotCount: Int
    /// Slots `0..<requiredCount` are required; the rest are recommended.
    package let requiredCount: Int
    /// Per slot: the name, and the index of its kind in ``kinds``.
    private let slots: UnsafeMutablePointer<(name: NameWords, kind: Int)>
    /// Open-addressing hash of the names: `hashSize` entries of slot + 1 (0 = empty).
    private let hash: UnsafeMutablePointer<UInt8>
    private static let hashSize = 64

    /// Index of the table of events whose `event_type` is not one of the five.
    package static let unknownIndex = 5
    /// The most slots any table has.
    package static let maxSlots = 16

    /// The tables of the five types, then the table of unknown types.
    package static let all: [FieldTable] = definitions.enumerated().map { FieldTable(index: $0.offset, fields: $0.element.fields, requiredCount: $0.element.required) }

    /// The field definitions of each table, in slot order (the cold side of the tables).
    private static let definitions: [(fields: [FieldDefinition], required: Int)] = {
        var tables = EventSchema.complianceSchemas.map { schema in
            (fields: Array((schema.requiredFields + schema.recommendedFields).prefix(maxSlots)), required: schema.requiredFields.count)
        }
        let common = EventSchema.commonFields.filter { $0.requirement == .required }
        tables.append((fields: common, required: common.count))
        return tables
    }()

    /// The fields in slot order.
    package var fields: [FieldDefinition] { Self.definitions[index].fields }

    /// The event type, nil for the table of unknown types.
    package var eventType: EventType? { index < EventSchema.complianceSchemas.count ? EventSchema.complianceSchemas[index].eventType : nil }

    /// Names of the five types as bytes, for matching `event_type` without allocating.
    private static let typeNames: [[UInt8]] = EventSchema.complianceSchemas.map { Array($0.eventType.rawValue.utf8) }

    private init(index: Int, fields: [FieldDefinition], requiredCount: Int) {
        self.index = index
        slotCount = fields.count
        self.requiredCount = min(requiredCount, fields.count)
        // Allocated once per table, for the life of the process.
        slots = .allocate(capacity: max(1, fields.count))
        hash = .allocate(capacity: Self.hashSize)
        hash.initialize(repeating: 0, count: Self.hashSize)
        for (slot, field) in fields.enumerated() {
            let name = Array(field.name.utf8)
            let words = name.withUnsafeBytes { NameWords($0.baseAddress, length: $0.count) }
            (slots + slot).initialize(to: (words, Self.kinds.firstIndex(of: field.kind) ?? 0))
            var h = words.hashIndex(Self.hashSize)
            while hash[h] != 0 { h = (h + 1) & (Self.hashSize - 1) }
            hash[h] = UInt8(slot + 1)
        }
    }

    /// The table index of an `event_type` value: 0–4 for the five types, else ``unknownIndex``.
    @inline(__always)
    static func index(ofType key: tq_json_key) -> Int {
        guard Int(key.kind) == TQ_JSON_KEY_STRING, let str = key.str else { return unknownIndex }
        return index(ofTypeName: UnsafeRawBufferPointer(start: str, count: key.len))
    }

    /// The table index of an event type name given as bytes.
    static func index(ofTypeName name: UnsafeRawBufferPointer) -> Int {
        for (i, typeName) in typeNames.enumerated() where typeName.count == name.count {
            if typeName.withUnsafeBytes({ $0.elementsEqual(name) }) { return i }
        }
        return unknownIndex
    }

    /// The slot of the field named by the `length` bytes at `key`, or -1 when this table does not check it.
    @inline(__always)
    func slot(of key: UnsafeRawPointer?, length: Int) -> Int {
        guard length > 0, length <= NameWords.maxLength else { return -1 }
        let words = NameWords(key, length: length)
        var h = words.hashIndex(Self.hashSize)
        while true {
            let entry = Int(hash[h])
            if entry == 0 { return -1 }
            if slots[entry - 1].name == words { return entry - 1 }
            h = (h + 1) & (Self.hashSize - 1)
        }
    }

    /// The kind of slot `slot`.
    @inline(__always)
    func kind(_ slot: Int) -> FieldKind {
        Self.kinds[slots[slot].kind]
    }

    /// Every kind, once (a synthesized `allCases` builds a new array per call).
    private static let kinds = FieldKind.allCases

    /// The status of `value` in slot `slot`.
    @inline(__always)
    func check(_ value: UnsafePointer<tq_json_value>, slot: Int) -> FieldStatus {
        Self.check(value, kind: kind(slot), tableIndex: index)
    }

    /// The status of `value` for a field of `kind`, in an event of table `tableIndex`.
    @inline(__always)
    static func check(_ pointer: UnsafePointer<tq_json_value>, kind: FieldKind, tableIndex: Int) -> FieldStatus {
        let type = Int(pointer.pointee.kind)
        if type == TQ_JSON_NULL { return .null }
        switch kind {
        case .string:
            return type == TQ_JSON_STRING ? .ok : .wrongType
        case .eventType:
            guard type == TQ_JSON_STRING else { return .wrongType }
            return tableIndex == unknownIndex ? .unknownEventType : .ok
        case .timestamp:
            guard type == TQ_JSON_STRING else { return .wrongType }
            return RFC3339Syntax.isValid(UnsafeRawBufferPointer(start: pointer.pointee.str, count: pointer.pointee.len)) ? .ok : .invalidFormat
        case .tokenCount:
            switch type {
            case TQ_JSON_INT64: return pointer.pointee.i >= 0 ? .ok : .outOfRange
            case TQ_JSON_UINT64: return .ok
            case TQ_JSON_DOUBLE:
                guard pointer.pointee.d == pointer.pointee.d.rounded(.towardZero) else { return .wrongType }
                return pointer.pointee.d >= 0 ? .ok : .outOfRange
            default: return .wrongType
            }
        case .milliseconds:
            switch type {
            case TQ_JSON_INT64: return pointer.pointee.i >= 0 ? .ok : .outOfRange
            case TQ_JSON_UINT64: return .ok
            case TQ_JSON_DOUBLE: return pointer.pointee.d >= 0 ? .ok : .outOfRange
            default: return .wrongType
            }
        case .score:
            switch type {
            case TQ_JSON_INT64: return pointer.pointee.i >= 0 && pointer.pointee.i <= 1 ? .ok : .outOfRange
            case TQ_JSON_UINT64: return .outOfRange
            case TQ_JSON_DOUBLE: return pointer.pointee.d >= 0 && pointer.pointee.d <= 1 ? .ok : .outOfRange
            default: return .wrongType
            }
        case .boolean:
            return type == TQ_JSON_BOOL ? .ok : .wrongType
        case .array:
            return type == TQ_JSON_ARRAY ? .ok : .wrongType
        case .object:
            return type == TQ_JSON_OBJECT ? .ok : .wrongType
        case .traceID, .spanID:
            guard type == TQ_JSON_STRING else { return .wrongType }
            let digits = kind == .traceID ? 32 : 16
            guard pointer.pointee.len == digits, let str = pointer.pointee.str else { return .invalidFormat }
            for i in 0..<digits {
                let c = UInt8(bitPattern: str[i])
                guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) else { return .invalidFormat }
            }
            return .ok
        }
    }
}

/// A field name of up to 24 bytes as its length and three words, compared
/// in a few instructions: the first 8 bytes, the last 8, and bytes 8–15 of a
/// name longer than 16 (overlapping as needed; 4-byte loads for names of
/// 4–7 bytes). Every load stays inside the name.
package struct NameWords: Equatable {
    static let maxLength = 24

    let length: Int
    let head: UInt64
    let tail: UInt64
    let middle: UInt64

    @inline(__always)
    init(_ bytes: UnsafeRawPointer?, length: Int) {
        self.length = length
        guard let bytes, length > 0, length <= Self.maxLength else {
            head = 0
            tail = 0
            middle = 0
            return
        }
        if length >= 8 {
            head = bytes.loadUnaligned(as: UInt64.self)
            tail = bytes.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            middle = length > 16 ? bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self) : 0
        } else if length >= 4 {
            head = UInt64(bytes.loadUnaligned(as: UInt32.self))
            tail = UInt64(bytes.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self))
            middle = 0
        } else {
            var value: UInt64 = 0
            for i in 0..<length { value |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self)) << UInt64(8 * i) }
            head = value
            tail = 0
            middle = 0
        }
    }

    /// The first entry to probe in an open-addressing table of `size` entries (a power of two, at most 256).
    @inline(__always)
    func hashIndex(_ size: Int) -> Int {
        let mixed = (head ^ (tail &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: length)) &* 0xC2B2_AE3D_27D4_EB4F
        return Int(truncatingIfNeeded: mixed >> 56) & (size - 1)
    }
}
