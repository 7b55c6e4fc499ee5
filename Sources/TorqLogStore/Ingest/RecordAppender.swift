/// Where an ingester's batches go: the store's own writer (``LogWriter``), or
/// a server that holds the store and writes for its other producers.
///
/// Batches come in input order, one at a time, from the ingester's append
/// thread; on return the batch's records are appended (as durable as the
/// appender promises) and the batch may be left empty.
public protocol RecordAppender: Sendable {
    /// Appends the records of `batch`, in order.
    /// - Throws: why they could not all be appended; nothing later is appended.
    func appendRecords(_ batch: inout RecordBatch) throws
    /// The store written, for messages.
    var storePath: String { get }
}

extension LogWriter: RecordAppender {
    public func appendRecords(_ batch: inout RecordBatch) throws { try append(&batch) }
    public var storePath: String { directory.path }
}
