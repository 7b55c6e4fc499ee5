import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog serve` answers 200 only for what is durable: clients post events in a
/// loop and note every answered request; the server is killed (SIGKILL) or stopped
/// (SIGTERM) under that load; every event of an answered request is in the store,
/// once, and the store verifies.
@Suite("serve: SIGKILL and SIGTERM under load")
struct ServeCrashTests {
    static let clients = 4
    static let eventsPerRequest = 10

    /// The checks after the server is gone: verify passes, every acknowledged event is
    /// stored, none twice, none that was not sent. Returns the number of events stored.
    @discardableResult
    static func expectAcknowledgedEventsStored(_ store: String, _ load: EventLoad, _ label: String,
                                               sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let records = try StoreContents.validRecords(store, sourceLocation: sourceLocation)
        let stored = try StoreContents.eventIDs(store)
        let storedSet = Set(stored)
        #expect(stored.count == records, "\(label): export and verify disagree: \(stored.count) against \(records)", sourceLocation: sourceLocation)
        #expect(storedSet.count == stored.count, "\(label): \(stored.count - storedSet.count) events stored twice", sourceLocation: sourceLocation)
        let acknowledged = load.acknowledgedIDs
        let missing = Set(acknowledged).subtracting(storedSet)
        #expect(missing.isEmpty, "\(label): \(missing.count) of \(acknowledged.count) acknowledged events are not in the store, e.g. \(missing.sorted().prefix(5))",
                sourceLocation: sourceLocation)
        let unknown = storedSet.subtracting(load.sentIDs)
        #expect(unknown.isEmpty, "\(label): stored events that were never sent: \(unknown.sorted().prefix(5))", sourceLocation: sourceLocation)
        return stored.count
    }

    @Test("SIGKILL under load: every event answered 200 is stored, once; the store verifies and reopens",
          arguments: ["always", "batch"])
    func killUnderLoadKeepsEveryAnsweredEvent(fsync: String) throws {
        try withTemporaryStore { store, _ in
            let started = Date()
            let server = try ServeProcess(store: store, ["--fsync", fsync])
            let load = EventLoad(port: server.port, clients: Self.clients, eventsPerRequest: Self.eventsPerRequest, prefix: "k-\(fsync)")
            #expect(load.waitForAcknowledgedRequests(150, timeout: 30), "the clients got no 200 answers: \(load.outcomes)")
            let killed = try server.kill9()
            #expect(killed.signaled && killed.status == SIGKILL, "\(killed.summary)")
            #expect(load.waitUntilFinished(timeout: 30), "the clients did not stop after the kill")
            let stored = try Self.expectAcknowledgedEventsStored(store, load, "after SIGKILL, --fsync \(fsync)")

            // The next server recovers the store and keeps every record.
            let next = try ServeProcess(store: store, ["--fsync", fsync])
            #expect(try next.postEvents(eventLines("after-kill", 0..<1)).status == 200)
            #expect(try next.terminate().succeeded)
            #expect(try StoreContents.validRecords(store) == stored + 1, "the reopened store lost or gained records")
            print("ServeCrashTests --fsync \(fsync): \(load.acknowledgedIDs.count) events acknowledged, \(stored) stored; "
                  + "answers \(load.outcomes.sorted { $0.key < $1.key }); \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }

    @Test("SIGTERM under load: exit 0, the store verifies, every event answered 200 is stored, once")
    func sigtermAnswersInFlightSyncsAndExitsZero() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--fsync", "batch"])
            let load = EventLoad(port: server.port, clients: Self.clients, eventsPerRequest: Self.eventsPerRequest, prefix: "t")
            #expect(load.waitForAcknowledgedRequests(150, timeout: 30), "the clients got no 200 answers: \(load.outcomes)")
            let exit = try server.terminate()
            #expect(exit.succeeded, "serve after SIGTERM: \(exit.summary)")
            #expect(load.waitUntilFinished(timeout: 30), "the clients did not stop after the server did")
            try Self.expectAcknowledgedEventsStored(store, load, "after SIGTERM")
            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(!verify.stdoutText.contains("torn tail"), "a graceful stop leaves no torn tail: \(verify.stdoutText)")
            print("ServeCrashTests SIGTERM: \(load.acknowledgedIDs.count) events acknowledged; answers \(load.outcomes.sorted { $0.key < $1.key })")
        }
    }

    @Test("a request half sent when SIGTERM arrives is still answered 200 and stored; new connections are refused")
    func requestInFlightAtSIGTERMIsAnswered() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--fsync", "always"])
            let body = Array(eventLines("inflight", 0..<3).map { $0 + "\n" }.joined().utf8)
            let connection = try RawHTTPConnection(port: server.port, timeout: 20)
            #expect(connection.send(RawHTTPConnection.head("POST", "/v1/events", [("Content-Type", "application/x-ndjson"),
                                                                                  ("Content-Length", String(body.count))])))
            #expect(connection.send(body.prefix(body.count / 2)))
            usleep(200_000)  // the head is read and the request has begun before the signal
            server.child.signal(SIGTERM)
            usleep(300_000)  // the listener is closed by now
            #expect(throws: HarnessError.self, "a new connection after SIGTERM is refused") {
                _ = try RawHTTPConnection(port: server.port, timeout: 5)
            }
            #expect(connection.send(body.dropFirst(body.count / 2)))
            let answer = try connection.readAnswer()
            #expect(answer.status == 200 && foundationObject(answer.bodyText)?["stored"] as? Int == 3, "\(answer)")
            let exit = try server.child.finish(timeout: 30)
            #expect(exit.succeeded, "serve after SIGTERM: \(exit.summary)")
            #expect(try StoreContents.validRecords(store) == 3)
            #expect(try StoreContents.eventIDs(store) == ["inflight-0", "inflight-1", "inflight-2"])
        }
    }
}

/// Clients on threads posting `/v1/events` in a loop, each request `eventsPerRequest`
/// events with ids no other request has (`PREFIX-cCLIENT-rREQUEST-eN`), noting the ids
/// of every request answered 200. A client stops when the server refuses connections
/// (it is gone), after `maxRequests` requests, or after `seconds`.
final class EventLoad: @unchecked Sendable {
    // @unchecked: the vars are guarded by `condition`.
    private let condition = NSCondition()
    private var acknowledged: [String] = []
    private var sent: Set<String> = []
    private var answers: [String: Int] = [:]
    private var acknowledgedRequests = 0
    private var running: Int

    init(port: Int, clients: Int, eventsPerRequest: Int, prefix: String, maxRequests: Int = 2_000, seconds: Double = 20) {
        running = clients
        let deadline = Date(timeIntervalSinceNow: seconds)
        for client in 0..<clients {
            Thread { [self] in
                for request in 0..<maxRequests {
                    if Date() >= deadline { break }
                    let ids = (0..<eventsPerRequest).map { "\(prefix)-c\(client)-r\(request)-e\($0)" }
                    let body = ids.map { #"{"event_id":"\#($0)","event_type":"agent_run","timestamp":"2026-03-01T12:00:00Z","run_id":"\#(prefix)-c\#(client)"}"# + "\n" }.joined()
                    condition.lock(); sent.formUnion(ids); condition.unlock()
                    let outcome: String
                    do {
                        let connection = try RawHTTPConnection(port: port, timeout: 20)
                        let answer = try connection.exchange(
                            head: RawHTTPConnection.head("POST", "/v1/events", [("Content-Type", "application/x-ndjson"), ("Content-Length", String(body.utf8.count))]),
                            body: Array(body.utf8))
                        let json = foundationObject(answer.bodyText)
                        if answer.status == 200, (json?["stored"] as? Int ?? 0) + (json?["duplicates"] as? Int ?? 0) == eventsPerRequest {
                            outcome = "200"
                            condition.lock()
                            acknowledged += ids
                            acknowledgedRequests += 1
                            condition.broadcast()
                            condition.unlock()
                        } else {
                            outcome = "\(answer.status)"
                        }
                    } catch {
                        // Refused: the server is gone, this client is done. Anything else (a
                        // connection cut mid-answer) is counted, and the next request tells.
                        outcome = "\(error)".contains("connect to") ? "refused" : "cut"
                    }
                    condition.lock(); answers[outcome, default: 0] += 1; condition.unlock()
                    if outcome == "refused" { break }
                }
                condition.lock()
                running -= 1
                condition.broadcast()
                condition.unlock()
            }.start()
        }
    }

    /// Waits until `count` requests have been answered 200; false on timeout or when every client stopped first.
    func waitForAcknowledgedRequests(_ count: Int, timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while acknowledgedRequests < count && running > 0 {
            if !condition.wait(until: deadline) { break }
        }
        return acknowledgedRequests >= count
    }

    /// Waits for every client to stop; false on timeout.
    func waitUntilFinished(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while running > 0 {
            if !condition.wait(until: deadline) { break }
        }
        return running == 0
    }

    /// The ids of the events of every request answered 200.
    var acknowledgedIDs: [String] { condition.lock(); defer { condition.unlock() }; return acknowledged }
    /// The ids of every event sent (answered or not).
    var sentIDs: Set<String> { condition.lock(); defer { condition.unlock() }; return sent }
    /// How many requests got each answer: a status code, `cut` or `refused`.
    var outcomes: [String: Int] { condition.lock(); defer { condition.unlock() }; return answers }
}
