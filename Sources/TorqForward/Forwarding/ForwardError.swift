/// Why a forward stopped.
public enum ForwardError: Error, Sendable, CustomStringConvertible {
    /// The endpoint answered 401 or 403: the credentials (`--header`) are missing or wrong. Nothing more is sent.
    case unauthorized(status: Int, signal: ForwardSignal, message: String)

    public var description: String {
        switch self {
        case .unauthorized(let status, let signal, let message):
            let what = status == 401 ? "401 Unauthorized" : "\(status) Forbidden"
            return "the endpoint answered \(what) to \(signal.path)\(message.isEmpty ? "" : " (\(message))"); check --header (e.g. --header 'Authorization=Bearer TOKEN'). Stopped; the cursor keeps what was not answered."
        }
    }
}
