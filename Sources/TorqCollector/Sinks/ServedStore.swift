import TorqLogStore
import TorqServerLink

/// The store sink's way into a store held by `torqlog serve` (another process
/// has the store's lock): each batch goes to the server over the store's
/// socket, and `append` returns once the server says it is durable under the
/// collector's `fsync`.
///
/// Failure contract: when `append` throws, the batch is left whole and
/// unacknowledged, and the next `append` sends it again under the same batch
/// number, which the server stores once. A batch the server may have received
/// without answering (it died half-way) is *in doubt*: it may be stored. It is
/// only ever sent again to a server, never written directly, so that it is not
/// stored twice by this sink (a server started anew does not know the numbers
/// its predecessor stored, so even then it may be).
///
/// Used by the flusher thread only.
final class ServedStore {
    private let directory: StoreDirectory
    private let fsync: DurabilityPolicy
    private var appender: ServerAppender
    /// The last append failed: the server may have gone away.
    private var failed = false
    /// The pending batch reached a server that did not acknowledge it.
    private var pendingInDoubt = false

    private init(directory: StoreDirectory, fsync: DurabilityPolicy, link: ServerLink) {
        self.directory = directory
        self.fsync = fsync
        appender = ServerAppender(link: link, store: directory, fsync: fsync)
    }

    /// The server holding `directory`, if one answers on its socket.
    /// - Throws: a `StoreError` (`.locked`) when a server is there but this
    ///   user may not connect to it.
    static func find(_ directory: StoreDirectory, fsync: DurabilityPolicy) throws -> ServedStore? {
        try link(directory).map { ServedStore(directory: directory, fsync: fsync, link: $0) }
    }

    private static func link(_ directory: StoreDirectory) throws -> ServerLink? {
        do {
            return try ServerLink.find(directory)
        } catch {
            throw StoreError(.locked, path: directory.path, error.message)
        }
    }

    /// Sends `batch` and returns once the server has made it durable, leaving
    /// it empty; on a failure, throws and leaves it whole for the next call.
    func append(_ batch: inout RecordBatch) throws {
        do {
            try appender.appendRecords(&batch)
            failed = false
            pendingInDoubt = false
        } catch {
            failed = true
            if (error as? ServerLinkError)?.requestSent ?? true { pendingInDoubt = true }
            throw error
        }
    }

    /// A writer of the sink's own, when the server went away since the last
    /// append failed, no other process holds the store, and the pending batch
    /// is not in doubt; nil while the store should still be written through a
    /// server.
    func writerAfterServer(options: LogWriter.Options) throws -> LogWriter? {
        guard failed, !pendingInDoubt, try Self.link(directory) == nil else { return nil }
        do {
            return try LogWriter(directory: directory, options: options)
        } catch let error as StoreError where error.kind == .locked {
            return nil  // held by someone else: the next append fails and is retried
        }
    }

    /// The pending batch was given up: the next batches go under a new
    /// producer id, so that none takes a number the server may hold for a
    /// batch it received but never acknowledged.
    func pendingDiscarded() {
        if failed {
            appender = ServerAppender(link: appender.link, store: directory, fsync: fsync)
        }
        pendingInDoubt = false
    }
}
