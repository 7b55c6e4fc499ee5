import CTorqSupport
#if canImport(Glibc)
import Glibc
#endif

/// A thread could not be started (`pthread_create` failed: `EAGAIN` when the
/// process or the system is out of threads or memory).
package struct ThreadStartError: Error, Sendable, CustomStringConvertible {
    /// The worker's name.
    package var name: String
    /// What `pthread_create` returned.
    package var errno: Int32

    package var description: String {
        "cannot start the \(name) thread: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// A named thread that runs the jobs submitted to it, one at a time, in
/// submission order: the one background worker type of the package (the
/// sealer, the append pipeline, the parse worker, the group-commit syncer,
/// the collector's flusher and the compliance scanner's threads all run on one).
///
/// ```swift
/// let failures = ConditionLock<[Error]>([])
/// let worker = try Worker<Segment>(name: "torqlog-seal") { segment in
///     do { try seal(segment) } catch { failures.withLock { $0.append(error) } }
/// }
/// worker.submit(segment)       // waits while `capacity` jobs are queued
/// worker.drain()               // nothing queued, nothing running
/// let errors = failures.withLock { $0 }
/// worker.stop(.finishQueued)   // runs what is queued, then joins the thread
/// ```
///
/// - **Threads, not tasks.** Jobs block: `fdatasync`, `write(2)`, a long
///   CPU-bound parse, or waiting on a ``ConditionLock``. Blocking a thread of
///   Swift's cooperative pool starves every task of the process, and the
///   callers here are synchronous code that must wait for a job without
///   `await`. So a worker is a thread of its own, created with
///   `pthread_create` rather than Foundation's `Thread`: it can be joined
///   (``stop(_:)`` returns once the thread has exited, which `Thread` cannot
///   say), a failure to start is an error (``ThreadStartError``) instead of a
///   thread that never runs, and it needs no Foundation. It is named
///   (`pthread_setname_np`, at most 15 bytes) for `top -H`, `gdb`, `perf`.
/// - **Order and back-pressure.** Jobs run in the order `submit` accepted
///   them, never two at once. At most `capacity` jobs wait (the running one
///   not counted); `submit` blocks while that many wait, so a producer faster
///   than the worker is slowed to its pace and memory stays bounded.
/// - **Failures.** The job closure cannot throw: it handles its own errors,
///   so nothing is swallowed silently by the worker. The pattern is the one
///   above: catch inside the job, record the failure in state the owner reads
///   (a ``ConditionLock``, a `Mutex`), and report it from the owner's `drain`
///   or next `submit` (``AppendPipeline`` throws it from the next submit,
///   ``BackgroundSealer`` returns the failures from its drain). A job that
///   traps (a precondition failure) ends the process, as on any thread.
/// - **Stopping.** ``stop(_:)`` refuses further jobs (`submit` returns
///   false), applies its rule to the queued ones, and waits until the thread
///   has exited (it joins it):
///   - ``StopRule/finishQueued``: the queued jobs run, then the thread exits;
///   - ``StopRule/discardQueued``: the queued jobs are removed, never run,
///     and returned to the caller; the running job, if any, finishes.
///   A running job is never interrupted by the worker: a job that must stop
///   early watches a flag or a ``ConditionLock`` of its owner, which the
///   owner sets before calling `stop` (the sealer's `CancelFlag`, the
///   syncer's `stopped`). Once `stop` returns, no job runs any more.
///   Called from a job on the worker's own thread, `stop` cannot wait for
///   itself: it applies the rule and returns, and the thread exits (detached)
///   after the running job. A worker dropped without `stop` discards its
///   queued jobs and lets the thread finish the running one, without waiting
///   (the thread holds the job closure, not the worker).
package final class Worker<Job: Sendable>: Sendable {
    /// What ``Worker/stop(_:)`` does with the jobs still queued.
    package enum StopRule: Sendable, Equatable {
        /// Run every queued job, then exit.
        case finishQueued
        /// Drop the queued jobs (returned by `stop`); only the running one finishes.
        case discardQueued
    }

    /// The worker's name (its thread's name).
    package let name: String
    /// How many jobs may wait (the running one not counted) before `submit` blocks.
    package let capacity: Int

    private let lock: ConditionLock<State>
    private let thread: pthread_t

    private enum ThreadRelease {
        /// Nobody has claimed the thread yet.
        case none
        /// A `stop` is joining it.
        case joining
        case joined
        /// Detached (by `stop` from the thread itself, or by `deinit`).
        case detached
    }

    private struct State {
        var queue = JobQueue<Job>()
        var running = false
        var stopRule: StopRule?
        var release = ThreadRelease.none
        var exited = false
    }

    /// How the thread is scheduled against the others of the process.
    package enum Priority: Sendable {
        /// As the thread that starts it.
        case normal
        /// Behind the others (nice + 10, about a tenth of a core's share
        /// when they keep it busy): for work that may lag during a burst and
        /// catch up after, such as sealing, so that it does not take a core
        /// from the write path.
        case background
    }

    /// Starts a thread named `name` that calls `run` for every submitted job.
    ///
    /// - Parameters:
    ///   - priority: how the thread is scheduled (``Priority/normal`` unless said).
    ///   - capacity: jobs that may wait (at least 1); `submit` blocks beyond.
    ///   - run: the job; it runs on the worker's thread and handles its own errors.
    /// - Throws: ``ThreadStartError`` when the system refuses a thread.
    package init(name: String, priority: Priority = .normal, capacity: Int = .max,
                 run: sending @escaping (consuming Job) -> Void) throws(ThreadStartError) {
        precondition(capacity >= 1, "Worker: capacity must be at least 1")
        self.name = name
        self.capacity = capacity
        let lock = ConditionLock(State())
        self.lock = lock
        let body = ThreadBody(name: name, nice: priority == .background ? 10 : nil) { Self.serve(lock, run) }
        let context = Unmanaged.passRetained(body)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().start()
            return nil
        }, context.toOpaque())
        guard started == 0 else {
            context.release()
            throw ThreadStartError(name: name, errno: started)
        }
        self.thread = thread
    }

    deinit {
        // Dropped without stop(): no wait, the thread finishes its job alone.
        let detach = lock.withLock(notify: .all) { s -> Bool in
            if s.stopRule == nil {
                s.stopRule = .discardQueued
                s.queue.removeAll()
            }
            guard s.release == .none else { return false }
            s.release = .detached
            return true
        }
        if detach { pthread_detach(thread) }
    }

    /// Queues `job`, waiting while `capacity` jobs are already queued.
    /// Returns false (and drops the job) once the worker is stopping or stopped.
    ///
    /// A job may submit to its own worker only while there is room (it
    /// cannot wait for itself).
    @discardableResult
    package func submit(_ job: consuming sending Job) -> Bool {
        var slot: Job? = consume job
        let capacity = self.capacity
        let own = isCurrentThread
        return lock.wait(for: { s -> Bool? in
            if s.stopRule != nil { return false }
            guard s.queue.count < capacity else {
                precondition(!own, "Worker \(name): a job submitted to its own full queue")
                return nil
            }
            s.queue.append(slot.take()!)
            return true
        }, notify: .all)
    }

    /// Waits until no job is queued and none is running (the worker goes on).
    /// Not to be called from a job of this worker.
    package func drain() {
        precondition(!isCurrentThread, "Worker \(name): drain() from its own job would wait for itself")
        lock.wait(until: { s in s.queue.count == 0 && !s.running })
    }

    /// Refuses further jobs, applies `rule` to the queued ones and waits until
    /// the thread has exited (see the type's documentation). Safe to call more
    /// than once and from several threads; a later `.discardQueued` drops
    /// what an earlier `.finishQueued` left queued.
    ///
    /// - Returns: the jobs discarded (never run), oldest first; empty under `.finishQueued`.
    @discardableResult
    package func stop(_ rule: StopRule) -> [Job] {
        let own = isCurrentThread
        let (discarded, release) = lock.withLock(notify: .all) { s -> ([Job], ThreadRelease?) in
            var discarded: [Job] = []
            if rule == .discardQueued {
                discarded = s.queue.removeAll()
                s.stopRule = .discardQueued
            } else if s.stopRule == nil {
                s.stopRule = .finishQueued
            }
            guard s.release == .none else { return (discarded, nil) }
            s.release = own ? .detached : .joining
            return (discarded, s.release)
        }
        switch release {
        case .detached?:
            pthread_detach(thread)
        case .joining?:
            pthread_join(thread, nil)
            lock.withLock(notify: .all) { $0.release = .joined }
        default:
            // Another caller joins (or the thread detached itself): wait for the exit.
            if !own { lock.wait(until: { s in s.release == .joined || (s.release == .detached && s.exited) }) }
        }
        return discarded
    }

    /// Whether the caller is this worker's thread.
    private var isCurrentThread: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// The thread's loop: take the oldest job, run it, until stopped and nothing is left to run.
    private static func serve(_ lock: ConditionLock<State>, _ run: (consuming Job) -> Void) {
        while true {
            let next: Job? = lock.wait(for: { s -> Job?? in
                if let job = s.queue.popFirst() {
                    s.running = true
                    return .some(job)
                }
                return s.stopRule != nil ? .some(nil) : nil
            }, notify: .all)  // room for a waiting submitter
            // Moved, not copied, into the job: it must hold the only reference
            // (a batch stamped in place would otherwise be copied).
            switch consume next {
            case .some(let job): run(consume job)
            case .none: break
            }
            if lock.withLock(notify: .all, { s in  // a drain may be waiting
                s.running = false
                return s.queue.count == 0 && s.stopRule != nil
            }) { break }
        }
        lock.withLock(notify: .all) { $0.exited = true }
    }
}

/// What a worker's thread runs (non-generic: the `pthread_create` entry point cannot be).
private final class ThreadBody: @unchecked Sendable {
    // @unchecked: created by the starting thread, then used only by the new thread.
    let name: String
    let nice: Int32?
    let main: () -> Void

    init(name: String, nice: Int32?, main: @escaping () -> Void) {
        self.name = name
        self.nice = nice
        self.main = main
    }

    func start() {
        // Both are hints: a thread that keeps its name or priority works the same.
        _ = tq_set_thread_name(name)  // Linux keeps 15 bytes
        if let nice { _ = tq_set_thread_nice(nice) }
        main()
    }
}

/// The jobs waiting for a worker, oldest first (a job is moved out, never
/// copied, so the worker holds the only reference to what it runs).
private struct JobQueue<Job> {
    private var items: [Job?] = []
    private var head = 0

    var count: Int { items.count - head }

    mutating func append(_ job: consuming Job) {
        items.append(consume job)
    }

    mutating func popFirst() -> Job? {
        guard head < items.count else { return nil }
        let job = items[head].take()
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return job
    }

    @discardableResult
    mutating func removeAll() -> [Job] {
        let rest = items[head...].map { $0! }
        items.removeAll(keepingCapacity: true)
        head = 0
        return rest
    }
}
