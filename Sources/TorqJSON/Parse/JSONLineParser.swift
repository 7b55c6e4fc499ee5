import CSimdJSON

/// Validates JSONL lines and extracts the top-level keys its caller names.
///
/// Wraps simdjson's DOM parser (through the `CSimdJSON` C facade): every
/// line is fully validated (syntax, UTF-8, escapes, number ranges, the whole
/// line), must be exactly one JSON object, and the first occurrences of up
/// to ``maxKeys`` top-level keys given at creation (the store's ingester
/// asks for the keys it indexes; the validator for the event type) are
/// returned as views into the parser's own memory. Nothing is allocated per
/// line on the success path. It knows no field names of its own.
///
/// - Important: **Padding.** ``parse(_:)`` reads up to ``requiredPadding``
///   bytes past the end of the line it is given (simdjson's SIMD loads). The
///   caller must guarantee that those bytes are readable memory (their
///   content does not matter and is never written). Reading lines out of a
///   larger buffer usually satisfies this for free; for the last line of a
///   buffer, keep `requiredPadding` spare bytes at the end of the allocation.
///
/// - Important: **Lifetimes.** The buffers in ``ExtractedKeys`` and the
///   values seen through ``field(_:)`` / ``forEachField(_:)`` describe the
///   most recent successful ``parse(_:)`` and are invalidated by the next
///   call to `parse` and by the parser's destruction.
///
/// This is a `~Copyable` struct rather than a final class: the parser owns a
/// C++ object that must be freed exactly once and must never be used by two
/// threads at once. Unique ownership gives us the `deinit` without a heap
/// box or reference counting, and `parse` being `mutating` makes every parse
/// an exclusive access checked by the compiler. It is `Sendable` because
/// ownership can move between tasks; the non-mutating accessors only read.
public struct JSONLineParser: ~Copyable, @unchecked Sendable {
    /// Bytes that must be readable right after every line passed to
    /// ``parse(_:)`` (simdjson's `SIMDJSON_PADDING`, 64).
    public static let requiredPadding: Int = Int(TQ_JSON_PADDING)

    /// The longest line, in bytes, this parser accepts; longer lines are
    /// reported as ``JSONLineError/Kind/tooLong``.
    public let maxLineLength: Int

    /// The most keys a parser extracts.
    public static let maxKeys = Int(TQ_JSON_MAX_KEYS)

    /// The keys extracted on every parse, in slot order.
    public let keys: [String]

    /// The C++ parser; nil only if it could not be allocated (then every line
    /// is reported invalid with that reason, rather than trapping). The
    /// facade accepts nil everywhere. For the zero-allocation readers of this
    /// package (the validator, the summary and trace scanners).
    package let handle: OpaquePointer?

    /// Creates a parser for lines of at most `maxLineLength` bytes that
    /// extracts the first occurrence of each top-level key of `keys` (at most
    /// ``maxKeys``; more are ignored) as ``ExtractedKeys`` slot `0..<keys.count`.
    ///
    /// Internal buffers are allocated lazily and sized for the longest line
    /// seen (about 14 bytes of memory per input byte); after a line longer
    /// than 1 MiB they are released again at the next shorter line. A
    /// negative `maxLineLength` counts as 0. If the small parser object
    /// cannot be allocated, every `parse` reports the line invalid with that
    /// reason (no trap).
    public init(maxLineLength: Int, keys: [String] = []) {
        let limit = max(0, maxLineLength)
        let handle = tq_json_parser_create(limit)
        let chosen = Array(keys.prefix(Self.maxKeys))
        if let handle, !chosen.isEmpty {
            // The names back to back in one buffer; the facade copies them.
            let bytes: [CChar] = chosen.flatMap { $0.utf8.map { CChar(bitPattern: $0) } } + [0]  // never empty
            let lengths = chosen.map { $0.utf8.count }
            let ok = bytes.withUnsafeBufferPointer { all in
                var starts: [UnsafePointer<CChar>?] = []
                var at = 0
                for length in lengths {
                    starts.append(all.baseAddress.map { (base: UnsafePointer<CChar>) -> UnsafePointer<CChar> in base + at })
                    at += length
                }
                return lengths.withUnsafeBufferPointer { l in tq_json_parser_set_keys(handle, starts, l.baseAddress, chosen.count) }
            }
            if ok == 0 {
                // Out of memory copying a few short names: behave as an unallocated parser.
                tq_json_parser_destroy(handle)
                self.handle = nil
                self.keys = chosen
                self.maxLineLength = limit
                return
            }
        }
        self.handle = handle
        self.keys = chosen
        self.maxLineLength = limit
    }

    deinit {
        if let handle { tq_json_parser_destroy(handle) }
    }

    // MARK: - Parsing

    /// What a line turned out to be.
    public enum Outcome {
        /// Exactly one JSON object; the keys point into parser memory.
        case object(ExtractedKeys)
        /// Anything else, with a human-readable reason.
        case invalid(JSONLineError)
    }

    /// How one of the extracted top-level keys was present in the object.
    public enum KeyKind: UInt8, Sendable {
        /// The key does not occur at the top level.
        case absent
        /// A JSON string (its decoded bytes are in ``ExtractedKeys``).
        case string
        /// JSON `null`.
        case null
        /// A JSON number.
        case number
        /// A boolean, array or object.
        case other

        /// `true` when the key occurs but its value is not a string.
        public var isPresentButNotString: Bool { self != .absent && self != .string }
    }

    /// One extracted top-level key: its decoded string bytes when its value
    /// is a string (escapes resolved, valid UTF-8, may be empty), valid only
    /// until the next ``JSONLineParser/parse(_:)``, and how it occurred.
    public struct ExtractedKey {
        /// The decoded string, or nil when absent or not a string.
        public var bytes: UnsafeRawBufferPointer?
        /// How the key occurred.
        public var kind: KeyKind

        @inline(__always)
        init(_ key: tq_json_key) {
            switch Int(key.kind) {
            case TQ_JSON_KEY_STRING: (bytes, kind) = (UnsafeRawBufferPointer(start: key.str, count: key.len), .string)
            case TQ_JSON_KEY_NULL: (bytes, kind) = (nil, .null)
            case TQ_JSON_KEY_NUMBER: (bytes, kind) = (nil, .number)
            case TQ_JSON_KEY_OTHER: (bytes, kind) = (nil, .other)
            default: (bytes, kind) = (nil, .absent)
            }
        }
    }

    /// The first occurrences of the parser's ``JSONLineParser/keys``, by slot.
    public struct ExtractedKeys {
        private let info: tq_json_object_info
        /// The number of keys the parser extracts.
        public let count: Int

        init(_ info: tq_json_object_info, count: Int) {
            self.info = info
            self.count = count
        }

        /// The key in `slot` (`0..<count`; a slot past the keys is absent).
        @inline(__always)
        public subscript(slot: Int) -> ExtractedKey { ExtractedKey(info.key(slot)) }

        /// `true` if any key is present with a non-string value.
        public var hasNonStringKey: Bool {
            (0..<count).contains { self[$0].kind.isPresentButNotString }
        }
    }

    /// Validates one line and extracts its keys.
    ///
    /// `line` must not include the line terminator (a trailing `\r` or `\n`
    /// is tolerated as JSON whitespace).
    ///
    /// - Precondition: **``requiredPadding`` bytes after the end of `line`
    ///   must be readable memory.** They are never written. Violating this is
    ///   undefined behaviour (an out-of-bounds read), not a checked error.
    /// - Returns: `.object` with views valid until the next `parse`, or
    ///   `.invalid` with the reason.
    public mutating func parse(_ line: UnsafeRawBufferPointer) -> Outcome {
        var info = tq_json_object_info()
        guard let handle else {
            return .invalid(JSONLineError(kind: .other, reason: "out of memory: the JSON parser could not be allocated", byteOffset: nil))
        }
        let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self)
        if Int(tq_json_parse_object(handle, base, line.count, &info)) == TQ_JSON_OK {
            return .object(ExtractedKeys(info, count: keys.count))
        }
        return .invalid(JSONLineError(info, maxLineLength: maxLineLength))
    }

    /// Validates one line and returns the facade's report as is (padding as
    /// for ``parse(_:)``): for the hot loops of this package that read keys
    /// and fields without building Swift values.
    @inline(__always)
    package mutating func parseRaw(_ line: UnsafeRawBufferPointer) -> tq_json_object_info {
        var info = tq_json_object_info()
        _ = tq_json_parse_object(handle, line.baseAddress?.assumingMemoryBound(to: UInt8.self), line.count, &info)
        return info
    }

    // MARK: - Generic read access to the last parsed object

    /// The value of the first top-level field named `key` in the object from
    /// the last successful ``parse(_:)``; nil if the key is absent or the
    /// last parse failed.
    public func field(_ key: String) -> JSONValue? {
        var key = key
        var value = tq_json_value()
        guard let handle else { return nil }
        let found = key.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { tq_json_get_field(handle, $0.baseAddress, $0.count, &value) }
        }
        return found != 0 ? JSONValue(value) : nil
    }

    /// Number of top-level fields (duplicates included) of the object from
    /// the last successful ``parse(_:)``; 0 if the last parse failed.
    public var fieldCount: Int {
        handle.map { tq_json_field_count($0) } ?? 0
    }

    /// Calls `body` for every top-level field of the object from the last
    /// successful ``parse(_:)``, in document order, duplicates included.
    /// Does nothing if the last parse failed.
    public func forEachField(_ body: (_ key: String, _ value: JSONValue) throws -> Void) rethrows {
        guard let handle else { return }
        var iterator = tq_json_field_iter()
        tq_json_fields_begin(handle, &iterator)
        var key: UnsafePointer<CChar>?
        var keyLength = 0
        var value = tq_json_value()
        while tq_json_fields_next(handle, &iterator, &key, &keyLength, &value) != 0 {
            let name = String(decoding: UnsafeRawBufferPointer(start: key, count: keyLength), as: UTF8.self)
            try body(name, JSONValue(value))
        }
    }
}

/// A top-level JSON value as seen by ``JSONLineParser/field(_:)``.
/// Containers are summarised by their element count.
public enum JSONValue: Sendable, Hashable {
    /// A string (decoded).
    case string(String)
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in `Int64`.
    case int(Int64)
    /// An integer above `Int64.max` (up to `UInt64.max`).
    case uint(UInt64)
    /// Any other number (fraction or exponent, or an integer simdjson stores as double).
    case double(Double)
    /// An array with `count` elements.
    case array(count: Int)
    /// An object with `count` fields (duplicates included).
    case object(count: Int)

    init(_ v: tq_json_value) {
        switch Int(v.kind) {
        case TQ_JSON_STRING:
            self = .string(String(decoding: UnsafeRawBufferPointer(start: v.str, count: v.len), as: UTF8.self))
        case TQ_JSON_BOOL: self = .bool(v.b != 0)
        case TQ_JSON_INT64: self = .int(v.i)
        case TQ_JSON_UINT64: self = .uint(v.u)
        case TQ_JSON_DOUBLE: self = .double(v.d)
        case TQ_JSON_ARRAY: self = .array(count: v.count)
        case TQ_JSON_OBJECT: self = .object(count: v.count)
        default: self = .null
        }
    }
}

/// Why a line is not a valid JSONL record.
public struct JSONLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: Sendable, Hashable {
        /// Empty or whitespace-only line.
        case empty
        /// Valid JSON, but not an object (array, string, number, boolean, null).
        case notAnObject
        /// A JSON syntax error (including strings, escapes and numbers).
        case invalidJSON
        /// The bytes are not valid UTF-8.
        case invalidUTF8
        /// The line starts with the UTF-8 byte order mark EF BB BF.
        case byteOrderMark
        /// Arrays/objects nested more than 1024 levels deep.
        case tooDeep
        /// Longer than the parser's `maxLineLength`.
        case tooLong
        /// A complete JSON value followed by more non-whitespace (e.g. `{} x`, `{}{}`).
        case trailingContent
        /// Out of memory or an unexpected parser failure.
        case other
    }

    /// The class of problem.
    public let kind: Kind
    /// A short English sentence, e.g. `not a JSON object (array)`,
    /// `invalid UTF-8 at byte 17`, `invalid JSON: ...`.
    public let reason: String
    /// Best-effort byte offset of the problem within the line. Exact for
    /// invalid UTF-8 (first byte of the bad sequence), the BOM (0), truncated
    /// lines (the line length) and trailing content (its first byte);
    /// approximate for other syntax errors; nil when unknown.
    public let byteOffset: Int?

    /// Same as ``reason``.
    public var description: String { reason }

    init(kind: Kind, reason: String, byteOffset: Int?) {
        self.kind = kind
        self.reason = reason
        self.byteOffset = byteOffset
    }

    init(_ info: tq_json_object_info, maxLineLength: Int) {
        let offset = info.error_offset >= 0 ? Int(info.error_offset) : nil
        byteOffset = offset
        switch Int(info.error) {
        case TQ_JSON_EMPTY:
            kind = .empty
            reason = "line is empty or contains only whitespace"
        case TQ_JSON_NOT_AN_OBJECT:
            kind = .notAnObject
            let type = switch Int(info.root_kind) {
            case TQ_JSON_ARRAY: "array"
            case TQ_JSON_STRING: "string"
            case TQ_JSON_BOOL: "boolean"
            case TQ_JSON_NULL: "null"
            default: "number"
            }
            reason = "not a JSON object (\(type))"
        case TQ_JSON_INVALID_JSON:
            kind = .invalidJSON
            reason = "invalid JSON: \(Self.sentenceFragment(info.message))"
        case TQ_JSON_INVALID_UTF8:
            kind = .invalidUTF8
            reason = offset.map { "invalid UTF-8 at byte \($0)" } ?? "invalid UTF-8"
        case TQ_JSON_BOM:
            kind = .byteOrderMark
            reason = "line starts with a UTF-8 byte order mark"
        case TQ_JSON_TOO_DEEP:
            kind = .tooDeep
            reason = "JSON nesting is too deep (more than 1024 levels)"
        case TQ_JSON_CAPACITY:
            kind = .tooLong
            reason = "line is longer than the maximum record size (\(maxLineLength) bytes)"
        case TQ_JSON_TRAILING_CONTENT:
            kind = .trailingContent
            reason = "invalid JSON: unexpected content after the JSON value"
        default:
            kind = .other
            reason = "JSON parser failure: \(Self.sentenceFragment(info.message))"
        }
    }

    /// simdjson's message without a final period, its first word lower-cased
    /// unless it is an acronym ("The JSON ..." -> "the JSON ...").
    private static func sentenceFragment(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        var text = Substring(String(cString: message))
        if text.last == "." { text.removeLast() }
        guard let first = text.first else { return "unknown error" }
        if let second = text.dropFirst().first, second.isUppercase { return String(text) }
        return first.lowercased() + text.dropFirst()
    }
}

extension tq_json_object_info {
    /// The extracted key in `slot` (`0..<TQ_JSON_MAX_KEYS`); absent past that.
    @inline(__always)
    package func key(_ slot: Int) -> tq_json_key {
        switch slot {
        case 0: keys.0
        case 1: keys.1
        case 2: keys.2
        case 3: keys.3
        default: tq_json_key()
        }
    }
}
