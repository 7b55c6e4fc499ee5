import CTorqSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs work on fewer cores, for the scaling rows: the calling thread, and
/// every thread it starts meanwhile (the ingester's parse workers, the
/// writer's threads, the scanner's), may run on the first `cores` CPUs of its
/// affinity mask only (`sched_setaffinity`); the mask is restored afterwards.
enum CPUAffinity {
    /// The cores the calling thread may run on now.
    static var available: Int { Int(max(1, tq_available_cpus())) }

    static func pinned<T>(toCores cores: Int, _ body: () throws -> T) throws -> T {
        var saved = tq_cpu_mask()
        guard tq_get_affinity(&saved) == 0 else { throw BenchError("sched_getaffinity: errno \(errno)") }
        guard tq_pin_to_cpus(Int32(cores)) == 0 else { throw BenchError("sched_setaffinity to \(cores) cores: errno \(errno)") }
        let result = Result { try body() }
        // Restoring a mask this thread had a moment ago fails only if a CPU went offline meanwhile.
        guard tq_set_affinity(&saved) == 0 else { throw BenchError("sched_setaffinity (restoring the mask): errno \(errno)") }
        return try result.get()
    }
}
