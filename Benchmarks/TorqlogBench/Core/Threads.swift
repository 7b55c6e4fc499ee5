import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for i in 0..<count, each on its own new thread, released
/// together once every thread has started; waits for every one and returns
/// their results in order of `i`.
///
/// Threads, not tasks: the benchmarks model agent code calling a collector
/// from plain threads, and a blocked producer (the `wait` policy) must not
/// hold one of the cooperative pool's two threads on this machine.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = Mutex<[T?]>([T?](repeating: nil, count: count))
    let group = DispatchGroup()
    let gate = StartGate()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            gate.arrive()
            let r = body(i)
            results.withLock { $0[i] = r }
            group.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    gate.open(count)
    group.wait()
    return results.withLock { $0.compactMap { $0 } }
}

/// Lets threads started one after the other begin their timed work together.
final class StartGate: Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let go = DispatchSemaphore(value: 0)

    /// Called by each thread: says it is ready, then waits for `open`.
    func arrive() {
        ready.signal()
        go.wait()
    }

    /// Waits until `count` threads arrived, then releases them.
    func open(_ count: Int) {
        for _ in 0..<count { ready.wait() }
        for _ in 0..<count { go.signal() }
    }
}

/// A value written by one thread and read by another (a flag, a counter).
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int) { value.add(n, ordering: .relaxed) }
    /// Adds one; returns the new value.
    func increment() -> Int { value.add(1, ordering: .acquiringAndReleasing).newValue }
    func store(_ n: Int) { value.store(n, ordering: .releasing) }
    var current: Int { value.load(ordering: .acquiring) }
}
