/// A kind of personal data or secret that ``PIIFilter`` recognises and redacts.
///
/// The raw value is the kind's name in output: the replacement text is
/// `[REDACTED:` + the raw value upper-cased + `]` (``replacement``), and
/// summaries name kinds by raw value.
public enum PIIKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// E-mail addresses (`local@domain.tld`).
    case email
    /// Telephone numbers: international `+CC …` and North-American forms.
    case phone
    /// Payment card numbers (13–19 digits, Luhn-checked).
    case card
    /// IPv4 addresses.
    case ipv4
    /// IPv6 addresses (full, compressed, with an embedded IPv4 address).
    case ipv6
    /// US social security numbers (`123-45-6789`).
    case ssn
    /// API keys of common providers (OpenAI, Anthropic, GitHub, AWS, Google, Slack).
    case apiKey = "api_key"
    /// JSON Web Tokens (three base64url segments, the first starting `eyJ`).
    case jwt
    /// PEM private-key blocks, BEGIN line through END line.
    case privateKey = "private_key"
    /// The token of `Bearer <token>` credentials.
    case bearer

    /// The text that replaces a match: `[REDACTED:EMAIL]`, `[REDACTED:API_KEY]`, …
    public var replacement: String { replacementBytes.description }

    /// The kind's position in `allCases` (0 ..< 10): its bit in a ``PIIKindSet``.
    var ordinal: Int {
        switch self {
        case .email: 0
        case .phone: 1
        case .card: 2
        case .ipv4: 3
        case .ipv6: 4
        case .ssn: 5
        case .apiKey: 6
        case .jwt: 7
        case .privateKey: 8
        case .bearer: 9
        }
    }

    /// ``replacement`` as a static string: written into output without allocating.
    var replacementBytes: StaticString {
        switch self {
        case .email: "[REDACTED:EMAIL]"
        case .phone: "[REDACTED:PHONE]"
        case .card: "[REDACTED:CARD]"
        case .ipv4: "[REDACTED:IPV4]"
        case .ipv6: "[REDACTED:IPV6]"
        case .ssn: "[REDACTED:SSN]"
        case .apiKey: "[REDACTED:API_KEY]"
        case .jwt: "[REDACTED:JWT]"
        case .privateKey: "[REDACTED:PRIVATE_KEY]"
        case .bearer: "[REDACTED:BEARER]"
        }
    }
}
