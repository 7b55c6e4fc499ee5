import TorqJSON
/// Finds JSON Web Tokens: base64url segments separated by dots, the first
/// (the JOSE header) starting `eyJ` and at least 10 characters long, the
/// second at least 2; the third (the signature) may be empty only when the
/// second also starts `eyJ` (an unsecured token, `alg: none`). The two
/// further segments of a JWE (five in all) are included.
enum JWTDetector {
    /// The end of the token starting at `i`, or nil.
    ///
    /// - Parameter memo: set to the end of the first segment on failure (any
    ///   later start inside it fails the same way).
    static func match(_ t: ScanText, at i: Int, memo: inout Int) -> Int? {
        guard i >= memo, t.has("eyJ", at: i) else { return nil }
        let e1 = t.end(of: ASCII.isBase64URL, from: i)
        guard e1 - i >= 10, t[e1] == UInt8(ascii: ".") else {
            memo = e1
            return nil
        }
        let e2 = t.end(of: ASCII.isBase64URL, from: e1 + 1)
        guard e2 - (e1 + 1) >= 2, t[e2] == UInt8(ascii: ".") else {
            memo = e1
            return nil
        }
        var end = t.end(of: ASCII.isBase64URL, from: e2 + 1)
        guard end > e2 + 1 || t.has("eyJ", at: e1 + 1) else {
            memo = e1
            return nil
        }
        var extra = 0
        while extra < 2, t[end] == UInt8(ascii: "."), ASCII.isBase64URL(t[end + 1]) {
            end = t.end(of: ASCII.isBase64URL, from: end + 1)
            extra += 1
        }
        return end
    }
}
