/// A JSON document with ordered object keys, for the human-facing output of
/// reports and schemas (pretty-printed like `jq`). Not a hot path.
package indirect enum OrderedJSON {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// The document as text: two-space indentation, one member per line
    /// (arrays of scalars on one line), or compact with `pretty` false.
    package func rendered(pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private func write(to out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d):
            var bytes: [UInt8] = []
            var w = JSONWriter(bound: JSONWriter.numberBound)
            w.number(d)
            w.finish(into: &bytes)
            out += String(decoding: bytes, as: UTF8.self)
        case .string(let s): out += Self.quoted(s)
        case .array(let elements):
            guard !elements.isEmpty else { out += "[]"; return }
            if let indent, !elements.allSatisfy(\.isScalar) {
                out += "[\n"
                for (i, e) in elements.enumerated() {
                    out += String(repeating: " ", count: indent + 2)
                    e.write(to: &out, indent: indent + 2)
                    out += i == elements.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "]"
            } else {
                out += "["
                for (i, e) in elements.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    e.write(to: &out, indent: indent)
                }
                out += "]"
            }
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            if let indent {
                out += "{\n"
                for (i, (key, value)) in members.enumerated() {
                    out += String(repeating: " ", count: indent + 2) + Self.quoted(key) + ": "
                    value.write(to: &out, indent: indent + 2)
                    out += i == members.count - 1 ? "\n" : ",\n"
                }
                out += String(repeating: " ", count: indent) + "}"
            } else {
                out += "{"
                for (i, (key, value)) in members.enumerated() {
                    if i > 0 { out += "," }
                    out += Self.quoted(key) + ":"
                    value.write(to: &out, indent: nil)
                }
                out += "}"
            }
        }
    }

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String {
        var bytes: [UInt8] = []
        var w = JSONWriter(bound: JSONWriter.bound(s))
        w.string(s)
        w.finish(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
