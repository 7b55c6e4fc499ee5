import CSQLite
import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqJSON
import TorqEvents
#endif

/// The seed's default storage, done well, against the system libsqlite3:
/// WAL journal, `synchronous=NORMAL`, one prepared INSERT reused, transactions
/// of 1,000 events, an index on run_id, the event JSON in a column plus the
/// run_id, event_type and timestamp columns extracted with the same
/// `JSONLineParser` (simdjson, full validation) that torqlog uses.
enum SQLiteBaseline {
    static let transactionSize = 1000

    static let schema = """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            run_id TEXT,
            event_type TEXT,
            timestamp INTEGER,
            json TEXT NOT NULL
        );
        CREATE INDEX events_run_id ON events(run_id);
        """

    static var version: String { String(cString: sqlite3_libversion()) }

    /// Ingests the JSONL file at `input` into a new database at `path`; returns events and JSON bytes stored.
    /// Records one latency per transaction (1,000 inserts and the COMMIT).
    static func ingest(input: String, path: String, latency: inout LatencyRecorder) throws -> (events: Int, bytes: Int64) {
        let db = try Database(path: path, create: true)
        try db.exec("PRAGMA journal_mode=WAL")
        try db.exec("PRAGMA synchronous=NORMAL")
        try db.exec(schema)
        let insert = try db.prepare("INSERT INTO events (run_id, event_type, timestamp, json) VALUES (?1, ?2, ?3, ?4)")
        defer { sqlite3_finalize(insert) }
        var parser = JSONLineParser(maxLineLength: 16 << 20, keys: EventKeys.names)
        var reader = try LineReader(path: input)
        var events = 0
        var bytes: Int64 = 0
        var inTransaction = 0
        var lineNumber = 0
        latency.start()
        try db.exec("BEGIN")
        try reader.forEachLine { line in
            lineNumber += 1
            guard case .object(let keys) = parser.parse(line) else {
                throw BenchError("sqlite baseline: line \(lineNumber) of \(input) is not a JSON object")
            }
            bindText(insert, 1, keys[EventKeys.runSlot].bytes)
            bindText(insert, 2, keys[EventKeys.typeSlot].bytes)
            if let t = keys[EventKeys.timeSlot].bytes.flatMap({ RFC3339.parseNanoseconds($0) }) {
                sqlite3_bind_int64(insert, 3, t)
            } else {
                sqlite3_bind_null(insert, 3)
            }
            bindText(insert, 4, line)
            guard sqlite3_step(insert) == SQLITE_DONE else { throw db.error("INSERT") }
            sqlite3_reset(insert)
            events += 1
            bytes += Int64(line.count)
            inTransaction += 1
            if inTransaction == transactionSize {
                try db.exec("COMMIT")
                latency.lap()
                try db.exec("BEGIN")
                inTransaction = 0
            }
        }
        try db.exec("COMMIT")
        if inTransaction > 0 { latency.lap() }
        return (events, bytes)
    }

    /// Every event of `runID`, in insertion order, through the run_id index; returns events and JSON bytes.
    static func replay(path: String, runID: String) throws -> (events: Int, bytes: Int64) {
        let db = try Database(path: path, create: false)
        let select = try db.prepare("SELECT json FROM events WHERE run_id = ?1 ORDER BY seq")
        defer { sqlite3_finalize(select) }
        var id = runID
        return try id.withUTF8 { utf8 in
            sqlite3_bind_text(select, 1, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(utf8.count), nil)
            return try readJSON(db, select)
        }
    }

    /// Every event, in insertion order; returns events and JSON bytes.
    /// Records one latency per 1,000 rows.
    static func scan(path: String, latency: inout LatencyRecorder) throws -> (events: Int, bytes: Int64) {
        let db = try Database(path: path, create: false)
        let select = try db.prepare("SELECT json FROM events ORDER BY seq")
        defer { sqlite3_finalize(select) }
        return try readJSON(db, select, latency: &latency)
    }

    /// Opening only: the connection plus the schema read (SQLite opens lazily).
    static func open(path: String) throws {
        let db = try Database(path: path, create: false)
        try db.exec("PRAGMA schema_version")
    }

    /// What `StoreStatistics` computes: records, distinct runs, records without a run,
    /// time range, payload bytes, and records per type.
    static func statistics(path: String) throws -> (records: Int, runs: Int, types: Int) {
        let db = try Database(path: path, create: false)
        let totals = try db.prepare("SELECT count(*), count(DISTINCT run_id), sum(run_id IS NULL), min(timestamp), max(timestamp), sum(length(CAST(json AS BLOB))) FROM events")
        defer { sqlite3_finalize(totals) }
        guard sqlite3_step(totals) == SQLITE_ROW else { throw db.error("SELECT count(*)") }
        let records = Int(sqlite3_column_int64(totals, 0))
        let runs = Int(sqlite3_column_int64(totals, 1))
        let byType = try db.prepare("SELECT event_type, count(*) FROM events GROUP BY event_type")
        defer { sqlite3_finalize(byType) }
        var types = 0
        while true {
            let rc = sqlite3_step(byType)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw db.error("SELECT event_type") }
            types += 1
        }
        return (records, runs, types)
    }

    /// Rows in the database.
    static func count(path: String) throws -> Int {
        let db = try Database(path: path, create: false)
        let stmt = try db.prepare("SELECT count(*) FROM events")
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw db.error("SELECT count(*)") }
        return Int(sqlite3_column_int64(stmt, 0))
    }

    private static func readJSON(_ db: Database, _ stmt: OpaquePointer) throws -> (events: Int, bytes: Int64) {
        var none = LatencyRecorder(operation: "")
        return try readJSON(db, stmt, latency: &none, record: false)
    }

    private static func readJSON(_ db: Database, _ stmt: OpaquePointer, latency: inout LatencyRecorder,
                                 record: Bool = true) throws -> (events: Int, bytes: Int64) {
        var events = 0
        var bytes: Int64 = 0
        if record { latency.start() }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw db.error("SELECT") }
            // The JSON text as stored (a blob view: no conversion, no copy).
            _ = sqlite3_column_blob(stmt, 0)
            let n = Int(sqlite3_column_bytes(stmt, 0))
            events += 1
            bytes += Int64(n)
            if record && events % 1000 == 0 { latency.lap() }
        }
        return (events, bytes)
    }

    private static func bindText(_ stmt: OpaquePointer, _ index: Int32, _ text: UnsafeRawBufferPointer?) {
        guard let text else { sqlite3_bind_null(stmt, index); return }
        // SQLITE_STATIC (nil): the bytes stay valid until the step that uses them.
        if let p = text.baseAddress {
            sqlite3_bind_text(stmt, index, p.assumingMemoryBound(to: CChar.self), Int32(text.count), nil)
        } else {
            sqlite3_bind_text(stmt, index, "", 0, nil)
        }
    }

    /// One connection, closed on deinit (which checkpoints the WAL when it is the last one).
    final class Database {
        let handle: OpaquePointer
        let path: String

        /// Opens `path`; with `busyTimeoutMilliseconds`, a statement meeting another
        /// connection's lock waits that long before failing with SQLITE_BUSY.
        init(path: String, create: Bool, busyTimeoutMilliseconds: Int32 = 0) throws {
            var h: OpaquePointer?
            let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
            let rc = sqlite3_open_v2(path, &h, flags, nil)
            guard rc == SQLITE_OK, let h else {
                let message = h.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
                if let h { sqlite3_close_v2(h) }
                throw BenchError("sqlite: cannot open \(path): \(message)")
            }
            handle = h
            self.path = path
            if busyTimeoutMilliseconds > 0 { sqlite3_busy_timeout(h, busyTimeoutMilliseconds) }
            // A page cache of 64 MiB (default 2 MiB): helps the run_id index during ingest.
            try exec("PRAGMA cache_size=-65536")
        }

        deinit { sqlite3_close_v2(handle) }

        func exec(_ sql: String) throws {
            var message: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
                let text = message.map { String(cString: $0) } ?? "unknown error"
                sqlite3_free(message)
                throw BenchError("sqlite: \(sql.prefix(40)): \(text)")
            }
        }

        func prepare(_ sql: String) throws -> OpaquePointer {
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw error("prepare \(sql.prefix(40))") }
            return stmt
        }

        func error(_ what: String) -> BenchError {
            BenchError("sqlite: \(what): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }
}
