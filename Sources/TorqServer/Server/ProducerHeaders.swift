import HTTPTypes

/// The headers a producer of the store (`torqlog ingest`, a collector) sends
/// with `POST /v1/events` over the store's socket.
package enum ProducerHeaders {
    /// Who sends: an id the producer keeps for its whole run.
    package static let producer = HTTPField.Name("Torqlog-Producer")!
    /// The batch's number from the producer, counted from 0: a resent batch keeps its number.
    package static let batch = HTTPField.Name("Torqlog-Batch")!
    /// The durability the producer needs before the answer (`always`, `batch`, `never`).
    package static let fsync = HTTPField.Name("Torqlog-Fsync")!
}
