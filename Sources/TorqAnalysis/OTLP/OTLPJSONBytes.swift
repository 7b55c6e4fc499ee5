import TorqJSON
/// Writes an ``OrderedJSON`` tree as compact JSON bytes straight into a
/// buffer: the export's hot path (``OrderedJSON/rendered(pretty:)`` builds
/// a `String` per value, which costs several times more at OTLP volumes).
enum OTLPJSONBytes {
    /// Appends `value` as compact JSON to `out`.
    static func write(_ value: OrderedJSON, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .number(let d):
            var w = JSONWriter(bound: JSONWriter.numberBound)
            w.number(d)
            w.finish(into: &out)
        case .string(let s): string(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, member)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string literal (RFC 8259 escaping) to `out`.
    @inline(__always)
    static func string(_ s: String, into out: inout [UInt8]) {
        var w = JSONWriter(bound: JSONWriter.bound(s))
        w.string(s)
        w.finish(into: &out)
    }
}
