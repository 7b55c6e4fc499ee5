/// The token `serve --token` requires, compared in constant time.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) { expected = Array(("Bearer " + token).utf8) }

    /// Whether an `Authorization` header value carries the token. The time taken
    /// depends on the lengths only, never on where the first difference is.
    func accepts(_ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let given = Array(authorization.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }
}
