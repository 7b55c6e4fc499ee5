import Histogram
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Times `body`, returning its result and the elapsed seconds.
func timed<R>(_ body: () throws -> R) rethrows -> (R, Double) {
    let start = monotonicNanoseconds()
    let r = try body()
    return (r, Double(monotonicNanoseconds() - start) / 1e9)
}

/// What one in-process run of an operation cost.
struct RunCost {
    var seconds: Double
    /// CPU seconds of this process (all threads) during the run.
    var cpuSeconds: Double
    /// Peak RSS of this process during the run (VmHWM, reset before it).
    var peakRSS: Int64
    /// How far the peak rose above the RSS the run started with (nil for a child process).
    var peakGrowth: Int64?
}

/// glibc's malloc_trim: gives freed heap memory back to the kernel, so that the
/// RSS a run starts from is not inflated by what earlier runs freed.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32

/// Times `body` in this process: wall clock, CPU, and peak RSS.
func measured<R>(_ body: () throws -> R) rethrows -> (R, RunCost) {
    _ = mallocTrim(0)
    ProcessStats.resetPeakRSS()
    let rss = ProcessStats.currentRSS()
    let cpu = ProcessStats.cpuSeconds()
    let (r, seconds) = try timed(body)
    let cpuSeconds = ProcessStats.cpuSeconds() - cpu
    let peak = ProcessStats.peakRSS()
    return (r, RunCost(seconds: seconds, cpuSeconds: cpuSeconds, peakRSS: peak, peakGrowth: max(0, peak - rss)))
}

/// A latency distribution (nanoseconds) and what one recorded operation is.
struct LatencyRecorder {
    /// What one recorded value measures, e.g. "txn of 1000 events".
    var operation: String
    private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
                                                   numberOfSignificantValueDigits: .three)
    private var mark: UInt64 = 0

    init(operation: String) { self.operation = operation }

    mutating func record(nanoseconds: UInt64) { histogram.record(max(1, nanoseconds)) }
    mutating func record(seconds: Double) { record(nanoseconds: UInt64(max(0, seconds * 1e9))) }

    /// Starts an interval that `lap()` ends (and starts the next one).
    mutating func start() { mark = monotonicNanoseconds() }
    mutating func lap() {
        let now = monotonicNanoseconds()
        record(nanoseconds: now - mark)
        mark = now
    }

    mutating func merge(_ other: LatencyRecorder) { histogram.add(other.histogram) }

    var summary: LatencySummary? {
        guard histogram.totalCount > 0 else { return nil }
        return LatencySummary(operation: operation, count: Int(histogram.totalCount),
                              p50: Double(histogram.valueAtPercentile(50)) / 1e9,
                              p99: Double(histogram.valueAtPercentile(99)) / 1e9,
                              p999: Double(histogram.valueAtPercentile(99.9)) / 1e9,
                              max: Double(histogram.max) / 1e9)
    }
}

/// Percentiles of a latency distribution, in seconds.
struct LatencySummary: Codable, Sendable {
    var operation: String
    var count: Int
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double
}

/// Memory and I/O figures of this process, from /proc (Linux).
enum ProcessStats {
    /// Resets the peak-RSS high-water mark (VmHWM) to the current RSS; false if the kernel refuses.
    @discardableResult
    static func resetPeakRSS() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// Peak resident set size in bytes since the last reset (VmHWM), else since the process started.
    static func peakRSS() -> Int64 {
        if let kb = statusField("VmHWM:") { return kb * 1024 }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int64(usage.ru_maxrss) * 1024
    }

    /// CPU seconds (user + system, every thread) this process has used so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return seconds(usage)
    }

    static func seconds(_ u: rusage) -> Double {
        Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    /// Current resident set size in bytes.
    static func currentRSS() -> Int64 { (statusField("VmRSS:") ?? 0) * 1024 }

    /// Bytes this process has read through read(2)/pread(2) so far (`rchar` of /proc/self/io).
    static func bytesRead() -> Int64 { ioField("rchar:") }

    /// Bytes this process has passed to write(2)/pwrite(2) so far (`wchar` of /proc/self/io).
    static func bytesWritten() -> Int64 { ioField("wchar:") }

    private static func ioField(_ name: String) -> Int64 {
        guard let text = readSmallFile("/proc/self/io") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return Int64(line.dropFirst(name.count).trimmingCharacters(in: " \t")) ?? 0
        }
        return 0
    }

    private static func statusField(_ name: String) -> Int64? {
        guard let text = readSmallFile("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter { $0.isNumber }
            return Int64(String(digits))
        }
        return nil
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}

/// Median and minimum of per-repeat figures.
extension Array where Element == Double {
    var median: Double {
        guard !isEmpty else { return .nan }
        let s = sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
