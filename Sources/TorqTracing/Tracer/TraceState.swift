/// A W3C Trace Context `tracestate` value: vendor-specific `key=value`
/// members that travel with ``TraceParent``
/// (`rojo=00f067aa0ba902b7,congo=t61rcWkgMzE`).
///
/// Parsing checks the W3C grammar and never traps: at most 32 members, keys
/// of lowercase letters, digits and `_ - * /` (up to 256 characters, or the
/// multi-tenant `tenant@system` form), values of up to 256 printable ASCII
/// characters other than `,` and `=` that do not end in a space, no key
/// twice. Empty members are skipped. A value that breaks a rule gives nil,
/// and the whole `tracestate` is then dropped, as the specification requires.
///
/// ```swift
/// let state = TraceState("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE")
/// print(state?.members.map(\.key) ?? [])   // ["rojo", "congo"]
/// print(state?.description ?? "")          // rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
/// ```
public struct TraceState: Sendable, Hashable, CustomStringConvertible {
    /// One `key=value` list member.
    public struct Member: Sendable, Hashable {
        /// The vendor key.
        public var key: String
        /// The opaque value.
        public var value: String
    }

    /// The members, in the order received (the most recently updated vendor first).
    public private(set) var members: [Member]

    /// The most members a `tracestate` may have.
    public static let maximumMembers = 32

    /// Parses a `tracestate` header value; nil when it breaks the grammar.
    /// Several header lines are combined by joining them with `,` first.
    public init?(_ header: some StringProtocol) {
        var members: [Member] = []
        var keys: Set<String> = []
        for piece in String(header).split(separator: ",", omittingEmptySubsequences: false) {
            let item = Self.trimmed(piece)
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let key = String(item[..<equals])
            let value = String(item[item.index(after: equals)...])
            guard Self.isValidKey(key), Self.isValidValue(value), keys.insert(key).inserted else { return nil }
            members.append(Member(key: key, value: value))
        }
        guard !members.isEmpty, members.count <= Self.maximumMembers else { return nil }
        self.members = members
    }

    /// The value to send: the members joined by `,`.
    public var description: String {
        members.map { $0.key + "=" + $0.value }.joined(separator: ",")
    }

    /// The value of `key`, when present.
    public subscript(key: String) -> String? {
        members.first { $0.key == key }?.value
    }

    private static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }

    /// `lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")`, or
    /// `(lcalpha / DIGIT) 0*240(…) "@" lcalpha 0*13(…)`.
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isKeyChar(_ c: UInt8) -> Bool { isLower(c) || isDigit(c) || c == 0x5F || c == 0x2D || c == 0x2A || c == 0x2F }
        if let at = bytes.firstIndex(of: 0x40) {
            let tenant = bytes[..<at], system = bytes[(at + 1)...]
            guard let t = tenant.first, isLower(t) || isDigit(t), tenant.count <= 241, tenant.allSatisfy(isKeyChar),
                  let s = system.first, isLower(s), system.count <= 14, system.allSatisfy(isKeyChar)
            else { return false }
            return true
        }
        guard let first = bytes.first, isLower(first), bytes.count <= 256 else { return false }
        return bytes.allSatisfy(isKeyChar)
    }

    /// `0*255(chr) nblk-chr`: printable ASCII but `,` and `=`, spaces allowed
    /// inside but not at the end.
    static func isValidValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let last = bytes.last, bytes.count <= 256, last != 0x20 else { return false }
        return bytes.allSatisfy { c in c >= 0x20 && c <= 0x7E && c != 0x2C && c != 0x3D }
    }
}
