import CSQLite
import TorqTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// The seed's collector with SQLite storage, done well: producers hand
/// typed events to one writer thread (`HandoffQueue`), which encodes each
/// with torqlog's own encoder and inserts it with one prepared INSERT, in
/// transactions of 1,000 (WAL journal, `synchronous=NORMAL`, the schema and
/// run_id index of `SQLiteBaseline`). A live reader polls
/// `SELECT … WHERE seq > ?` on its own connection.
enum SQLiteCollectorBaseline {
    /// How long a connection waits for another one's lock (a reader meeting a
    /// checkpoint, say) before SQLITE_BUSY: what a live reader must set.
    static let busyTimeoutMilliseconds: Int32 = 5000

    /// Creates the database with its schema (before the timed part).
    static func create(path: String) throws {
        let db = try SQLiteBaseline.Database(path: path, create: true)
        try db.exec("PRAGMA journal_mode=WAL")
        try db.exec(SQLiteBaseline.schema)
    }

    /// The writer thread: takes what producers queued, inserts it, commits
    /// every `commitEvery` events and, with `maxDelayNanoseconds`, also when
    /// the open transaction is that old; returns the events inserted once
    /// the queue is closed and empty and the last COMMIT and the close
    /// (which checkpoints the WAL) are done.
    ///
    /// On a failure it keeps taking (and discarding) events, so that
    /// producers blocked on a full queue are not stuck, and returns the error.
    /// With `discardBacklog`, it stops inserting once the queue is closed and
    /// discards what is still queued (the memory benchmark, which only needs
    /// the backlog to build up).
    static func writer(queue: HandoffQueue<AnyTelemetryEvent>, path: String, commitEvery: Int = SQLiteBaseline.transactionSize,
                       maxDelayNanoseconds: Int? = nil, discardBacklog: Bool = false) -> Result<Int, BenchError> {
        var batch: [AnyTelemetryEvent] = []
        batch.reserveCapacity(min(queue.capacity, 1 << 16))
        let result: Result<Int, BenchError>
        do {
            result = .success(try insertAll(queue: queue, path: path, batch: &batch, commitEvery: commitEvery,
                                             maxDelayNanoseconds: maxDelayNanoseconds, discardBacklog: discardBacklog))
        } catch let e as BenchError {
            result = .failure(e)
        } catch {
            result = .failure(BenchError("sqlite writer: \(error)"))
        }
        while queue.take(into: &batch) {}
        return result
    }

    private static func insertAll(queue: HandoffQueue<AnyTelemetryEvent>, path: String, batch: inout [AnyTelemetryEvent],
                                  commitEvery: Int, maxDelayNanoseconds: Int?, discardBacklog: Bool) throws -> Int {
        let db = try SQLiteBaseline.Database(path: path, create: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try db.exec("PRAGMA synchronous=NORMAL")
        let insert = try db.prepare("INSERT INTO events (run_id, event_type, timestamp, json) VALUES (?1, ?2, ?3, ?4)")
        defer { sqlite3_finalize(insert) }
        var json: [UInt8] = []
        json.reserveCapacity(4096)
        var inserted = 0
        var inTransaction = 0
        var transactionStart: UInt64 = 0
        func commit() throws {
            try db.exec("COMMIT")
            inTransaction = 0
        }
        while true {
            var timeout: Int?
            if let maxDelayNanoseconds, inTransaction > 0 {
                let age = Int(monotonicNanoseconds() - transactionStart)
                timeout = max(0, maxDelayNanoseconds - age)
            }
            let open = queue.take(into: &batch, timeoutNanoseconds: timeout)
            if discardBacklog && queue.isClosed { break }
            for event in batch {
                if inTransaction == 0 {
                    try db.exec("BEGIN")
                    transactionStart = monotonicNanoseconds()
                }
                json.removeAll(keepingCapacity: true)
                event.encodeJSON(into: &json)
                let header = event.header
                try withText(header.runID) { run in
                    try withText(event.eventType.rawValue) { type in
                        try json.withUnsafeBytes { payload in
                            bind(insert, 1, run)
                            bind(insert, 2, type)
                            sqlite3_bind_int64(insert, 3, header.timestamp)
                            bind(insert, 4, payload)
                            guard sqlite3_step(insert) == SQLITE_DONE else { throw db.error("INSERT") }
                            sqlite3_reset(insert)
                        }
                    }
                }
                inserted += 1
                inTransaction += 1
                if inTransaction == commitEvery { try commit() }
            }
            if let maxDelayNanoseconds, inTransaction > 0, Int(monotonicNanoseconds() - transactionStart) >= maxDelayNanoseconds {
                try commit()
            }
            if !open { break }
        }
        if inTransaction > 0 { try commit() }
        return inserted
    }

    /// A live reader: polls `SELECT seq, json FROM events WHERE seq > ?` every
    /// `intervalMicroseconds` on its own connection, calling `body` with each
    /// new row's JSON and the CLOCK_MONOTONIC time its poll returned it, until
    /// `body` returns false; returns the rows seen. Fails when no row arrives
    /// for `stallSeconds`.
    static func pollingReader(path: String, intervalMicroseconds: UInt32 = 1000, stallSeconds: Double = 20,
                              _ body: (UnsafeRawBufferPointer, UInt64) -> Bool) -> Result<Int, BenchError> {
        do {
            let db = try SQLiteBaseline.Database(path: path, create: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            let select = try db.prepare("SELECT seq, json FROM events WHERE seq > ?1 ORDER BY seq")
            defer { sqlite3_finalize(select) }
            var last: Int64 = 0
            var seen = 0
            var lastProgress = monotonicNanoseconds()
            while true {
                sqlite3_bind_int64(select, 1, last)
                var got = 0
                var keepGoing = true
                while keepGoing {
                    let rc = sqlite3_step(select)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw db.error("SELECT") }
                    last = sqlite3_column_int64(select, 0)
                    let bytes = sqlite3_column_blob(select, 1)
                    let n = Int(sqlite3_column_bytes(select, 1))
                    got += 1
                    keepGoing = body(UnsafeRawBufferPointer(start: bytes, count: n), monotonicNanoseconds())
                }
                sqlite3_reset(select)
                seen += got
                if !keepGoing { return .success(seen) }
                let now = monotonicNanoseconds()
                if got > 0 {
                    lastProgress = now
                } else {
                    if Double(now - lastProgress) / 1e9 > stallSeconds {
                        throw BenchError("sqlite polling reader: no new row for \(Int(stallSeconds)) s after \(seen) rows")
                    }
                    usleep(intervalMicroseconds)
                }
            }
        } catch let e as BenchError {
            return .failure(e)
        } catch {
            return .failure(BenchError("sqlite reader: \(error)"))
        }
    }

    private static func withText<R>(_ s: String?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard var s else { return try body(nil) }
        return try s.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    /// Binds text without a copy (SQLITE_STATIC: valid until the step that uses it).
    private static func bind(_ stmt: OpaquePointer, _ index: Int32, _ text: UnsafeRawBufferPointer?) {
        guard let text else { sqlite3_bind_null(stmt, index); return }
        if let p = text.baseAddress {
            sqlite3_bind_text(stmt, index, p.assumingMemoryBound(to: CChar.self), Int32(text.count), nil)
        } else {
            sqlite3_bind_text(stmt, index, "", 0, nil)
        }
    }
}
