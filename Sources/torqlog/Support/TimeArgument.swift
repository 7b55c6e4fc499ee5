import ArgumentParser
import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqJSON
#endif

/// A point in time given on the command line, in nanoseconds since the epoch.
///
/// Accepts RFC 3339 (`2026-11-25T17:00:00Z`), a date (`2026-11-25`, midnight
/// UTC), `now`, or a duration before now (`30s`, `15m`, `2h`, `7d`, also `-2h`
/// or `2h ago`).
struct TimeArgument: ExpressibleByArgument, Sendable {
    let nanoseconds: Int64

    init?(argument: String) {
        guard let ns = Self.parse(argument, now: Self.now()) else { return nil }
        nanoseconds = ns
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func parse(_ raw: String, now: Int64) -> Int64? {
        var text = raw.trimmingCharacters(in: " ")
        if text == "now" { return now }
        if text.hasSuffix(" ago") { text = String(text.dropLast(4)) }
        if text.hasPrefix("-") { text.removeFirst() }
        if let unit = text.last, let n = Int64(text.dropLast()), n >= 0 {
            let unitSeconds: Int64?
            switch unit {
            case "s": unitSeconds = 1
            case "m": unitSeconds = 60
            case "h": unitSeconds = 3600
            case "d": unitSeconds = 86_400
            case "w": unitSeconds = 604_800
            default: unitSeconds = nil
            }
            if let unitSeconds {
                // A duration too large for nanoseconds since the epoch is not a time: reject it.
                let (seconds, o1) = n.multipliedReportingOverflow(by: unitSeconds)
                let (nanos, o2) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
                let (t, o3) = now.subtractingReportingOverflow(nanos)
                return o1 || o2 || o3 ? nil : t
            }
        }
        var candidate = raw
        if raw.utf8.count == 10 { candidate = raw + "T00:00:00Z" }
        var bytes = Array(candidate.utf8)
        return bytes.withUnsafeMutableBytes { RFC3339.parseNanoseconds(UnsafeRawBufferPointer($0)) }
    }

    static var defaultValueDescription: String { "TIME" }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
