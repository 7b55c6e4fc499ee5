import TorqJSON
/// Finds PEM private-key blocks: from a `-----BEGIN <LABEL>-----` line whose
/// label contains `PRIVATE KEY` (`RSA PRIVATE KEY`, `EC PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, …)
/// through the matching `-----END <LABEL>-----`, the whole block.
///
/// A block without its END line (a truncated log message) is redacted to the
/// end of the text: whatever follows BEGIN is key material.
enum PrivateKeyDetector {
    /// The end of the block starting at `i`, or nil.
    static func match(_ t: ScanText, at i: Int) -> Int? {
        guard t.has("-----BEGIN ", at: i) else { return nil }
        let labelStart = i + 11
        let labelEnd = t.end(of: { ASCII.isUpperAlnum($0) || $0 == UInt8(ascii: " ") }, from: labelStart)
        guard t.has("-----", at: labelEnd), containsPrivateKey(t, labelStart, labelEnd) else { return nil }
        let label = labelStart..<labelEnd
        var k = labelEnd + 5
        let endLength = 9 + label.count + 5
        while k + endLength <= t.count {
            if t[k] == UInt8(ascii: "-"), t.has("-----END ", at: k),
               t.equal(k + 9 ..< k + 9 + label.count, label), t.has("-----", at: k + 9 + label.count) {
                return k + endLength
            }
            k += 1
        }
        return t.count
    }

    private static func containsPrivateKey(_ t: ScanText, _ from: Int, _ to: Int) -> Bool {
        var k = from
        while k + 11 <= to {
            if t.has("PRIVATE KEY", at: k) { return true }
            k += 1
        }
        return false
    }
}
