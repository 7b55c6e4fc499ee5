#if canImport(Glibc)
import Glibc
#endif
import CTorqSupport

/// How many threads a parallel stage should use: the cores this process may
/// run on (its CPU affinity mask, which `taskset` and containers narrow; else
/// the cores online), so that a stage is as wide as the machine it runs on
/// and needs no change to use 16 cores instead of 2.
package enum ParallelWidth {
    /// The cores the calling thread may run on now (at least 1).
    package static func available() -> Int {
        let n = tq_available_cpus()
        if n > 0 { return Int(n) }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
