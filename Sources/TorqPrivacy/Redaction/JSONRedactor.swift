// Longer than most files here: one hand-written JSON walker (strings,
// escapes, nesting, the sanitized fields) whose states belong together.
import CTorqSupport
import TorqJSON
#if canImport(Glibc)
import Glibc
#endif
/// Redacts PII in the string values of one JSON object (one JSONL line),
/// leaving every other byte as given: the engine of
/// ``PIIFilter/redactJSONObject(_:counts:)``.
///
/// One pass over the bytes, validating as it goes (RFC 8259: structure,
/// literals, number grammar, string escapes, UTF-8; nesting up to
/// ``maxDepth``). A string value is scanned when it is in scope: every string
/// value when `allStrings`, else the value of a member whose key is one of
/// `fields` — at any depth — and every string nested inside such a value.
///
/// A string without escapes is scanned in place. A string with escapes is
/// decoded first (into temporary memory), scanned, and each match is mapped
/// back to the escaped bytes it came from: the match's escaped bytes are
/// replaced by `[REDACTED:KIND]` (plain ASCII), and the rest of the string
/// keeps its original spelling, escapes included. So the output is valid JSON
/// whenever the input is, and no byte of a matched value survives.
///
/// Nothing is allocated until the first match: then the output array is
/// created and filled with the bytes before it.
struct JSONRedactor {
    let scanner: PIIScanner
    /// The in-scope field names, as UTF-8.
    let fields: [[UInt8]]
    let allStrings: Bool
    /// Bit k set: some field name is k bytes long (names of 64 bytes or more are not in the mask).
    let fieldLengths: UInt64

    /// `"name":` for each field, as ``redactMembers(_:counts:)`` searches
    /// them, back to back in one array (walked without a retain per field).
    let memberNeedles: [UInt8]
    /// Where each field's `"name":` is in ``memberNeedles``.
    let memberNeedleEnds: [Int]

    init(scanner: PIIScanner, fields: [[UInt8]], allStrings: Bool) {
        self.scanner = scanner
        self.fields = fields
        self.allStrings = allStrings
        self.fieldLengths = fields.reduce(0) { $1.count < 64 ? $0 | (1 << UInt64($1.count)) : $0 }
        var needles: [UInt8] = []
        var ends: [Int] = []
        for field in fields {
            needles += [UInt8(ascii: "\"")] + field + [UInt8(ascii: "\""), UInt8(ascii: ":")]
            ends.append(needles.count)
        }
        memberNeedles = needles
        memberNeedleEnds = ends
    }

    /// The deepest nesting accepted (simdjson's default limit).
    static let maxDepth = 1024

    /// The output built so far: nil until the first change.
    private struct Output {
        var bytes: [UInt8]?
        /// Input bytes before this offset are accounted for (copied or replaced).
        var copied = 0

        /// Copies the input up to `offset`.
        @inline(__always)
        mutating func copy(_ input: UnsafePointer<UInt8>, upTo offset: Int, total: Int) {
            if bytes == nil {
                var b: [UInt8] = []
                b.reserveCapacity(total + 64)
                bytes = b
            }
            bytes?.append(contentsOf: UnsafeBufferPointer(start: input + copied, count: offset - copied))
            copied = offset
        }
    }

    private enum State {
        case value, objectFirst, objectKey, arrayFirst, afterValue
    }

    /// The redacted object, or nil when nothing matched.
    func redact(_ input: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]? {
        guard let raw = input.baseAddress, input.count > 0 else {
            throw JSONRedactionError("empty input: expected a JSON object", at: 0)
        }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = input.count
        let start = Self.skipSpace(p, 0, n)
        guard start < n, p[start] == UInt8(ascii: "{") else {
            throw JSONRedactionError(start < n ? "expected a JSON object, found \(Self.describe(p[start]))" : "empty input: expected a JSON object", at: start)
        }
        var out = Output()
        try walk(p, from: start, to: n, total: n, everything: allStrings, out: &out, counts: &counts)
        guard out.bytes != nil else { return nil }
        out.copy(p, upTo: n, total: n)
        return out.bytes
    }

    /// The redacted object, or nil when nothing matched, for an object written
    /// compactly (no space between a key and its colon) by a writer that
    /// escapes only quotes, backslashes and control characters, as TorqJSON's
    /// `JSONWriter` does; the caller makes sure no field name holds such a byte.
    ///
    /// It does not walk the object: it searches the bytes for each field's
    /// `"name":` and walks only the values found, every string in them in
    /// scope. In valid JSON an unescaped quote followed by `name":` opens a
    /// member key (a string value is followed by `,`, `]` or `}`, and a quote
    /// inside a string is escaped), so this finds exactly the members
    /// ``redact(_:counts:)`` finds, at any depth, and redacts the same strings.
    /// Only the values walked are validated.
    func redactMembers(_ input: UnsafeRawBufferPointer, counts: inout RedactionCounts) throws(JSONRedactionError) -> [UInt8]? {
        guard let raw = input.baseAddress, input.count > 0 else {
            throw JSONRedactionError("empty input: expected a JSON object", at: 0)
        }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = input.count
        let ends = memberNeedleEnds
        let searched = memberNeedles.withUnsafeBytes { all in
            Result { () throws(JSONRedactionError) -> [Range<Int>] in
                var spans: [Range<Int>] = []
                var start = 0
                for end in ends {
                    let needle = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    start = end
                    var from = 0
                    while from < n, let found = Self.find(needle, in: p, from: from, n) {
                        var backslashes = 0
                        while found - backslashes > 0 && p[found - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                        guard backslashes % 2 == 0 else {  // an escaped quote: inside a string
                            from = found + 1
                            continue
                        }
                        let value = found + needle.count
                        let end = try Self.valueEnd(p, at: value, n)
                        if end > value { spans.append(value..<end) }  // a number or literal holds no string
                        from = max(end, found + 1)
                    }
                }
                return spans
            }
        }
        var spans = try searched.get()
        guard !spans.isEmpty else { return nil }
        spans.sort { $0.lowerBound < $1.lowerBound }
        var out = Output()
        var covered = 0
        for span in spans where span.lowerBound >= covered {  // values nest or are apart: skip the nested
            try walk(p, from: span.lowerBound, to: span.upperBound, total: n, everything: true, out: &out, counts: &counts)
            covered = span.upperBound
        }
        guard out.bytes != nil else { return nil }
        out.copy(p, upTo: n, total: n)
        return out.bytes
    }

    /// Walks the one JSON value in `start ..< n` (validating it), redacting the
    /// strings in scope into `out` (offsets are of the whole input, `total` bytes):
    /// every string when `everything`, else those of the members named in `fields`.
    private func walk(_ p: UnsafePointer<UInt8>, from start: Int, to n: Int, total: Int, everything: Bool,
                      out: inout Output, counts: inout RedactionCounts) throws(JSONRedactionError) {
        // Bit d of the stack: the container at depth d + 1 is an object.
        var objects = SIMD16<UInt64>(repeating: 0)
        var depth = 0
        // Whether the innermost open container is an object.
        var inObject = false
        // Containers deeper than this are in scope.
        var scopeFrom = everything ? 0 : Int.max
        var valueInScope = everything
        var pos = start
        var state = State.value

        func push(_ isObject: Bool, at pos: Int) throws(JSONRedactionError) {
            guard depth < Self.maxDepth else {
                throw JSONRedactionError("nesting deeper than \(Self.maxDepth) levels", at: pos)
            }
            if isObject { objects[depth >> 6] |= 1 << UInt64(depth & 63) } else { objects[depth >> 6] &= ~(1 << UInt64(depth & 63)) }
            depth += 1
            inObject = isObject
            if valueInScope && scopeFrom == .max { scopeFrom = depth - 1 }
        }
        func pop() {
            depth -= 1
            if depth > 0 { inObject = objects[(depth - 1) >> 6] & (1 << UInt64((depth - 1) & 63)) != 0 }
            if !everything && depth == scopeFrom { scopeFrom = .max }
        }

        loop: while true {
            switch state {
            case .value:
                pos = Self.skipSpace(p, pos, n)
                guard pos < n else { throw JSONRedactionError("unexpected end of input: expected a value", at: pos) }
                switch p[pos] {
                case UInt8(ascii: "{"):
                    try push(true, at: pos)
                    pos += 1
                    state = .objectFirst
                case UInt8(ascii: "["):
                    try push(false, at: pos)
                    pos += 1
                    state = .arrayFirst
                case UInt8(ascii: "\""):
                    let (end, escaped) = try Self.scanString(p, at: pos, n)
                    if valueInScope && end > pos + 1 {
                        redactString(p, total, from: pos + 1, to: end, escaped: escaped, out: &out, counts: &counts)
                    }
                    pos = end + 1
                    state = .afterValue
                case UInt8(ascii: "t"):
                    pos = try Self.literal("true", p, pos, n)
                    state = .afterValue
                case UInt8(ascii: "f"):
                    pos = try Self.literal("false", p, pos, n)
                    state = .afterValue
                case UInt8(ascii: "n"):
                    pos = try Self.literal("null", p, pos, n)
                    state = .afterValue
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    pos = try Self.number(p, pos, n)
                    state = .afterValue
                default:
                    throw JSONRedactionError("expected a value, found \(Self.describe(p[pos]))", at: pos)
                }
            case .objectFirst:
                pos = Self.skipSpace(p, pos, n)
                if pos < n && p[pos] == UInt8(ascii: "}") {
                    pos += 1
                    pop()
                    state = .afterValue
                } else {
                    state = .objectKey
                }
            case .objectKey:
                pos = Self.skipSpace(p, pos, n)
                guard pos < n, p[pos] == UInt8(ascii: "\"") else {
                    throw JSONRedactionError(pos < n ? "expected a string key, found \(Self.describe(p[pos]))" : "unexpected end of input: expected a string key", at: pos)
                }
                let (end, escaped) = try Self.scanString(p, at: pos, n)
                let matched = depth > scopeFrom || isField(p, from: pos + 1, to: end, escaped: escaped)
                pos = Self.skipSpace(p, end + 1, n)
                guard pos < n, p[pos] == UInt8(ascii: ":") else {
                    throw JSONRedactionError("expected ':' after an object key", at: pos)
                }
                pos += 1
                valueInScope = matched
                state = .value
            case .arrayFirst:
                pos = Self.skipSpace(p, pos, n)
                if pos < n && p[pos] == UInt8(ascii: "]") {
                    pos += 1
                    pop()
                    state = .afterValue
                } else {
                    valueInScope = depth > scopeFrom
                    state = .value
                }
            case .afterValue:
                pos = Self.skipSpace(p, pos, n)
                if depth == 0 {
                    guard pos == n else {
                        throw JSONRedactionError("unexpected \(Self.describe(p[pos])) after the \(n == total ? "object" : "value")", at: pos)
                    }
                    break loop
                }
                guard pos < n else {
                    throw JSONRedactionError("unexpected end of input inside \(depth) unclosed container\(depth == 1 ? "" : "s")", at: pos)
                }
                switch p[pos] {
                case UInt8(ascii: ","):
                    pos += 1
                    if inObject {
                        state = .objectKey
                    } else {
                        valueInScope = depth > scopeFrom
                        state = .value
                    }
                case UInt8(ascii: "}") where inObject, UInt8(ascii: "]") where !inObject:
                    pos += 1
                    pop()
                    state = .afterValue
                default:
                    throw JSONRedactionError(inObject ? "expected ',' or '}' in an object, found \(Self.describe(p[pos]))"
                                                      : "expected ',' or ']' in an array, found \(Self.describe(p[pos]))", at: pos)
                }
            }
        }
    }

    // MARK: - Member search

    /// The offset of the first `needle` in `from ..< n`, if any.
    private static func find(_ needle: UnsafeRawBufferPointer, in p: UnsafePointer<UInt8>, from: Int, _ n: Int) -> Int? {
        let offset = tq_find(p + from, n - from, needle.baseAddress, needle.count)
        return offset < 0 ? nil : from + offset
    }

    /// The end of the value starting at `v` of a valid, compact object: past
    /// the closing quote of a string, past the bracket closing an object or
    /// array; `v` itself for a number or literal (which holds no string).
    /// Throws for a value that does not end (the input was not valid JSON).
    private static func valueEnd(_ p: UnsafePointer<UInt8>, at v: Int, _ n: Int) throws(JSONRedactionError) -> Int {
        guard v < n else { throw JSONRedactionError("unexpected end of input: expected a value", at: v) }
        switch p[v] {
        case UInt8(ascii: "\""):
            return try stringEnd(p, at: v, n) + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = v
            while i < n {
                switch p[i] {
                case UInt8(ascii: "\""):
                    i = try stringEnd(p, at: i, n)
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default:
                    break
                }
                i += 1
            }
            throw JSONRedactionError("unexpected end of input inside a value", at: n)
        default:
            return v
        }
    }

    /// The offset of the quote closing the string opened at `q`.
    private static func stringEnd(_ p: UnsafePointer<UInt8>, at q: Int, _ n: Int) throws(JSONRedactionError) -> Int {
        var i = q + 1
        while i < n, let found = memchr(p + i, Int32(UInt8(ascii: "\"")), n - i) {
            let at = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(found))
            var backslashes = 0
            while p[at - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return at }
            i = at + 1
        }
        throw JSONRedactionError("unterminated string", at: q)
    }

    // MARK: - Scope

    /// Whether the key in `from ..< to` (escaped or not) is one of `fields`.
    private func isField(_ p: UnsafePointer<UInt8>, from: Int, to: Int, escaped: Bool) -> Bool {
        if allStrings || fields.isEmpty { return false }
        if !escaped { return contains(UnsafeBufferPointer(start: p + from, count: to - from)) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: to - from) { decoded in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: to - from) { offsets in
                let count = Self.decode(p, from: from, to: to, into: decoded, offsets: offsets)
                return contains(UnsafeBufferPointer(rebasing: decoded[0..<count]))
            }
        }
    }

    private func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        // Most keys differ in length from every field name: one bit test.
        guard key.count >= 64 || fieldLengths & (1 << UInt64(key.count)) != 0 else { return false }
        for f in fields where f.count == key.count {
            if f.withUnsafeBufferPointer({ $0.elementsEqual(key) }) { return true }
        }
        return false
    }

    // MARK: - Redacting one string

    /// Scans the string content `from ..< to` and writes its redacted form to `out` if anything matched.
    private func redactString(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, to: Int, escaped: Bool,
                              out: inout Output, counts: inout RedactionCounts) {
        if !escaped {
            let t = ScanText(p + from, count: to - from)
            var memo = scanner.begin(t)
            var at = 0
            while let m = scanner.firstMatch(in: t, from: at, memo: &memo) {
                out.copy(p, upTo: from + m.start, total: n)
                Self.appendReplacement(m.kind, &out)
                out.copied = from + m.end
                counts.record(m.kind)
                at = m.end
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: to - from) { decoded in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: to - from) { offsets in
                let count = Self.decode(p, from: from, to: to, into: decoded, offsets: offsets)
                guard let base = decoded.baseAddress, count > 0 else { return }
                let t = ScanText(UnsafePointer(base), count: count)
                var memo = scanner.begin(t)
                var at = 0
                while let m = scanner.firstMatch(in: t, from: at, memo: &memo) {
                    // The escape units holding the match's first and last decoded bytes.
                    var end = m.end
                    while end < count && offsets[end] == offsets[end - 1] { end += 1 }
                    let rawStart = from + Int(offsets[m.start])
                    let rawEnd = end < count ? from + Int(offsets[end]) : to
                    out.copy(p, upTo: rawStart, total: n)
                    Self.appendReplacement(m.kind, &out)
                    out.copied = rawEnd
                    counts.record(m.kind)
                    at = end
                }
            }
        }
    }

    @inline(__always)
    private static func appendReplacement(_ kind: PIIKind, _ out: inout Output) {
        let r = kind.replacementBytes
        out.bytes?.append(contentsOf: UnsafeBufferPointer(start: r.utf8Start, count: r.utf8CodeUnitCount))
    }

    /// Decodes the (validated) string content `from ..< to` into `decoded`;
    /// `offsets[k]` is the offset, from `from`, of the escape unit (or plain
    /// byte) that produced decoded byte `k`. Returns the decoded length
    /// (never more than `to - from`). Lone surrogates decode to U+FFFD.
    static func decode(_ p: UnsafePointer<UInt8>, from: Int, to: Int,
                       into decoded: UnsafeMutableBufferPointer<UInt8>, offsets: UnsafeMutableBufferPointer<Int32>) -> Int {
        var i = from
        var k = 0
        @inline(__always) func put(_ b: UInt8, _ unit: Int) {
            decoded[k] = b
            offsets[k] = Int32(truncatingIfNeeded: unit - from)
            k += 1
        }
        while i < to {
            let c = p[i]
            guard c == UInt8(ascii: "\\") else {
                put(c, i)
                i += 1
                continue
            }
            let unit = i
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): put(0x08, unit)
            case UInt8(ascii: "f"): put(0x0C, unit)
            case UInt8(ascii: "n"): put(0x0A, unit)
            case UInt8(ascii: "r"): put(0x0D, unit)
            case UInt8(ascii: "t"): put(0x09, unit)
            case UInt8(ascii: "u"):
                var scalar = hex4(p, i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    if i + 6 <= to, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") {
                        let low = hex4(p, i + 2)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                // UTF-8 of the scalar; never longer than its escape (6 or 12 bytes).
                if scalar < 0x80 {
                    put(UInt8(scalar), unit)
                } else if scalar < 0x800 {
                    put(UInt8(0xC0 | (scalar >> 6)), unit)
                    put(UInt8(0x80 | (scalar & 0x3F)), unit)
                } else if scalar < 0x10000 {
                    put(UInt8(0xE0 | (scalar >> 12)), unit)
                    put(UInt8(0x80 | ((scalar >> 6) & 0x3F)), unit)
                    put(UInt8(0x80 | (scalar & 0x3F)), unit)
                } else {
                    put(UInt8(0xF0 | (scalar >> 18)), unit)
                    put(UInt8(0x80 | ((scalar >> 12) & 0x3F)), unit)
                    put(UInt8(0x80 | ((scalar >> 6) & 0x3F)), unit)
                    put(UInt8(0x80 | (scalar & 0x3F)), unit)
                }
            default:
                put(e, unit)  // \" \\ \/
            }
        }
        return k
    }

    /// The value of the four (validated) hex digits at `i`.
    @inline(__always)
    private static func hex4(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[i + k]
            let d: UInt8 = ASCII.isDigit(c) ? c &- 0x30 : (c | 0x20) &- 0x61 &+ 10
            v = v << 4 | UInt32(d)
        }
        return v
    }

    // MARK: - Validation

    /// Validates the string whose opening quote is at `q`; returns the offset
    /// of its closing quote and whether it contains escapes.
    static func scanString(_ p: UnsafePointer<UInt8>, at q: Int, _ n: Int) throws(JSONRedactionError) -> (end: Int, escaped: Bool) {
        var i = q + 1
        var escaped = false
        while true {
            // Eight bytes at a time to the first quote, backslash, control or non-ASCII byte.
            while i + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                let special = specialBytes(w)
                if special != 0 {
                    i += special.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < n else { throw JSONRedactionError("unterminated string", at: q) }
            let c = p[i]
            if c == UInt8(ascii: "\"") { return (i, escaped) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { throw JSONRedactionError("unterminated string", at: q) }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= n, ASCII.isHex(p[i + 2]), ASCII.isHex(p[i + 3]), ASCII.isHex(p[i + 4]), ASCII.isHex(p[i + 5]) else {
                        throw JSONRedactionError("invalid \\u escape in a string: four hex digits expected", at: i)
                    }
                    i += 6
                default:
                    throw JSONRedactionError("invalid escape \\\(describeRaw(p[i + 1])) in a string", at: i)
                }
                continue
            }
            if c < 0x20 {
                throw JSONRedactionError("unescaped control character \(describe(c)) in a string", at: i)
            }
            if c >= 0x80 {
                i = try utf8Sequence(p, at: i, n)
                continue
            }
            i += 1
        }
    }

    /// A mask whose lowest set bit is the high bit of the first byte of `w`
    /// (little-endian order) that is `"`, `\`, below 0x20, or 0x80 and above;
    /// 0 when there is none. (Bits above the lowest may be spurious.)
    @inline(__always)
    private static func specialBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasSlash = (slash &- ones) & ~slash & highs
        let control = (w &- ones &* 0x20) & ~w & highs
        return hasQuote | hasSlash | control | (w & highs)
    }

    /// Validates the UTF-8 sequence starting at `i` (a byte ≥ 0x80); returns its end.
    private static func utf8Sequence(_ p: UnsafePointer<UInt8>, at i: Int, _ n: Int) throws(JSONRedactionError) -> Int {
        let c = p[i]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && p[i + k] >= lo && p[i + k] <= hi
        }
        let length: Int
        switch c {
        case 0xC2...0xDF: length = cont(1) ? 2 : 0
        case 0xE0: length = cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: length = cont(1) && cont(2) ? 3 : 0
        case 0xED: length = cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: length = cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: length = cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: length = cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: length = 0
        }
        guard length > 0 else { throw JSONRedactionError("invalid UTF-8 in a string", at: i) }
        return i + length
    }

    /// Validates the literal `word` at `i`; returns its end.
    private static func literal(_ word: StaticString, _ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) throws(JSONRedactionError) -> Int {
        let t = ScanText(p, count: n)
        guard t.has(word, at: i) else {
            throw JSONRedactionError("invalid literal: expected '\(word)'", at: i)
        }
        return i + word.utf8CodeUnitCount
    }

    /// Validates the number at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`); returns its end.
    private static func number(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) throws(JSONRedactionError) -> Int {
        let t = ScanText(p, count: n)
        var i = start
        if t[i] == UInt8(ascii: "-") { i += 1 }
        if t[i] == UInt8(ascii: "0") {
            i += 1
        } else if ASCII.isDigit(t[i]) {
            i = t.end(of: ASCII.isDigit, from: i)
        } else {
            throw JSONRedactionError("invalid number: a digit must follow '-'", at: i)
        }
        if t[i] == UInt8(ascii: ".") {
            guard ASCII.isDigit(t[i + 1]) else { throw JSONRedactionError("invalid number: a digit must follow '.'", at: i + 1) }
            i = t.end(of: ASCII.isDigit, from: i + 1)
        }
        if t[i] == UInt8(ascii: "e") || t[i] == UInt8(ascii: "E") {
            i += 1
            if t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-") { i += 1 }
            guard ASCII.isDigit(t[i]) else { throw JSONRedactionError("invalid number: the exponent has no digits", at: i) }
            i = t.end(of: ASCII.isDigit, from: i)
        }
        return i
    }

    @inline(__always)
    private static func skipSpace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        var j = i
        while j < n {
            switch p[j] {
            case 0x20, 0x09, 0x0A, 0x0D: j += 1
            default: return j
            }
        }
        return j
    }

    /// `'x'` for a printable ASCII byte, else `byte 0xNN`.
    static func describe(_ c: UInt8) -> String {
        (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16, uppercase: true))"
    }

    private static func describeRaw(_ c: UInt8) -> String {
        (0x21...0x7E).contains(c) ? String(Character(Unicode.Scalar(c))) : "<0x\(String(c, radix: 16, uppercase: true))>"
    }
}
