#if canImport(Glibc)
import Glibc
#endif

/// The byte-level JSON writer of the event encoder: writes strings with
/// RFC 8259 escaping (scanned eight bytes at a time), integers, doubles,
/// RFC 3339 timestamps, hex ids and `TelemetryValue` trees straight into raw
/// memory, with no per-write capacity checks: callers size the memory with
/// the `bound` functions first.
///
/// Output is always valid JSON: `"`, `\` and every byte below 0x20 are
/// escaped; Swift strings are valid UTF-8, so everything else is copied as
/// is; non-finite doubles become `null`.
///
/// Public, with its write methods `@inlinable`, for one reason: the event
/// encoder (TorqEvents) writes a dozen members per event through it, and
/// across a module boundary only public inlinable code is inlined.
public struct JSONWriter {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    /// Whether `base` was allocated for this writer (and is freed by `finish`).
    @usableFromInline var ownsBase = false
    #if DEBUG
    @usableFromInline let capacity: Int
    #endif
    /// Bytes written so far.
    @usableFromInline var count = 0

    @usableFromInline init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        #if DEBUG
        self.capacity = capacity
        #endif
    }

    /// Extra room on top of every bound, for keys and punctuation.
    public static let margin = 512

    /// A writer over the calling thread's scratch memory, of at least
    /// `bound` + ``margin`` bytes; the caller writes (staying within that),
    /// then calls ``finish(into:)`` before any other writer of the thread.
    @inlinable @inline(__always)
    public init(bound: Int) {
        let capacity = bound + Self.margin
        if let scratch = ScratchMemory.forCurrentThread(capacity) {
            self.init(base: scratch, capacity: capacity)
        } else {
            self.init(base: .allocate(capacity: capacity), capacity: capacity)
            ownsBase = true
        }
    }

    /// Appends what was written to `buffer`; the writer must not be used afterwards.
    @inlinable @inline(__always)
    public func finish(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        if ownsBase { base.deallocate() }
    }

    /// In debug builds, asserts that a write stays within the scratch memory:
    /// a wrong bound is a bug of this file, caught by the tests (which run the
    /// debug build); release builds rely on the bounds, which are conservative.
    @inline(__always)
    @usableFromInline func checkRoom(_ n: Int) {
        #if DEBUG
        assert(count + n <= capacity, "JSONWriter bound too small")
        #endif
    }

    // MARK: - Bounds

    /// The most bytes ``string(_:)`` writes for `text`.
    @inlinable @inline(__always)
    public static func bound(_ text: String) -> Int { 6 * text.utf8.count + 2 }

    /// The most bytes ``string(_:)`` writes for `text`, 0 for nil.
    @inlinable @inline(__always)
    public static func bound(_ text: String?) -> Int { text.map(bound) ?? 0 }

    /// The most bytes ``stringArray(_:)`` writes for `strings`, 0 for nil.
    @inlinable public static func bound(_ strings: [String]?) -> Int {
        guard let strings else { return 0 }
        return strings.reduce(2) { $0 + bound($1) + 1 }
    }

    /// The most bytes ``value(_:)`` writes for `value`.
    @inlinable public static func bound(_ value: TelemetryValue) -> Int {
        switch value {
        case .null, .bool: 5
        case .int, .double: numberBound
        case .string(let s): bound(s)
        case .array(let elements): elements.reduce(2) { $0 + bound($1) + 1 }
        case .object(let fields): bound(fields) + 2
        }
    }

    /// The most bytes ``members(_:first:skipping:)`` writes for `fields`.
    @inlinable public static func bound(_ fields: [String: TelemetryValue]) -> Int {
        fields.reduce(0) { $0 + bound($1.key) + bound($1.value) + 2 }
    }

    /// The most bytes a number takes.
    public static let numberBound = 32

    // MARK: - Writing

    /// Writes one byte.
    @inlinable @inline(__always)
    public mutating func byte(_ value: UInt8) {
        checkRoom(1)
        base[count] = value
        count += 1
    }

    /// Writes the bytes of a static ASCII string (keys and punctuation).
    @inlinable @inline(__always)
    public mutating func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        checkRoom(n)
        (base + count).update(from: text.utf8Start, count: n)
        count += n
    }

    /// Writes raw bytes (short runs without a call to `memmove`).
    @inlinable @inline(__always)
    public mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let n = bytes.count
        checkRoom(n)
        let to = UnsafeMutableRawPointer(base + count), from = UnsafeRawPointer(source)
        if n >= 8, n <= 16 {
            // Two overlapping word copies.
            let head = from.loadUnaligned(as: UInt64.self), tail = from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
        } else if n < 8 {
            for i in 0..<n { to.storeBytes(of: from.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
        } else {
            to.copyMemory(from: from, byteCount: n)
        }
        count += n
    }

    /// Writes `text` as a JSON string literal.
    @inlinable @inline(__always)
    public mutating func string(_ text: String) {
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ string(utf8: $0) }) {
            return done
        }
        var copy = text
        copy.withUTF8 { string(utf8: $0) }
    }

    /// Writes UTF-8 bytes as a JSON string literal.
    @inlinable public mutating func string(utf8 source: UnsafeBufferPointer<UInt8>) {
        byte(0x22)
        guard let input = source.baseAddress else {
            byte(0x22)
            return
        }
        let n = source.count
        var runStart = 0
        var index = 0
        while index < n {
            if n - index >= 8 {
                // Skip eight clean bytes at a time.
                let word = UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self)
                if !JSONEscaping.mayNeedEscape(word) {
                    index += 8
                    continue
                }
            }
            let c = input[index]
            if c < 0x20 || c == 0x22 || c == 0x5C {
                raw(UnsafeBufferPointer(start: input + runStart, count: index - runStart))
                escape(c)
                runStart = index + 1
            }
            index += 1
        }
        raw(UnsafeBufferPointer(start: input + runStart, count: n - runStart))
        byte(0x22)
    }

    /// Writes the escape sequence of one byte that must be escaped.
    @usableFromInline mutating func escape(_ c: UInt8) {
        switch c {
        case 0x22: raw(#"\""#)
        case 0x5C: raw(#"\\"#)
        case 0x0A: raw(#"\n"#)
        case 0x0D: raw(#"\r"#)
        case 0x09: raw(#"\t"#)
        case 0x08: raw(#"\b"#)
        case 0x0C: raw(#"\f"#)
        default:
            raw(#"\u00"#)
            let low = c & 0xF
            byte((c >> 4) &+ 48)
            byte(low < 10 ? low &+ 48 : low &+ 87)
        }
    }

    /// Writes a decimal integer.
    @inlinable public mutating func integer(_ value: Int64) {
        if value < 0 { byte(0x2D) }
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        checkRoom(digits)
        var at = count + digits - 1
        repeat {
            base[at] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
            magnitude /= 10
            at -= 1
        } while magnitude > 0
        count += digits
    }

    /// Writes a number: integral values below 2^53 as integers, other finite
    /// values in Swift's shortest round-trip form, non-finite values as `null`.
    @inlinable public mutating func number(_ value: Double) {
        guard value.isFinite else {
            raw("null")
            return
        }
        if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            integer(Int64(value))
            return
        }
        // Swift's description is JSON-compatible for finite values ("0.25", "1e-05", "1.5e+20").
        var text = value.description
        text.withUTF8 { raw($0) }
    }

    /// Writes `true` or `false`.
    @inlinable @inline(__always)
    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Writes nanoseconds since the epoch as a quoted UTC RFC 3339 timestamp
    /// (32 bytes at most).
    @inlinable @inline(__always)
    public mutating func timestamp(_ nanoseconds: Int64) {
        checkRoom(32)
        count += TimestampFormat.write(nanoseconds, to: UnsafeMutableRawBufferPointer(start: base + count, count: 32))
    }

    /// Writes one or two 64-bit words as a quoted lowercase hex string (34 bytes at most).
    @inlinable @inline(__always)
    public mutating func hex(_ first: UInt64, _ second: UInt64? = nil) {
        checkRoom(34)
        byte(0x22)
        HexDigits.write(first, to: UnsafeMutableRawPointer(base + count))
        count += 16
        if let second {
            HexDigits.write(second, to: UnsafeMutableRawPointer(base + count))
            count += 16
        }
        byte(0x22)
    }

    /// Writes a JSON array of strings.
    @inlinable public mutating func stringArray(_ strings: [String]) {
        byte(0x5B)
        for (i, s) in strings.enumerated() {
            if i > 0 { byte(0x2C) }
            string(s)
        }
        byte(0x5D)
    }

    /// Writes a JSON value; object keys are written sorted.
    @inlinable public mutating func value(_ value: TelemetryValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): bool(b)
        case .int(let i): integer(i)
        case .double(let d): number(d)
        case .string(let s): string(s)
        case .array(let elements):
            byte(0x5B)
            for (i, element) in elements.enumerated() {
                if i > 0 { byte(0x2C) }
                self.value(element)
            }
            byte(0x5D)
        case .object(let fields):
            byte(0x7B)
            members(fields, first: true)
            byte(0x7D)
        }
    }

    /// Writes `"key":value` pairs sorted by key, comma-separated; with
    /// `first` false each pair is preceded by a comma. Keys in `skipping` are left out.
    @inlinable public mutating func members(_ fields: [String: TelemetryValue], first: Bool, skipping: Set<String> = []) {
        guard !fields.isEmpty else { return }
        var first = first
        let keys = fields.count == 1 ? Array(fields.keys) : fields.keys.sorted()
        for key in keys where !skipping.contains(key) {
            guard let value = fields[key] else { continue }
            if !first { byte(0x2C) }
            first = false
            string(key)
            byte(0x3A)
            self.value(value)
        }
    }

    /// A JSON object of `fields` (keys sorted), as bytes.
    @inlinable public static func object(_ fields: [String: TelemetryValue]) -> [UInt8] {
        var out: [UInt8] = []
        var w = JSONWriter(bound: bound(fields) + 2)
        w.byte(0x7B)
        w.members(fields, first: true)
        w.byte(0x7D)
        w.finish(into: &out)
        return out
    }
}

/// Word-at-a-time tests for the bytes a JSON string must escape.
@usableFromInline enum JSONEscaping {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// True when some byte of `word` may be `"`, `\` or below 0x20. Exact
    /// when it returns false; a true is followed by a byte-wise check.
    @inlinable @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        return control | hasQuote | hasBackslash != 0
    }
}
