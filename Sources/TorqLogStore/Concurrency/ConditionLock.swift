#if canImport(Glibc)
import Glibc
#endif

/// A point in time on `CLOCK_MONOTONIC`, for the timed waits of ``ConditionLock``.
///
/// The monotonic clock, not the wall clock: a deadline is not moved by a
/// clock change (NTP, `date -s`). It does not advance while the machine
/// is suspended, which a back-off or a group-commit interval does not need.
package struct Deadline: Sendable, Hashable, Comparable {
    /// Nanoseconds of `CLOCK_MONOTONIC`.
    package var nanoseconds: UInt64

    package init(monotonicNanoseconds: UInt64) {
        nanoseconds = monotonicNanoseconds
    }

    /// Now.
    package static var now: Deadline {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Deadline(monotonicNanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    /// `nanoseconds` from now.
    package static func after(nanoseconds: UInt64) -> Deadline {
        let now = Deadline.now.nanoseconds
        return Deadline(monotonicNanoseconds: now.addingReportingOverflow(nanoseconds).overflow ? .max : now + nanoseconds)
    }

    /// `duration` from now (a negative duration is now).
    package static func after(_ duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return .now }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return Deadline(monotonicNanoseconds: .max) }
        return after(nanoseconds: whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000)).partialValue)
    }

    /// Whether the deadline is now or in the past.
    package var hasPassed: Bool { Deadline.now >= self }

    package static func < (a: Deadline, b: Deadline) -> Bool { a.nanoseconds < b.nanoseconds }
}

/// A value guarded by a lock, with a condition variable to wait for a change
/// of it: the one waiting primitive of the package (every thread that waits
/// for another — a worker for jobs, a submitter for room, a flusher for
/// events, a caller for a result, a back-off that shutdown cuts short — waits
/// on one of these).
///
/// ```swift
/// let box = ConditionLock<Int?>(nil)
/// // one thread:
/// box.withLock(notify: .all) { $0 = 42 }
/// // another:
/// let value = box.wait(for: { $0.take() })  // 42
/// ```
///
/// Contract:
/// - Every access to the state is under the lock (`withLock`, the bodies and
///   predicates of `wait`). Nothing else may touch it.
/// - A wait takes a *predicate* (or a body returning non-nil when done),
///   evaluated under the lock before the first sleep and again after every
///   wake-up. So a notification sent before the waiter sleeps is not lost, and
///   spurious wake-ups (which `pthread_cond_wait` allows) and notifications
///   meant for another waiter only cost a re-check. Waiters never need a
///   loop of their own.
/// - A change that may make a waiter's predicate true must be followed by
///   a notification: `notify:` (sent after the body, once the lock is
///   released, so the woken thread does not immediately block on it) or
///   `signal()` / `broadcast()` after `withLock`. `.one` (signal) wakes one
///   waiter, and is right only when every waiter waits for the same thing;
///   when waiters wait for different things (a worker's thread for a job and
///   its submitters for room), use `.all`. With nobody waiting, either is one
///   atomic load in glibc.
/// - A timed wait's deadline is on `CLOCK_MONOTONIC` (the condition variable
///   is created with `pthread_condattr_setclock`). It returns at the
///   deadline, after a last check of the predicate, or earlier when the
///   predicate holds.
/// - Bodies and predicates must not block on anything but this lock's own
///   waits, and must not call back into the same `ConditionLock` (the mutex
///   is not recursive).
///
/// Why this and not something else: `Synchronization.Mutex` has no condition
/// variable (nothing to wait on without polling or a second primitive);
/// `NSCondition` is Foundation's, untyped (the state it guards lives beside
/// it, guarded by convention only) and has no monotonic deadline;
/// `DispatchSemaphore` counts wake-ups instead of guarding a state, so every
/// user re-invents the state and its lock beside it. A POSIX mutex and
/// condition variable owning the state give typed access, predicates
/// rechecked by construction and monotonic deadlines, with no Foundation.
package final class ConditionLock<State: ~Copyable>: @unchecked Sendable {
    // @unchecked: `state` is only touched under `mutex`.

    /// Whom to wake after a change.
    package enum Notify: Sendable {
        /// Nobody (the change cannot make a waiter's predicate true).
        case none
        /// One waiter (`pthread_cond_signal`): every waiter waits for the same thing.
        case one
        /// Every waiter (`pthread_cond_broadcast`).
        case all
    }

    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let condition: UnsafeMutablePointer<pthread_cond_t>
    @usableFromInline let state: UnsafeMutablePointer<State>

    /// A lock owning `initial`.
    package init(_ initial: consuming sending State) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, clockid_t(CLOCK_MONOTONIC))
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        state = .allocate(capacity: 1)
        state.initialize(to: initial)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the state under the lock, then wakes whom `notify` says.
    @inlinable
    package func withLock<R: ~Copyable, E: Error>(
        notify: Notify = .none, _ body: (inout sending State) throws(E) -> sending R
    ) throws(E) -> sending R {
        pthread_mutex_lock(mutex)
        let result: R
        do {
            result = try body(&state.pointee)
        } catch {
            pthread_mutex_unlock(mutex)
            throw error
        }
        pthread_mutex_unlock(mutex)
        wake(notify)
        return result
    }

    /// Waits until `ready` holds, then wakes whom `notify` says. `ready` may
    /// change the state when it returns true (e.g. take what it waited for).
    @inlinable
    package func wait(until ready: (inout State) -> Bool, notify: Notify = .none) {
        pthread_mutex_lock(mutex)
        while !ready(&state.pointee) { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
        wake(notify)
    }

    /// Waits until `ready` holds or `deadline` passes; returns whether
    /// `ready` held (checked one last time at the deadline). Notifies only when it held.
    @inlinable
    package func wait(until ready: (inout State) -> Bool, deadline: Deadline, notify: Notify = .none) -> Bool {
        wait(for: { ready(&$0) ? () : nil }, deadline: deadline, notify: notify) != nil
    }

    /// Waits until `body` returns a value, and returns it: `body` runs under
    /// the lock at once and after every wake-up; nil means "not yet".
    @inlinable
    package func wait<R, E: Error>(for body: (inout State) throws(E) -> R?, notify: Notify = .none) throws(E) -> R {
        pthread_mutex_lock(mutex)
        while true {
            let result: R?
            do {
                result = try body(&state.pointee)
            } catch {
                pthread_mutex_unlock(mutex)
                throw error
            }
            if let result {
                pthread_mutex_unlock(mutex)
                wake(notify)
                return result
            }
            pthread_cond_wait(condition, mutex)
        }
    }

    /// Waits until `body` returns a value or `deadline` passes: the value, or
    /// nil at the deadline (after a last call of `body`). Notifies only on a value.
    @inlinable
    package func wait<R, E: Error>(for body: (inout State) throws(E) -> R?, deadline: Deadline,
                                   notify: Notify = .none) throws(E) -> R? {
        var absolute = timespec(tv_sec: Int(deadline.nanoseconds / 1_000_000_000),
                                tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        if deadline.nanoseconds / 1_000_000_000 > UInt64(Int.max) { absolute.tv_sec = .max }
        pthread_mutex_lock(mutex)
        while true {
            let result: R?
            do {
                result = try body(&state.pointee)
            } catch {
                pthread_mutex_unlock(mutex)
                throw error
            }
            if let result {
                pthread_mutex_unlock(mutex)
                wake(notify)
                return result
            }
            if deadline.hasPassed {
                pthread_mutex_unlock(mutex)
                return nil
            }
            _ = pthread_cond_timedwait(condition, mutex, &absolute)
        }
    }

    /// Wakes one waiter (call after changing the state in `withLock`).
    @inlinable
    package func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    @inlinable
    package func broadcast() { pthread_cond_broadcast(condition) }

    @inlinable
    func wake(_ notify: Notify) {
        switch notify {
        case .none: break
        case .one: pthread_cond_signal(condition)
        case .all: pthread_cond_broadcast(condition)
        }
    }
}
