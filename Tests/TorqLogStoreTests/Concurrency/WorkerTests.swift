import Foundation
import Testing
@testable import TorqLogStore

/// The worker and the waiting primitive. Every ordering is established with
/// the primitive itself (a job waits until the test lets it go; the test
/// waits until a job or a helper thread says where it is), never by sleeping.
/// The only clock is a timed wait that a correct implementation must reach
/// (its deadline), used to show that something did *not* happen meanwhile.
@Suite struct WorkerTests {
    /// What the jobs of a test did, and how far they may go.
    struct Trace {
        var started: [Int] = []
        var finished: [Int] = []
        /// Jobs numbered below this may finish; the others wait.
        var allowed = Int.max
    }

    /// A worker whose job `n` records its start, waits until `n < allowed`, records its end.
    static func gatedWorker(_ trace: ConditionLock<Trace>, capacity: Int = .max) throws -> Worker<Int> {
        try Worker(name: "test-worker", capacity: capacity) { n in
            trace.withLock(notify: .all) { $0.started.append(n) }
            trace.wait(until: { n < $0.allowed })
            trace.withLock(notify: .all) { $0.finished.append(n) }
        }
    }

    /// Runs `body` on a thread of its own (not a worker: the scaffolding must not depend on what is tested).
    static func onAnotherThread(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread(body)
    }

    @Test(.timeLimit(.minutes(1)))
    func jobsRunOneAtATimeInSubmissionOrder() throws {
        let trace = ConditionLock(Trace())
        let overlap = ConditionLock((running: 0, most: 0))
        let worker = try Worker<Int>(name: "test-order", capacity: 8) { n in
            overlap.withLock { o in o.running += 1; o.most = max(o.most, o.running) }
            trace.withLock { $0.finished.append(n) }
            overlap.withLock { $0.running -= 1 }
        }
        for n in 0..<1000 { #expect(worker.submit(n)) }
        worker.drain()
        #expect(trace.withLock { $0.finished } == Array(0..<1000))
        #expect(overlap.withLock { $0.most } == 1)
        #expect(worker.stop(.finishQueued).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func aJobHoldsTheOnlyReferenceToWhatItRuns() throws {
        // Moved from submit to the job, never copied: a batch stamped in place by the job is not copied.
        final class Storage: Sendable {}
        struct Payload: Sendable { var storage = Storage() }
        let unique = ConditionLock<[Bool]>([])
        let worker = try Worker<Payload>(name: "test-unique", capacity: 2) { (payload: consuming Payload) in
            let isUnique = isKnownUniquelyReferenced(&payload.storage)
            unique.withLock { $0.append(isUnique) }
        }
        for _ in 0..<20 { worker.submit(Payload()) }
        worker.drain()
        #expect(unique.withLock { $0 } == Array(repeating: true, count: 20))
        worker.stop(.finishQueued)
    }

    @Test(.timeLimit(.minutes(1)))
    func submitWaitsWhileTheQueueIsFull() throws {
        let trace = ConditionLock(Trace(allowed: 0))
        let worker = try Self.gatedWorker(trace, capacity: 2)
        worker.submit(0)
        trace.wait(until: { $0.started == [0] })  // 0 runs (held), the queue is empty
        worker.submit(1)
        worker.submit(2)                             // the queue is full: 1, 2
        struct Submitter { var aboutToSubmit = false; var returned = false; var finishedWhenReturned = -1 }
        let submitter = ConditionLock(Submitter())
        Self.onAnotherThread {
            submitter.withLock(notify: .all) { $0.aboutToSubmit = true }
            let accepted = worker.submit(3)
            let finished = trace.withLock { $0.finished.count }
            submitter.withLock(notify: .all) { s in
                s.returned = accepted
                s.finishedWhenReturned = finished
            }
        }
        submitter.wait(until: { $0.aboutToSubmit })
        // The submitter is blocked: it does not return while job 0 holds the queue full.
        #expect(!submitter.wait(until: { $0.returned }, deadline: .after(.milliseconds(100))))
        #expect(trace.withLock { $0.finished }.isEmpty)
        trace.withLock(notify: .all) { $0.allowed = 1 }  // 0 ends, 1 starts: room for 3
        submitter.wait(until: { $0.returned })
        #expect(submitter.withLock { $0.finishedWhenReturned } >= 1)
        trace.withLock(notify: .all) { $0.allowed = .max }
        worker.drain()
        #expect(trace.withLock { $0.finished } == [0, 1, 2, 3])
        worker.stop(.finishQueued)
    }

    @Test(.timeLimit(.minutes(1)))
    func drainWaitsForTheQueuedAndTheRunningJob() throws {
        let trace = ConditionLock(Trace(allowed: 0))
        let worker = try Self.gatedWorker(trace)
        for n in 0..<5 { worker.submit(n) }
        trace.wait(until: { $0.started == [0] })
        let drained = ConditionLock(false)
        Self.onAnotherThread {
            worker.drain()
            drained.withLock(notify: .all) { $0 = true }
        }
        #expect(!drained.wait(until: { $0 }, deadline: .after(.milliseconds(100))))
        trace.withLock(notify: .all) { $0.allowed = 4 }
        trace.wait(until: { $0.started.count == 5 })  // 4 runs, held
        #expect(!drained.withLock { $0 })
        trace.withLock(notify: .all) { $0.allowed = .max }
        drained.wait(until: { $0 })
        #expect(trace.withLock { $0.finished } == [0, 1, 2, 3, 4])
        worker.drain()  // nothing to wait for
        worker.stop(.finishQueued)
    }

    /// Job 0 is held; 1...4 fill the queue; the test's own `submit(5)` blocks
    /// until another thread's `stop(rule)` refuses it, which sequences the test after the stop's rule took effect.
    func stopFromAnotherThread(_ rule: Worker<Int>.StopRule) throws -> (trace: Trace, discarded: [Int]) {
        let trace = ConditionLock(Trace(allowed: 0))
        let worker = try Self.gatedWorker(trace, capacity: 4)
        for n in 0..<5 { #expect(worker.submit(n)) }
        trace.wait(until: { $0.started == [0] })
        let stopped = ConditionLock<[Int]?>(nil)
        Self.onAnotherThread {
            let discarded = worker.stop(rule)
            stopped.withLock(notify: .all) { $0 = discarded }
        }
        #expect(!worker.submit(5), "refused once the stop has begun")
        // The stop waits for the held job.
        #expect(!stopped.wait(until: { $0 != nil }, deadline: .after(.milliseconds(50))))
        trace.withLock(notify: .all) { $0.allowed = .max }
        let discarded = stopped.wait(for: { $0 })
        #expect(!worker.submit(6))
        let after = trace.withLock { $0 }
        // Joined: nothing can run any more.
        worker.stop(.finishQueued)
        #expect(trace.withLock { $0.finished } == after.finished)
        #expect(after.started == after.finished)
        return (after, discarded)
    }

    @Test(.timeLimit(.minutes(1)))
    func stopFinishingQueuedRunsThemAll() throws {
        let (trace, discarded) = try stopFromAnotherThread(.finishQueued)
        #expect(trace.finished == [0, 1, 2, 3, 4])
        #expect(discarded.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func stopDiscardingQueuedLetsOnlyTheRunningJobFinish() throws {
        let (trace, discarded) = try stopFromAnotherThread(.discardQueued)
        #expect(trace.finished == [0])
        #expect(discarded == [1, 2, 3, 4])
    }

    @Test(.timeLimit(.minutes(1)))
    func aDiscardingStopOverridesAFinishingOne() throws {
        let trace = ConditionLock(Trace(allowed: 0))
        let worker = try Self.gatedWorker(trace)
        for n in 0..<4 { worker.submit(n) }
        trace.wait(until: { $0.started == [0] })
        let first = ConditionLock<[Int]?>(nil)
        Self.onAnotherThread {
            let d = worker.stop(.finishQueued)
            first.withLock(notify: .all) { $0 = d }
        }
        let discarded = ConditionLock<[Int]?>(nil)
        Self.onAnotherThread {
            let d = worker.stop(.discardQueued)
            discarded.withLock(notify: .all) { $0 = d }
        }
        // Both stops wait for the held job 0.
        #expect(!first.wait(until: { $0 != nil }, deadline: .after(.milliseconds(50))))
        trace.withLock(notify: .all) { $0.allowed = .max }
        #expect(first.wait(for: { $0 }).isEmpty)
        // Whatever the finishing stop let run before the discarding one came
        // ran in order; the rest was returned, never run.
        let dropped = discarded.wait(for: { $0 })
        let finished = trace.withLock { $0.finished }
        #expect(finished + dropped == [0, 1, 2, 3])
        #expect(trace.withLock { $0.started } == finished)
    }

    @Test(.timeLimit(.minutes(1)))
    func aJobMayStopItsOwnWorker() throws {
        let trace = ConditionLock(Trace(allowed: 0))
        let box = ConditionLock<Worker<Int>?>(nil)
        let discarded = ConditionLock<[Int]?>(nil)
        let worker = try Worker<Int>(name: "test-self-stop") { n in
            trace.withLock(notify: .all) { $0.started.append(n) }
            trace.wait(until: { n < $0.allowed })
            if n == 0, let me = box.withLock({ $0 }) {
                // From its own thread: applies the rule, does not wait for itself.
                let d = me.stop(.discardQueued)
                discarded.withLock(notify: .all) { $0 = d }
            }
            trace.withLock(notify: .all) { $0.finished.append(n) }
        }
        box.withLock { $0 = worker }
        for n in 0..<3 { worker.submit(n) }
        trace.withLock(notify: .all) { $0.allowed = .max }
        #expect(discarded.wait(for: { $0 }) == [1, 2])
        #expect(worker.stop(.finishQueued).isEmpty)  // waits until the thread has exited
        #expect(trace.withLock { $0.finished } == [0])
        #expect(!worker.submit(3))
        box.withLock { $0 = nil }
    }

    @Test(.timeLimit(.minutes(1)))
    func aDroppedWorkerDiscardsItsQueueAndReleasesItsJob() throws {
        final class Canary: Sendable {
            let released: ConditionLock<Bool>
            init(_ released: ConditionLock<Bool>) { self.released = released }
            deinit { released.withLock(notify: .all) { $0 = true } }
        }
        let released = ConditionLock(false)
        let trace = ConditionLock(Trace(allowed: 0))
        do {
            let canary = Canary(released)
            let worker = try Worker<Int>(name: "test-dropped") { n in
                _ = canary
                trace.withLock(notify: .all) { $0.started.append(n) }
                trace.wait(until: { n < $0.allowed })
                trace.withLock(notify: .all) { $0.finished.append(n) }
            }
            for n in 0..<3 { worker.submit(n) }
            trace.wait(until: { $0.started == [0] })
        }
        // The worker is gone; its thread still holds job 0 (and the job closure).
        #expect(!released.withLock { $0 })
        trace.withLock(notify: .all) { $0.allowed = .max }
        released.wait(until: { $0 })  // the thread exited and let go of the closure
        #expect(trace.withLock { $0.finished } == [0])
    }

    @Test(.timeLimit(.minutes(1)))
    func aWorkerRunsOnANamedThreadOfItsOwn() throws {
        let seen = ConditionLock<String?>(nil)
        let worker = try Worker<Void>(name: "torqlog-a-long-name") { _ in
            let s = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            seen.withLock(notify: .all) { $0 = s.trimmingCharacters(in: .newlines) }
        }
        worker.submit(())
        #expect(seen.wait(for: { $0 }) == "torqlog-a-long-")  // 15 bytes: the Linux limit
        worker.stop(.finishQueued)
    }

    // MARK: The primitive

    @Test(.timeLimit(.minutes(1)))
    func aTimedWaitReturnsAtItsDeadline() {
        let never = ConditionLock(false)
        let start = Deadline.now
        let deadline = Deadline.after(.milliseconds(30))
        #expect(!never.wait(until: { $0 }, deadline: deadline))
        #expect(Deadline.now >= deadline)
        #expect(Deadline.now.nanoseconds - start.nanoseconds >= 30_000_000)
        // A deadline already passed: the predicate is still checked once.
        #expect(!never.wait(until: { $0 }, deadline: start))
        let always = ConditionLock(true)
        #expect(always.wait(until: { $0 }, deadline: start))
        #expect(never.wait(for: { _ -> Int? in nil }, deadline: .now) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func aTimedWaitReturnsEarlyWhenThePredicateComesTrue() {
        let flag = ConditionLock(0)
        let ready = ConditionLock(false)
        Self.onAnotherThread {
            ready.wait(until: { $0 })
            flag.withLock(notify: .one) { $0 = 7 }
        }
        ready.withLock(notify: .all) { $0 = true }
        let start = Deadline.now
        let got = flag.wait(for: { $0 == 7 ? $0 : nil }, deadline: .after(.seconds(600)))
        #expect(got == 7)
        #expect(Deadline.now.nanoseconds - start.nanoseconds < 300_000_000_000)
    }

    @Test(.timeLimit(.minutes(1)))
    func waitersRecheckTheirPredicate() {
        // Many waiters for different values, one broadcast per change: each
        // returns exactly when its own predicate holds.
        let counter = ConditionLock(0)
        let done = ConditionLock<[Int]>([])
        for target in 1...8 {
            Self.onAnotherThread {
                let seen = counter.wait(for: { $0 >= target ? $0 : nil })
                done.withLock(notify: .all) { $0.append(target <= seen ? target : -target) }
            }
        }
        for _ in 1...8 { counter.withLock(notify: .all) { $0 += 1 } }
        done.wait(until: { $0.count == 8 })
        #expect(done.withLock { $0.sorted() } == Array(1...8))
    }

    @Test func deadlinesSaturate() {
        #expect(Deadline.after(.seconds(Int64.max)).nanoseconds == .max)
        #expect(Deadline.after(nanoseconds: .max).nanoseconds == .max)
        #expect(Deadline.after(.seconds(-1)) <= Deadline.now)
        #expect(Deadline.after(.milliseconds(5)) > Deadline.now)
    }

    @Test func aThreadThatCannotStartIsAnError() {
        let error = ThreadStartError(name: "torqlog-x", errno: EAGAIN)
        #expect(error.description.hasPrefix("cannot start the torqlog-x thread:"))
        #expect(error.description.hasSuffix("(errno \(EAGAIN))"))
    }

    /// The calling thread's nice value, from /proc/thread-self/stat (field 19).
    static func threadNice() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, so field 19 is at index 16.
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    @Test("a background worker's thread runs at nice + 10; a normal one at the starter's")
    func backgroundPriority() throws {
        let seen = ConditionLock<[String: Int]>([:])
        let background = try Worker<String>(name: "test-bg", priority: .background) { key in
            seen.withLock(notify: .all) { $0[key] = Self.threadNice() ?? -100 }
        }
        let normal = try Worker<String>(name: "test-normal") { key in
            seen.withLock(notify: .all) { $0[key] = Self.threadNice() ?? -100 }
        }
        #expect(background.submit("background") && normal.submit("normal"))
        let values = seen.wait(for: { $0.count == 2 ? $0 : nil })
        background.stop(.finishQueued)
        normal.stop(.finishQueued)
        let mine = try #require(Self.threadNice())
        #expect(values["normal"] == mine)
        #expect(values["background"] == min(mine + 10, 19))
    }
}
