import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TorqAnalysis
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve`: holds the store's writer and serves OTLP/HTTP and JSONL
/// until SIGTERM or SIGINT, then stops accepting, answers the requests in
/// flight, writes and syncs what they brought, and closes the store.
///
/// ```swift
/// let receiver = try Receiver(store: directory, configuration: configuration, logger: logger)
/// try await receiver.run { address in print("listening on \(address)") }
/// ```
package final class Receiver: Sendable {
    package let configuration: ServeConfiguration
    package let store: StoreDirectory
    private let committer: StoreCommitter
    private let logger: Logger
    private let state = State()

    /// What the writer's failure callback shares with the server.
    private final class State: Sendable {
        let failure = Mutex<LogWriter.Failure?>(nil)
        let group = Mutex<ServiceGroup?>(nil)
    }

    /// Opens the store's writer (recovering it as `ingest` would).
    ///
    /// - Throws: ``ServeConfigurationError`` for a configuration that cannot
    ///   serve (a non-loopback address without a token, say); the store's
    ///   errors when its writer cannot open.
    package init(store: StoreDirectory, configuration: ServeConfiguration, logger: Logger) throws {
        if let problem = configuration.problem { throw ServeConfigurationError(message: problem) }
        self.configuration = configuration
        self.store = store
        self.logger = logger
        let state = self.state
        var options = LogWriter.Options(segmentSize: configuration.segmentSize, durability: configuration.durability,
                                        sealClosedSegments: configuration.sealClosedSegments)
        if configuration.viewer {
            // The runs list's summary of each new sealed segment, made while its pages are likely cached.
            options.onSealed = { segment in RunIndex.prepare(store, segment) }
        }
        committer = try StoreCommitter(
            directory: store, options: options, maxQueuedBytes: configuration.maxQueuedBytes,
            recentItems: configuration.recentItems,
            onFailure: { f in
                state.failure.withLock { if $0 == nil { $0 = f } }
                logger.critical("the store's writer failed; nothing more is acknowledged, shutting down: \(f.error)")
                let running = state.group.withLock { $0 }
                if let running { Task { await running.triggerGracefulShutdown() } }
            })
    }

    /// The writer's failure, if it failed while serving.
    package var writerFailure: LogWriter.Failure? { state.failure.withLock { $0 } }

    /// What the writer recovered when it opened the store.
    package var recovery: LogWriter.Recovery { committer.writer.recovery }

    /// Serves until SIGTERM or SIGINT (or ``shutdown()``), then closes the store.
    ///
    /// - Parameter onListening: called once with the bound address (`host:port`,
    ///   the real port when 0 was asked for), when every listener is up (the
    ///   TCP one and the store's socket), so a producer started then finds both.
    /// - Throws: a bind failure, or the store's error when closing it.
    package func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let socket = store.serverSocket
        let withSocket = socket.utf8.count < 108
        let ready = ListenersReady(count: withSocket ? 2 : 1, onReady: onListening)
        let requests = ByteBudget(limit: configuration.maxConcurrentRequests)
        let bodies = ByteBudget(limit: configuration.maxBufferedBodyBytes)
        let responder = ReceiverResponder(configuration: configuration, committer: committer, logger: logger, requireToken: true,
                                          requests: requests, bodies: bodies)
        let timeout = TimeAmount.seconds(Int64(configuration.readTimeoutSeconds))
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(timeout: timeout)],
                                                idleTimeout: timeout)),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "torqlog", reuseAddress: true),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                ready.up(address: Self.hostPort(channel.localAddress?.ipAddress ?? "?", port))
            },
            logger: logger)
        // The store's own producers (ingest, collectors) come through a Unix socket
        // in the store, mode 0600 (FORMAT.md §5). This process holds the store's
        // lock, so a socket found there is a dead server's: replace it.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        let logger = self.logger
        if withSocket {
            unlink(socket)
            let local = Application(
                responder: ReceiverResponder(configuration: configuration, committer: committer, logger: logger, requireToken: false,
                                             requests: requests, bodies: bodies),
                server: .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(timeout: timeout)],
                                                    idleTimeout: timeout)),
                configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socket), serverName: "torqlog"),
                onServerRunning: { _ in
                    if chmod(socket, 0o600) != 0 { logger.warning("chmod 0600 \(socket) failed: errno \(errno)") }
                    ready.up(address: nil)
                },
                logger: logger)
            services.append(.init(service: local))
        } else {
            logger.warning("the store's path is too long for a Unix socket (\(socket)): its other producers cannot write through this server")
        }
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        state.group.withLock { $0 = serviceGroup }
        if configuration.viewer {
            // The runs list's summaries of segments sealed before this server (one scan of each
            // that has none), made now rather than by the first request for the list.
            let store = self.store
            Task { _ = try? await NIOThreadPool.singleton.runIfActive { _ = try? RunIndex.runs(store) } }
        }
        var runError: (any Error)?
        do {
            try await serviceGroup.run()
        } catch let error as IOError {
            // Most often the address is taken: say which, with the errno.
            runError = ServeConfigurationError(message: "cannot listen on \(configuration.host):\(configuration.port): \(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))")
        } catch {
            runError = error
        }
        state.group.withLock { $0 = nil }
        unlink(socket)
        // Every request has been answered or cut off: write and sync the rest, close.
        do {
            try committer.close()
        } catch {
            if runError == nil, writerFailure == nil { throw error }
        }
        if let runError { throw runError }
    }

    /// Asks a running server to stop as on SIGTERM.
    package func shutdown() async {
        let running = state.group.withLock { $0 }
        await running?.triggerGracefulShutdown()
    }

    private static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A `serve` configuration that cannot serve, and why.
package struct ServeConfigurationError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// Calls `onReady` with the TCP address once every listener is up.
private final class ListenersReady: Sendable {
    private let state: Mutex<(left: Int, address: String?)>
    private let onReady: @Sendable (String) -> Void

    init(count: Int, onReady: @escaping @Sendable (String) -> Void) {
        state = Mutex((count, nil))
        self.onReady = onReady
    }

    /// One listener is up (the TCP one gives its address).
    func up(address: String?) {
        let ready: String? = state.withLock { s in
            if let address { s.address = address }
            s.left -= 1
            return s.left == 0 ? s.address : nil
        }
        if let ready { onReady(ready) }
    }
}
