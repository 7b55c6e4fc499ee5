import Dispatch
import ServiceLifecycle

extension TelemetryCollector: Service {
    /// Runs until the service group shuts down gracefully (a SIGTERM or
    /// SIGINT it is configured for) or the task is cancelled, then calls
    /// `shutdown()`: everything accepted is written before `run` returns.
    public func run() async throws {
        try? await gracefulShutdown()
        // shutdown() joins the flusher thread: block a Dispatch thread, not
        // one of the cooperative pool's.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.shutdown()
                done.resume()
            }
        }
    }
}
