import TorqEvents
import TorqLogStore
import TorqPrivacy

/// Encodes one chunk of the flusher's events on another core, while the
/// flusher writes the chunk before it and other workers encode the chunks
/// after it.
///
/// The worker has its own ``BatchEncoder`` (its own event-ID generator,
/// redaction counts and batch-size estimate) and fills its own ``RecordBatch``; the
/// flusher takes the chunks' batches in the order of its events, so the
/// store receives them exactly as one thread would have written them.
///
/// The job runs on a ``Worker`` (capacity 1) and its result comes back
/// through a ``ConditionLock``, as ``ParseWorker``'s do in ingest: the flusher
/// is a thread that blocks (synchronously) until the chunk is encoded, and a
/// long-lived thread costs nothing between jobs.
final class EncodeWorker: @unchecked Sendable {
    // @unchecked: `encoder` is used only by the worker's thread; the events a
    // job points to are touched by the worker only while its job runs, and by
    // the owner only after `wait()` (the result's lock orders them).

    /// What a job did with its chunk.
    struct Chunk {
        /// The chunk's records, in the order of its events.
        var batch = RecordBatch()
        /// Events that cannot be stored (over the store's record limit).
        var unwritable = 0
        /// Bytes of JSON added.
        var bytes: Int64 = 0
        var redactions = RedactionCounts()
    }

    private struct Job: @unchecked Sendable {
        // @unchecked: the events are the owner's, lent to the worker until `wait()` returns.
        var events: UnsafeMutableBufferPointer<AnyTelemetryEvent>
        /// An empty batch (with capacity) to fill.
        var batch: RecordBatch
    }

    private let worker: Worker<Job>
    /// The chunk of the job started last, until `wait()` takes it.
    private let result: ConditionLock<Chunk?>
    private var running = false

    /// Starts the worker's thread.
    /// - Throws: ``ThreadStartError`` when the system refuses a thread.
    init(filter: (any JSONRedacting)?) throws(ThreadStartError) {
        let result = ConditionLock<Chunk?>(nil)
        var encoder = BatchEncoder(filter: filter)
        worker = try Worker<Job>(name: "torqlog-encode", capacity: 1) { job in
            let chunk = Self.encode(job.events, into: job.batch, with: &encoder)
            result.withLock(notify: .one) { $0 = chunk }  // only the owner waits on it
        }
        self.result = result
    }

    /// Starts encoding `events` into `batch` (emptied first). The events must
    /// stay valid, and untouched by the caller, until `wait()` returns; the
    /// worker stamps a missing `event_id` in place.
    func start(_ events: UnsafeMutableBufferPointer<AnyTelemetryEvent>, into batch: consuming RecordBatch) {
        precondition(!running, "EncodeWorker: a job is already running")
        running = true
        worker.submit(Job(events: events, batch: batch))
    }

    /// Waits for the job started last and returns its chunk.
    func wait() -> Chunk {
        precondition(running, "EncodeWorker: no job to wait for")
        running = false
        return result.wait(for: { $0.take() })
    }

    /// Stops the thread (after the job in progress, if any) and waits until it has exited.
    func stop() {
        worker.stop(.finishQueued)
    }

    /// What an encoded event is replaced with: nothing but empty strings
    /// (stored inline) and an empty dictionary (a shared singleton), so the
    /// flusher frees nothing when it empties its array.
    private static let spent = AnyTelemetryEvent.toolExecution(ToolExecutionEvent(header: EventHeader(eventID: "", timestamp: 0, sessionID: ""),
                                                                                  toolName: "", toolType: "", status: .completed))

    /// Encodes `events` into `batch` with `encoder`, replacing each event
    /// once encoded (its strings are released on this thread): the one
    /// encoding loop, run by workers and by the flusher itself.
    static func encode(_ events: UnsafeMutableBufferPointer<AnyTelemetryEvent>, into batch: consuming RecordBatch,
                       with encoder: inout BatchEncoder) -> Chunk {
        var chunk = Chunk(batch: batch)
        chunk.batch.removeAll()
        // One allocation of the size the chunk will likely take, rather than a
        // doubling chain on this thread (whose freed steps stay in its malloc arena).
        chunk.batch.reserveCapacity(records: events.count, bytes: encoder.expectedBytes(events: events.count))
        for i in events.indices {
            if !encoder.add(&events[i], to: &chunk.batch) { chunk.unwritable += 1 }
            // Released here, on the encoding thread, not by the flusher when it empties its array.
            events[i] = Self.spent
        }
        encoder.observe(frames: chunk.batch.count, bytes: chunk.batch.byteCount)
        chunk.bytes = encoder.takeBytes()
        chunk.redactions = encoder.takeRedactions()
        return chunk
    }
}
