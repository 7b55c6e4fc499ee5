#if canImport(Glibc)
import Glibc
#endif

/// Validates one part of a large read on another core while
/// ``JSONLIngester`` validates the first part on the calling thread (and
/// other workers the other parts).
///
/// The worker has its own parser, its own batch and its own list of rejections
/// (numbered from 1 within its part); the caller merges them in input order once
/// every part is done, so appends, line numbers and `--strict` behave exactly
/// as if one thread had read every line.
///
/// The job runs on a ``Worker`` (capacity 1) and its result comes back through
/// a ``ConditionLock``: the caller blocks (synchronously, inside `ingest`)
/// until the part is validated, and a job is a few milliseconds of CPU-bound
/// work that must start at once on the other core; blocking on a
/// cooperative-pool task from synchronous code is not allowed, and a
/// long-lived thread costs nothing between jobs.
final class ParseWorker: @unchecked Sendable {
    // @unchecked: `validator` is used only by the worker's thread; `batch` is used
    // by the thread while a job runs and by the owner only between `wait()` and
    // the next `start` (the result's lock orders them).

    /// A rejected line of the part: `line` counts from 1 at the part's first line.
    struct Rejected {
        var line: Int
        var reason: String
        var byteOffset: Int?
    }

    /// What a job did with its region.
    struct Result {
        /// Lines read (newlines consumed), blank and rejected ones included.
        var lines = 0
        /// Records appended to `batch`, and their payload bytes.
        var events = 0
        var bytes: Int64 = 0
        var rejections: [Rejected] = []
        /// Bytes of the region consumed (whole lines). Less than the region when
        /// the batch filled up (the caller handles the rest) or at a strict stop.
        var consumed = 0
        /// Stopped at a rejected line (`strict`).
        var stoppedAtRejection = false
        /// `RecordBatch.append` failed.
        var error: Error?
    }

    private struct Job: @unchecked Sendable {
        // @unchecked: the region is read by the worker only while the owner waits for the result.
        var start: UnsafeRawPointer
        var count: Int
        var strict: Bool
        var batchLimit: Int
        var transform: JSONLIngester.Transform?
    }

    /// The thread, created at the first job.
    private var worker: Worker<Job>?
    /// The result of the job started last, until `wait()` takes it.
    private let result = ConditionLock<Result?>(nil)
    private var running = false
    private var validator: LineValidator
    /// The records of the last job; the owner takes them after `wait()`.
    var batch = RecordBatch()

    init(maxLine: Int, keys: IndexedKeys) {
        validator = LineValidator(maxLine: maxLine, keys: keys)
    }

    /// Starts validating the complete lines in `start ..< start + count` (which
    /// must end with a newline and be followed by the parser's padding); the
    /// memory must stay valid and unchanged until `wait()` returns. Each valid
    /// line goes through `transform`, when given, on the worker's thread.
    /// - Throws: ``ThreadStartError`` when the worker's thread cannot be started.
    func start(_ start: UnsafeRawPointer, count: Int, strict: Bool, batchLimit: Int,
               transform: JSONLIngester.Transform? = nil) throws(ThreadStartError) {
        precondition(!running, "ParseWorker: a job is already running")
        let worker: Worker<Job>
        if let existing = self.worker {
            worker = existing
        } else {
            // The thread holds this object until `stop()`, which the owner calls.
            worker = try Worker<Job>(name: "torqlog-parse", capacity: 1) { [self, result] job in
                let r = process(job)
                result.withLock(notify: .one) { $0 = r }  // only the owner waits on it
            }
            self.worker = worker
        }
        running = true
        worker.submit(Job(start: start, count: count, strict: strict, batchLimit: batchLimit, transform: transform))
    }

    /// Waits for the job started last and returns what it did.
    func wait() -> Result {
        precondition(running, "ParseWorker: no job to wait for")
        running = false
        return result.wait(for: { $0.take() })
    }

    /// Stops the thread (after the job in progress, if any) and waits until it has exited.
    func stop() {
        worker?.stop(.finishQueued)
    }

    private func process(_ j: Job) -> Result {
        var r = Result()
        batch.removeAll()
        validator.transform = j.transform
        var scan = 0
        do {
            while scan < j.count {
                let p = j.start + scan
                let end: Int
                if let nl = memchr(p, 0x0A, j.count - scan) {
                    end = j.start.distance(to: UnsafeRawPointer(nl))
                } else {
                    end = j.count  // not expected: the region ends with a newline
                }
                r.lines += 1
                switch try validator.add(p, count: end - scan, to: &batch) {
                case .blank:
                    break
                case .stored(let n):
                    r.events += 1
                    r.bytes += Int64(n)
                case .rejected(let reason, let byteOffset):
                    r.rejections.append(Rejected(line: r.lines, reason: reason, byteOffset: byteOffset))
                    if j.strict {
                        r.stoppedAtRejection = true
                        r.consumed = min(end + 1, j.count)
                        return r
                    }
                }
                scan = min(end + 1, j.count)
                if batch.count >= j.batchLimit { break }
            }
        } catch {
            r.error = error
        }
        r.consumed = scan
        return r
    }
}
