import TorqJSON
/// Finds API keys of common providers, each at a word boundary:
///
/// - OpenAI / Anthropic: `sk-`, `sk-proj-`, `sk-ant-` then at least 20 of
///   `[A-Za-z0-9_-]` containing a letter and a digit (so hyphenated words
///   such as `sk-learn-compatible-wrapper` are not keys).
/// - GitHub: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` then 36 or more letters
///   and digits; `github_pat_` then 22 or more of `[A-Za-z0-9_]`.
/// - AWS access key ids: `AKIA` or `ASIA` then exactly 16 of `[A-Z0-9]`.
/// - Google: `AIza` then exactly 35 of `[A-Za-z0-9_-]`.
/// - Slack: `xoxa-`, `xoxb-`, `xoxp-`, `xoxo-`, `xoxr-`, `xoxs-` then at least
///   10 of `[A-Za-z0-9-]` containing a digit.
enum APIKeyDetector {
    /// Positions before which no key of a family starts (see ``match(_:at:memo:)``).
    struct Memo {
        var openAI = 0
        var slack = 0
    }

    /// The end of the key starting at `i`, or nil.
    ///
    /// - Parameter memo: updated when an `sk-` or `xox?-` body is rejected:
    ///   a later start inside the same body has a shorter body and fails too.
    static func match(_ t: ScanText, at i: Int, memo: inout Memo) -> Int? {
        switch t[i] {
        case UInt8(ascii: "s"):
            guard i >= memo.openAI, t.has("sk-", at: i) else { return nil }
            let prefix = t.has("sk-ant-", at: i) ? 7 : t.has("sk-proj-", at: i) ? 8 : 3
            let e = t.end(of: ASCII.isBase64URL, from: i + 3)
            guard e - (i + prefix) >= 20, hasLetterAndDigit(t, i + prefix, e) else {
                memo.openAI = e
                return nil
            }
            return e
        case UInt8(ascii: "g"):
            if t.has("gh", at: i), t[i + 3] == UInt8(ascii: "_") {
                switch t[i + 2] {
                case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                    let e = t.end(of: ASCII.isAlnum, from: i + 4)
                    guard e - (i + 4) >= 36, !ASCII.isWord(t[e]) else { return nil }
                    return e
                default:
                    return nil
                }
            }
            guard t.has("github_pat_", at: i) else { return nil }
            let e = t.end(of: ASCII.isWord, from: i + 11)
            return e - (i + 11) >= 22 ? e : nil
        case UInt8(ascii: "A"):
            if t.has("AKIA", at: i) || t.has("ASIA", at: i) {
                let e = t.end(of: ASCII.isUpperAlnum, from: i + 4)
                return e - (i + 4) == 16 && !ASCII.isWord(t[e]) ? e : nil
            }
            guard t.has("AIza", at: i) else { return nil }
            let e = t.end(of: ASCII.isBase64URL, from: i + 4)
            return e - (i + 4) == 35 ? e : nil
        case UInt8(ascii: "x"):
            guard i >= memo.slack, t.has("xox", at: i), t[i + 4] == UInt8(ascii: "-") else { return nil }
            switch t[i + 3] {
            case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "r"), UInt8(ascii: "s"):
                let e = t.end(of: { ASCII.isAlnum($0) || $0 == UInt8(ascii: "-") }, from: i + 5)
                guard e - (i + 5) >= 10, hasDigit(t, i + 5, e), !ASCII.isWord(t[e]) else {
                    memo.slack = e
                    return nil
                }
                return e
            default:
                return nil
            }
        default:
            return nil
        }
    }

    private static func hasDigit(_ t: ScanText, _ from: Int, _ to: Int) -> Bool {
        for k in from..<to where ASCII.isDigit(t[k]) { return true }
        return false
    }

    private static func hasLetterAndDigit(_ t: ScanText, _ from: Int, _ to: Int) -> Bool {
        var letter = false, digit = false
        for k in from..<to {
            let c = t[k]
            if ASCII.isDigit(c) { digit = true } else if ASCII.isAlpha(c) { letter = true }
            if letter && digit { return true }
        }
        return false
    }
}
