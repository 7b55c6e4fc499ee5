#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread running a closure, joined explicitly.
package struct WorkerThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private let thread: pthread_t

    /// Starts a thread running `body`; nil when the system refuses a thread.
    package init?(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body))
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Body>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard started == 0 else {
            box.release()
            return nil
        }
        self.thread = thread
    }

    /// Waits for the thread to finish.
    package func join() {
        pthread_join(thread, nil)
    }
}
