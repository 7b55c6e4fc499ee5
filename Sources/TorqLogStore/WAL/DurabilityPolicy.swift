/// When appended records reach stable storage (FORMAT.md §3 has the loss windows).
public enum DurabilityPolicy: Sendable, Equatable, CustomStringConvertible {
    /// `fdatasync` before acknowledging each append; concurrent appenders share one.
    case always
    /// Group commit: one `fdatasync` per interval (in milliseconds) and on close.
    case batch(intervalMilliseconds: Int)
    /// No `fdatasync`; the kernel writes back when it chooses.
    case never

    /// `batch` with the default 100 ms interval.
    public static let defaultBatch = DurabilityPolicy.batch(intervalMilliseconds: 100)

    /// Parses `always`, `batch`, `batch:250` (interval in ms) or `never`.
    public init?(parsing text: String) {
        switch text {
        case "always": self = .always
        case "never": self = .never
        case "batch": self = .defaultBatch
        default:
            guard text.hasPrefix("batch:"), let ms = Int(text.dropFirst(6)), ms > 0 else { return nil }
            self = .batch(intervalMilliseconds: ms)
        }
    }

    public var description: String {
        switch self {
        case .always: return "always"
        case .never: return "never"
        case .batch(let ms): return ms == 100 ? "batch" : "batch:\(ms)"
        }
    }
}
