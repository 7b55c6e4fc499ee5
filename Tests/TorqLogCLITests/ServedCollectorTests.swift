import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several processes with collectors writing into one store held by `torqlog
/// serve`: their store sinks write through the server instead of failing on
/// the store's lock.
@Suite("collectors through torqlog serve")
struct ServedCollectorTests {
    @Test("two torqlog demo processes at once write into one served store: both succeed, each one's events stored once")
    func twoDemosIntoOneServedStore() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            try waitForStoreSocket(store)
            let demos = try [Child(["--dir", store, "demo", "--runs", "6"], stdin: .null),
                             Child(["--dir", store, "demo", "--runs", "4"], stdin: .null)]
            let results = try demos.map { try $0.finish(timeout: 60) }
            var wrote: [Int] = []
            for r in results {
                #expect(r.succeeded, "demo: \(r.summary)")
                #expect(!r.stderrText.contains("dropped"), "demo dropped events: \(r.stderrText.prefix(800))")
                let m = try #require(r.stdoutText.firstMatch(of: #/Wrote (\d+) events of (\d+) agent runs/#), "demo output: \(r.stdoutText.prefix(800))")
                wrote.append(try #require(Int(m.1)))
            }
            let stopped = try server.terminate()
            #expect(stopped.succeeded, "serve: \(stopped.summary)")

            let events = try storeEvents(store)
            #expect(events.count == wrote.reduce(0, +), "stored \(events.count), the demos wrote \(wrote)")
            let ids = events.compactMap { $0["event_id"] as? String }
            #expect(ids.count == events.count && Set(ids).count == ids.count, "an event without an id or stored twice")
            // Each demo has its own session: its events are all there, its runs whole.
            var bySession: [String: Int] = [:]
            var runsBySession: [String: Set<String>] = [:]
            for event in events {
                let session = event["session_id"] as? String ?? "?"
                bySession[session, default: 0] += 1
                if let run = event["run_id"] as? String { runsBySession[session, default: []].insert(run) }
            }
            #expect(bySession.values.sorted() == wrote.sorted(), "events by session \(bySession), the demos wrote \(wrote)")
            #expect(runsBySession.values.map(\.count).sorted() == [4, 6], "runs by session: \(runsBySession.mapValues(\.count))")
            #expect(try StoreContents.validRecords(store) == events.count)
        }
    }

    /// Waits until `torqlog serve` listens on the store's socket (it makes it 0600 then).
    private func waitForStoreSocket(_ store: String) throws {
        let deadline = Date().addingTimeInterval(10)
        var info = stat()
        while !(stat(store + "/serve.sock", &info) == 0 && info.st_mode & 0o777 == 0o600) {
            guard Date() < deadline else { throw HarnessError("torqlog serve's socket \(store)/serve.sock did not appear") }
            usleep(2000)
        }
    }
}
