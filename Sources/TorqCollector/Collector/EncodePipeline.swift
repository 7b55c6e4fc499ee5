import Logging
import TorqEvents
import TorqLogStore

/// The flusher's encoding stage: it turns what the flusher took from the
/// queue into chunks of framed records, on one ``EncodeWorker`` per core,
/// and hands the chunks back to the flusher in the order of the events, so
/// that the flusher writes chunk k while the workers encode the chunks after it.
///
/// - **Width from the machine.** One worker per core this process may run on
///   (``ParallelWidth/available()``: the affinity mask, so `taskset` and
///   cgroups narrow it), started when a take first has chunks for them. On
///   one core there are no workers: the flusher encodes each chunk itself,
///   then writes it.
/// - **Small takes stay on the flusher.** A take that makes one chunk is
///   encoded on the flusher's thread: handing it to a worker would only add
///   a thread wake-up to the latency of a quiet collector.
/// - **Bounded.** At most one chunk per worker is in flight beyond the one
///   being written; chunks are at most `batchSize` events, and their batches
///   are reused.
/// - **Same records as one thread.** Each chunk is encoded by exactly one
///   encoder, and chunks are delivered in order: the store holds the same
///   records in the same order whatever the width.
struct EncodePipeline: ~Copyable {
    /// The smallest chunk handed to a worker (unless the batch size is smaller).
    static let minimumChunk = 64

    private var encoder: BatchEncoder
    private let filter: (any JSONRedacting)?
    private let logger: Logger
    /// The encoding threads wanted: one per core, none on one core.
    private let width: Int
    /// Started on demand: a collector that never takes more than a chunk at
    /// once never starts one.
    private var workers: [EncodeWorker] = []
    /// A thread could not be started: the stage stays as narrow as it is.
    private var narrowed = false
    /// Emptied batches, reused for the next chunks.
    private var spares: [RecordBatch] = []

    /// A stage of `width` encoding threads (none when `width` is 1), started
    /// when a take first needs them.
    init(filter: (any JSONRedacting)?, width: Int, logger: Logger) {
        encoder = BatchEncoder(filter: filter)
        self.filter = filter
        self.logger = logger
        self.width = width > 1 ? width : 0
    }

    /// Encoding threads started so far.
    var threads: Int { workers.count }

    /// Starts workers until `wanted` run (at most `width`). One that cannot
    /// start (the system refuses a thread) narrows the stage for good, logged once.
    private mutating func startWorkers(upTo wanted: Int) {
        while !narrowed, workers.count < min(wanted, width) {
            do {
                workers.append(try EncodeWorker(filter: filter))
            } catch {
                narrowed = true
                logger.warning("telemetry collector: fewer encoding threads than cores", metadata: [
                    "threads": "\(workers.count)", "cores": "\(width)", "error": "\(error)",
                ])
            }
        }
    }

    /// Encodes `events` in chunks of at most `batchSize` and calls `deliver`
    /// with each chunk, in order, on the calling thread. `deliver` takes the
    /// chunk's batch (a sink swaps it for an empty one); what it leaves in it
    /// is discarded. `events` must stay valid until this returns.
    mutating func encode(_ events: UnsafeMutableBufferPointer<AnyTelemetryEvent>, batchSize: Int,
                         deliver: (inout EncodeWorker.Chunk) -> Void) {
        let n = events.count
        guard n > 0 else { return }
        // Spread a take over the threads wanted, in chunks of at most a batch.
        let size = width == 0 ? batchSize : min(batchSize, max(Self.minimumChunk, (n + width - 1) / width))
        let chunks = (n + size - 1) / size
        if chunks > 1 { startWorkers(upTo: chunks) }
        let lanes = workers.count
        func slice(_ c: Int) -> UnsafeMutableBufferPointer<AnyTelemetryEvent> {
            UnsafeMutableBufferPointer(rebasing: events[(c * size)..<min(n, (c + 1) * size)])
        }
        guard lanes > 0, chunks > 1 else {
            for c in 0..<chunks {
                var chunk = EncodeWorker.encode(slice(c), into: spares.popLast() ?? RecordBatch(), with: &encoder)
                deliver(&chunk)
                recycle(chunk.batch)
            }
            return
        }
        for c in 0..<min(lanes, chunks) {
            workers[c].start(slice(c), into: spares.popLast() ?? RecordBatch())
        }
        for c in 0..<chunks {
            let worker = workers[c % lanes]
            var chunk = worker.wait()
            if c + lanes < chunks { worker.start(slice(c + lanes), into: spares.popLast() ?? RecordBatch()) }
            deliver(&chunk)
            recycle(chunk.batch)
        }
    }

    private mutating func recycle(_ batch: consuming RecordBatch) {
        guard spares.count <= workers.count else { return }
        var batch = batch
        batch.removeAll()
        spares.append(batch)
    }

    /// Stops the workers (none is busy between `encode` calls).
    consuming func stop() {
        for worker in workers { worker.stop() }
    }
}
