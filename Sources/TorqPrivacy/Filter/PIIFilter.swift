/// Redacts personal data and secrets — e-mail addresses, phone numbers,
/// payment cards, IPv4 and IPv6 addresses, US SSNs, API keys, JWTs, PEM
/// private keys, bearer tokens (``PIIKind``) — replacing each match with
/// `[REDACTED:KIND]` (``PIIKind/replacement``).
///
/// Hand-written detectors (no regular expressions) scan the text once, only
/// from word boundaries; the common case, nothing to redact, allocates
/// nothing and returns nil. Each detector is strict so that identifiers and
/// numbers that fill telemetry are left alone: UUIDs, hex trace, span and
/// digest ids, RFC 3339 timestamps and dates, plain and decimal numbers, unix
/// times, version strings and `hh:mm:ss` durations are never redacted. The
/// exact rules are documented on each detector (`EmailDetector`,
/// `PhoneDetector`, `CardDetector`, `IPAddressDetector`, `SSNDetector`,
/// `APIKeyDetector`, `JWTDetector`, `PrivateKeyDetector`, `BearerDetector`).
///
/// Bearer credentials keep their scheme: `Bearer abc…` becomes
/// `Bearer [REDACTED:BEARER]`. A PEM block without its END line is redacted
/// to the end of the text.
///
/// A value: safe to share between threads and to call concurrently.
public struct PIIFilter: Sendable {
    /// What this filter redacts.
    public let configuration: PIIFilteringConfiguration
    private let scanner: PIIScanner
    private let redactor: JSONRedactor
    /// Whether ``redactWrittenJSONObject(_:counts:)`` may search for members:
    /// not every string is in scope, and no field name holds a byte a writer escapes.
    private let searchesMembers: Bool

    /// A filter for `configuration` (`PIIFilter()`, from TorqCollector: the
    /// telemetry schema's free-text fields, every kind).
    public init(_ configuration: PIIFilteringConfiguration) {
        self.configuration = configuration
        self.scanner = PIIScanner(kinds: PIIKindSet(configuration.kinds))
        self.redactor = JSONRedactor(scanner: scanner, fields: configuration.sanitizeFields.sorted().map { Array($0.utf8) },
                                     allStrings: configuration.allStringValues)
        self.searchesMembers = !configuration.allStringValues
            && configuration.sanitizeFields.allSatisfy { name in !name.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
    }

    /// Whether this filter can change anything (enabled, with at least one kind).
    private var active: Bool { configuration.enabled && !scanner.kinds.isEmpty }

    /// `text` with every match replaced, or nil when nothing matched (or the
    /// filter is disabled). Ignores ``PIIFilteringConfiguration/sanitizeFields``:
    /// the whole text is scanned.
    public func redact(_ text: String) -> String? {
        var counts = RedactionCounts()
        return redact(text, counts: &counts)
    }

    /// `text` with every match replaced, or nil when nothing matched; adds
    /// what was replaced to `counts`.
    public func redact(_ text: String, counts: inout RedactionCounts) -> String? {
        guard active else { return nil }
        var text = text
        return text.withUTF8 { utf8 in
            redactBytes(UnsafeRawBufferPointer(utf8), counts: &counts).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The bytes of UTF-8 text with every match replaced, or nil when nothing
    /// matched (nothing is allocated then); adds what was replaced to `counts`.
    /// Bytes that are not ASCII are copied as they are (detectors match ASCII).
    public func redactBytes(_ text: UnsafeRawBufferPointer, counts: inout RedactionCounts) -> [UInt8]? {
        guard active, let base = text.baseAddress, text.count > 0 else { return nil }
        return scanner.redact(ScanText(base.assumingMemoryBound(to: UInt8.self), count: text.count), counts: &counts)
    }

    /// Redacts one JSON object — one JSONL line as the store keeps it.
    ///
    /// Scans the string values of the fields named in
    /// ``PIIFilteringConfiguration/sanitizeFields`` wherever they occur (top
    /// level, nested objects, arrays; every string inside such a field's
    /// object or array value), or every string value when
    /// ``PIIFilteringConfiguration/allStringValues`` is on. Object keys are
    /// never changed. JSON escapes are decoded before scanning, and each match
    /// is replaced in the escaped text, so escapes outside the matches keep
    /// their spelling and the output is valid JSON.
    ///
    /// - Returns: the new bytes — identical to `line` except for the replaced
    ///   matches (keys, member order, numbers, whitespace unchanged) — or nil
    ///   when nothing matched or the filter is disabled (then `line` is not
    ///   read at all). Nothing is allocated unless something matched.
    /// - Throws: ``JSONRedactionError`` (with the byte offset) when `line` is
    ///   not exactly one valid JSON object (RFC 8259, UTF-8, surrounding
    ///   whitespace allowed, nesting up to 1,024 levels).
    public func redactJSONObject(_ line: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]? {
        guard active else { return nil }
        return try redactor.redact(line, counts: &counts)
    }

    /// ``redactJSONObject(_:counts:)`` for an object as a compact JSON writer
    /// writes it (TorqJSON's `JSONWriter`, the telemetry encoder): no space
    /// between a key and its colon, and only quotes, backslashes and control
    /// characters escaped. Same result, found faster: instead of walking the
    /// whole object it searches for each field's `"name":` and walks only
    /// those values, so an event without a sanitized field costs one byte
    /// search per field name. Every string value (`allStringValues`), or a
    /// field name holding a byte such a writer escapes, takes the whole walk.
    ///
    /// - Throws: ``JSONRedactionError`` when a value found is not valid JSON;
    ///   the rest of the object is not validated.
    package func redactWrittenJSONObject(_ object: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]? {
        guard active else { return nil }
        if searchesMembers { return try redactor.redactMembers(object, counts: &counts) }
        return try redactor.redact(object, counts: &counts)
    }

    /// ``redactJSONObject(_:counts:)`` for bytes in an array.
    public func redactJSONObject(_ line: [UInt8], counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]? {
        guard active else { return nil }
        let result = line.withUnsafeBytes { raw in
            Result { () throws(JSONRedactionError) -> [UInt8]? in try redactor.redact(raw, counts: &counts) }
        }
        return try result.get()
    }
}
