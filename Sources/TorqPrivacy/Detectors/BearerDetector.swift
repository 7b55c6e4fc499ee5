import TorqJSON
/// Finds bearer credentials: `Bearer` (any case) at a word boundary, spaces
/// or tabs, then a token of at least 8 RFC 7235 token68 characters
/// (`[A-Za-z0-9-._~+/]`, then optional `=` padding).
///
/// Only the token is reported, so redaction keeps the scheme:
/// `Authorization: Bearer abc…` becomes `Authorization: Bearer [REDACTED:BEARER]`.
///
/// So that prose is left alone ("the bearer instrument"), the token must
/// look like a credential: contain a digit or one of `-._~+/=`, or an
/// upper-case letter after its first character, or be 24 characters or longer.
/// A trailing full stop is treated as punctuation, not part of the token.
enum BearerDetector {
    /// The token of the credential whose scheme starts at `i`, or nil.
    static func match(_ t: ScanText, at i: Int) -> Range<Int>? {
        guard t.hasCaseInsensitive("bearer", at: i) else { return nil }
        var s = i + 6
        guard t[s] == UInt8(ascii: " ") || t[s] == UInt8(ascii: "\t") else { return nil }
        while t[s] == UInt8(ascii: " ") || t[s] == UInt8(ascii: "\t") { s += 1 }
        let runEnd = t.end(of: ASCII.isToken68, from: s)
        var e = runEnd
        while e > s, t[e - 1] == UInt8(ascii: ".") { e -= 1 }
        guard e - s >= 8 else { return nil }
        var end = e
        if e == runEnd {
            while t[end] == UInt8(ascii: "=") { end += 1 }
        }
        guard end - s >= 24 || end > e || looksLikeCredential(t, s, e) else { return nil }
        return s..<end
    }

    private static func looksLikeCredential(_ t: ScanText, _ s: Int, _ e: Int) -> Bool {
        for k in s..<e {
            let c = t[k]
            if ASCII.isLower(c) { continue }
            if ASCII.isUpper(c) {
                if k > s { return true }
                continue
            }
            return true  // a digit or one of -._~+/
        }
        return false
    }
}
