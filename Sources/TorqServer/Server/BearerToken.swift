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

    /// Whether a `Cookie` header carries the token in ``cookieName``.
    func acceptsCookie(_ cookie: String?) -> Bool {
        guard let cookie else { return false }
        for pair in cookie.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            if trimmed.hasPrefix(Self.cookieName + "="), matches(trimmed.utf8.dropFirst(Self.cookieName.utf8.count + 1)) { return true }
        }
        return false
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
