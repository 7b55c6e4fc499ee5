import Synchronization
import TorqEvents

/// Random trace and span ids for the process, without a system call or a
/// lock: a SplitMix64 sequence over an atomic counter seeded once from the
/// system generator. Distinct counter values give distinct ids (the mixing
/// is a bijection), so span ids never repeat within a process. Not for secrets.
enum TraceIdentifiers {
    private static let state: Atomic<UInt64> = {
        var system = SystemRandomNumberGenerator()
        return Atomic(system.next())
    }()

    @inline(__always)
    static func next() -> UInt64 {
        let s = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A new span id (never zero).
    static func spanID() -> SpanID {
        var generator = Generator()
        return SpanID.random(using: &generator)
    }

    /// A new trace id (never zero).
    static func traceID() -> TraceID {
        var generator = Generator()
        return TraceID.random(using: &generator)
    }

    /// The shared sequence as a `RandomNumberGenerator`.
    struct Generator: RandomNumberGenerator {
        mutating func next() -> UInt64 { TraceIdentifiers.next() }
    }
}
