import ArgumentParser
import ServiceLifecycle
import Synchronization
import TorqLogStore
import TorqTelemetry

/// `torqlog demo`: write a realistic sample of agent activity through the
/// telemetry library (facade, spans, collector), then show it.
///
/// The collector runs as a `Service` in a swift-service-lifecycle
/// `ServiceGroup` with the sample activity; SIGTERM or SIGINT shut the group
/// down gracefully (the runs under way finish, the collector writes
/// everything it accepted). With `TRACEPARENT` set, every run joins that
/// trace as a child of the span it names.
struct DemoCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Write a sample of agent activity to the store, then show `info` and the replay of one run.",
        discussion: """
            The activity goes through the telemetry library: agent runs, tool executions and model \
            calls as nested spans, with routing decisions and memory operations inside them. \
            With --live it keeps writing a few runs a second until SIGTERM or SIGINT, then prints \
            the collector's counts to standard error. With TRACEPARENT set (W3C Trace Context), \
            the runs join that trace.
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: "How many runs to write (without --live).")
    var runs: Int = 12

    @Flag(help: "Keep writing runs until SIGTERM or SIGINT.")
    var live = false

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1 (is \(runs))") }
    }

    func run() throws {
        let store = self.store
        var configuration = TelemetryConfiguration(storage: .store(directory: store.path))
        configuration.logger.logLevel = .error
        let collector = try TelemetryCollector(configuration: configuration)
        let telemetry = TelemetryIntegration(collector: collector, sessionID: "sess-" + Self.randomHex(12))
        let activity = SampleAgentActivity(telemetry: telemetry, runs: live ? nil : runs,
                                           seed: UInt64(truncatingIfNeeded: TimeArgument.now()))
        var logger = configuration.logger
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: collector),
                .init(service: activity, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try Self.runBlocking { try await TraceEnvironment.withInheritedContext { try await group.run() } }

        let statistics = collector.statistics()
        let written = statistics.eventsCollected
        if live || statistics.totalDropped > 0 {
            let accepted = statistics.eventsRecorded - statistics.totalDropped + statistics.dropped(.sinkError)
            Console.note("demo: accepted \(accepted) events, written \(written), dropped \(statistics.totalDropped)")
        }
        Console.write(1, "Wrote \(written) events of \(activity.runsStarted) agent runs to \(store.path)\n\n")
        var info = try TorqLog.parseAsRoot(["info", "--dir", store.path])
        try info.run()
        if let first = activity.firstRunID {
            Console.write(1, "\n$ torqlog replay \(first)\n")
            var replay = try TorqLog.parseAsRoot(["replay", first.rawValue, "--dir", store.path])
            try replay.run()
        }
        let run = activity.firstRunID.map { " " + $0.rawValue } ?? " RUN_ID"
        Console.write(1, "\nTry: torqlog trace\(run) · torqlog telemetry · torqlog compliance · torqlog tail -f\n"
                         + "     torqlog export --type tool_execution | jq . · torqlog export --format otlp-json · torqlog verify\n")
    }

    /// Runs `operation` on the concurrency pool and blocks this (main) thread
    /// until it finishes, returning or rethrowing its outcome.
    private static func runBlocking(_ operation: @escaping @Sendable () async throws -> Void) throws {
        let outcome = ConditionLock<Result<Void, any Error>?>(nil)
        Task.detached {
            let result: Result<Void, any Error>
            do {
                try await operation()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            outcome.withLock(notify: .all) { $0 = result }
        }
        try outcome.wait(for: { $0 }).get()
    }

    /// `digits` random lowercase hex digits (at most 16).
    static func randomHex(_ digits: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt64, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(digits))
    }
}
