import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A `torqlog serve` on a free loopback port over its own store, started for one
/// test and killed (SIGKILL, by ``Child``) when the value goes away unless the test
/// stopped it first.
final class ServeProcess {
    let child: Child
    let store: String
    let port: Int

    /// Starts `torqlog --dir STORE serve --listen 127.0.0.1:0 OPTIONS` and waits for
    /// its one line on stdout, `torqlog serve: listening on http://127.0.0.1:PORT (…)`.
    init(store: String, _ options: [String] = []) throws {
        self.store = store
        child = try Child(["--dir", store, "serve", "--listen", "127.0.0.1:0"] + options, stdin: .null)
        guard child.waitForStdout(timeout: 30, { $0.contains(0x0A) }) else {
            child.signal(SIGKILL)
            throw HarnessError("torqlog serve did not say it listens: stdout \(String(decoding: child.stdout, as: UTF8.self).debugDescription), "
                               + "stderr \(String(decoding: child.stderr, as: UTF8.self).prefix(800))")
        }
        let line = String(decoding: child.stdout, as: UTF8.self)
        guard let match = line.firstMatch(of: #/^torqlog serve: listening on http://127\.0\.0\.1:(\d+) \(store (.+), fsync (\S+)\)\n$/#),
              let port = Int(match.1) else {
            child.signal(SIGKILL)
            throw HarnessError("unexpected first line of torqlog serve: \(line.debugDescription)")
        }
        self.port = port
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// `POST PATH` with `Content-Type: contentType` (and more `headers`) on a new connection.
    func post(_ path: String, _ contentType: String, _ body: [UInt8], headers: [(String, String)] = [],
              timeout: Double = 30) throws -> HTTPAnswer {
        try RawHTTPConnection.request(port: port, "POST", path, headers: [("Content-Type", contentType)] + headers,
                                      body: body, timeout: timeout)
    }

    /// `POST /v1/events` of `lines` as JSONL.
    func postEvents(_ lines: [String], headers: [(String, String)] = []) throws -> HTTPAnswer {
        try post("/v1/events", "application/x-ndjson", Array(lines.map { $0 + "\n" }.joined().utf8), headers: headers)
    }

    /// SIGTERM, then waits for the exit.
    func terminate(timeout: Double = 30) throws -> CommandResult {
        child.signal(SIGTERM)
        return try child.finish(timeout: timeout)
    }

    /// SIGKILL, then waits for the exit.
    func kill9() throws -> CommandResult {
        child.signal(SIGKILL)
        return try child.finish(timeout: 30)
    }
}

/// What the store at `store` holds, read by the binary's own readers.
enum StoreContents {
    /// The N of `torqlog verify`'s "N valid records" (verify must pass).
    static func validRecords(_ store: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let verify = try TorqlogBinary.run(["--dir", store, "verify"])
        #expect(verify.succeeded, "verify: \(verify.summary) \(verify.stdoutText.prefix(800))", sourceLocation: sourceLocation)
        let match = try #require(verify.stdoutText.firstMatch(of: #/(\d+) valid records?/#),
                                 "verify printed no record count: \(verify.stdoutText.prefix(800))", sourceLocation: sourceLocation)
        return Int(match.1) ?? -1
    }

    /// The `event_id`s of the store's records, each as often as it is stored.
    static func eventIDs(_ store: String) throws -> [String] {
        try storeEvents(store).compactMap { $0.string("event_id") }
    }
}

/// Lines of `/v1/events` JSONL: one `agent_run` event with id `PREFIX-N` for each N in `range`, in run `PREFIX`.
func eventLines(_ prefix: String, _ range: Range<Int>) -> [String] {
    range.map { n in
        #"{"event_id":"\#(prefix)-\#(n)","event_type":"agent_run","timestamp":"2026-03-01T12:00:00.000000Z","run_id":"\#(prefix)","agent_name":"load","status":"completed"}"#
    }
}
