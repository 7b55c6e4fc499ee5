/// The token `serve --token` requires, compared in constant time: from an
/// `Authorization: Bearer` header (clients, scripts), or, for the viewer in a
/// browser, which cannot add that header to a page load, from the cookie
/// ``cookieName`` the server sets when a page is opened once with `?token=T`.
struct BearerToken: Sendable {
    /// The viewer's cookie (HttpOnly, SameSite=Strict).
    static let cookieName = "torqlog_token"
    private let token: [UInt8]

    init(_ token: String) { self.token = Array(token.utf8) }

    /// Whether an `Authorization` header value carries the token.
    func accepts(_ authorization: String?) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        return matches(authorization.utf8.dropFirst(7))
    }

    /// Whether a `Cookie` header carries the token in ``cookieName`` (as ``cookieValue(_:)`` wrote it).
    func acceptsCookie(_ cookie: String?) -> Bool {
        guard let cookie else { return false }
        for pair in cookie.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            if trimmed.hasPrefix(Self.cookieName + "="),
               let value = Self.percentDecoded(trimmed.utf8.dropFirst(Self.cookieName.utf8.count + 1)),
               matches(value) { return true }
        }
        return false
    }

    /// `token` as a cookie value: the bytes RFC 6265 allows in one
    /// (`cookie-octet`: no space, `"`, `,`, `;`, `\`, controls or non-ASCII) as
    /// they are, any other byte and `%` as `%XX`, so that any token survives the
    /// `Set-Cookie` header and comes back whole.
    static func cookieValue(_ token: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in token {
            let plain = byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte)
                || (0x3C...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
            if plain && byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a cookie value written by ``cookieValue(_:)``; nil when a `%` is not followed by two hex digits.
    static func percentDecoded(_ value: some Collection<UInt8>) -> [UInt8]? {
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = value.startIndex
        while i != value.endIndex {
            let c = value[i]
            i = value.index(after: i)
            guard c == UInt8(ascii: "%") else {
                out.append(c)
                continue
            }
            guard i != value.endIndex, let high = hex(value[i]) else { return nil }
            i = value.index(after: i)
            guard i != value.endIndex, let low = hex(value[i]) else { return nil }
            i = value.index(after: i)
            out.append(high << 4 | low)
        }
        return out
    }

    /// Whether `given` is the token. The time taken depends on the lengths
    /// only, never on where the first difference is.
    func matches(_ given: some Collection<UInt8>) -> Bool {
        let given = Array(given)
        var difference = UInt8(given.count == token.count ? 0 : 1)
        for i in 0..<token.count {
            difference |= token[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }
}
