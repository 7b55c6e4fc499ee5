import Synchronization
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// An ingester's appender for a store held by `torqlog serve`: each batch
/// goes to the server as one `POST /v1/events` over the store's socket, and
/// returns once the server says its records are durable (under the
/// producer's `--fsync`, which the server refuses if it cannot give it).
///
/// - **Order and once-only.** Batches are sent one at a time, in order, each
///   with this producer's id and its number: the server stores a resent
///   batch once, and equal lines within a batch all, as a direct writer does.
/// - **Back-pressure.** A 503 (the server's queue is full) is waited out
///   (`Retry-After`) and the batch sent again, so a fast producer slows to the
///   server's pace instead of failing.
/// - **Failure.** A server that goes away, or any other answer, fails the
///   append: the ingest stops, having acknowledged only what the server
///   acknowledged.
package final class ServerAppender: RecordAppender {
    package let link: ServerLink
    package let storePath: String
    /// This producer's id: random, for one run.
    package let producer: String
    private let fsync: DurabilityPolicy
    private let onDurable: @Sendable (Int) -> Void
    private let state = Mutex<(batches: UInt64, records: Int)>((0, 0))

    /// - Parameters:
    ///   - onDurable: told, after each batch, how many records this producer
    ///     has had acknowledged as durable in all.
    package init(link: ServerLink, store: StoreDirectory, fsync: DurabilityPolicy,
                 onDurable: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.link = link
        self.storePath = store.path
        self.fsync = fsync
        self.onDurable = onDurable
        var generator = SystemRandomNumberGenerator()
        producer = String(generator.next() as UInt64, radix: 16) + String(generator.next() as UInt64, radix: 16)
    }

    /// Records acknowledged durable so far.
    package var acknowledged: Int { state.withLock { $0.records } }

    /// The most payload bytes a request carries: a batch larger than this goes
    /// in several requests, in order, each under its own number (well under the
    /// server's `--max-body`, so that no batch is refused for its size alone).
    package static let requestBytes = 4 << 20

    package func appendRecords(_ batch: inout RecordBatch) throws {
        while !batch.isEmpty {
            // The next request: as many whole records as fit (at least one).
            var body: [UInt8] = []
            var records = 0
            batch.forEachPayload { payload in
                guard records == 0 || body.count + payload.count + 1 <= Self.requestBytes else { return }
                body.append(contentsOf: payload)
                body.append(0x0A)
                records += 1
            }
            try send(body, records: records)
            // Acknowledged: those records are done, whatever happens to the rest.
            batch.removeFirst(frames: records)
        }
    }

    /// Sends one request and returns once the server says it is durable.
    private func send(_ body: [UInt8], records: Int) throws {
        let number = state.withLock { $0.batches }
        let headers = [("Torqlog-Producer", producer), ("Torqlog-Batch", String(number)), ("Torqlog-Fsync", fsync.description)]
        while true {
            let answer = try link.post("/v1/events", contentType: "application/x-ndjson", headers: headers, body: body)
            switch answer.status {
            case 200:
                let total = state.withLock { s -> Int in
                    s.batches += 1
                    s.records += records
                    return s.records
                }
                onDurable(total)
                return
            case 503:
                usleep(200_000)  // the server's queue is full: wait and send the same request again
            default:
                throw ServerLinkError(socketPath: link.socketPath, errno: 0,
                                      "torqlog serve refused a batch (HTTP \(answer.status)): \(answer.text.trimmingCharacters())")
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == " " || last == "\r" { s.removeLast() }
        return String(s)
    }
}
