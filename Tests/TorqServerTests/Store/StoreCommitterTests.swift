import Testing
import TorqLogStore
import TorqOTLP
import TorqTestSupport
@testable import TorqServer

/// The server's writer on a real store: group commit, retried items, failure.
@Suite("StoreCommitter")
struct StoreCommitterTests {
    private static func record(_ n: Int, _ kind: String) -> MappedRecord {
        MappedRecord(payload: Array("{\"n\":\(n),\"k\":\"\(kind)\"}".utf8), runKey: "run-\(n % 3)", type: kind, time: Int64(n) * 1_000)
    }

    /// A span-like item: its start on first sight, its end once closed.
    private static func span(_ n: Int, closed: Bool) -> MappedItem {
        MappedItem(key: ItemKey(high: 7, low: UInt64(n)), isClosed: closed,
                   firstSight: [record(n, "span_start")], onClose: closed ? [record(n, "span_end"), record(n, "typed")] : [])
    }

    private static func storedKinds(_ store: StoreDirectory) throws -> [String] {
        var kinds: [String] = []
        let reader = try StoreReader(directory: store)
        try reader.forEach { record in
            let text = String(decoding: record.payload, as: UTF8.self)
            kinds.append(String(text.split(separator: "\"")[5]) + "#" + String(text.split(separator: ",")[0].dropFirst(5)))
            return true
        }
        return kinds
    }

    @Test("concurrent requests are all answered once durable, and every record is stored once")
    func groupCommit() async throws {
        let dir = TemporaryDirectory("commit")
        for policy in [DurabilityPolicy.always, .batch(intervalMilliseconds: 2), .never] {
            let directory = StoreDirectory(dir.path + "/store-\(policy)")
            let committer = try StoreCommitter(directory: directory, options: LogWriter.Options(durability: policy, sealClosedSegments: false))
            let outcomes = try await withThrowingTaskGroup(of: StoreCommitter.Outcome.self) { group in
                for request in 0..<40 {
                    group.addTask {
                        let items = (0..<25).map { Self.span(request * 25 + $0, closed: true) }
                        return try await committer.commit(items, bytes: 25 * 60)
                    }
                }
                var all: [StoreCommitter.Outcome] = []
                for try await o in group { all.append(o) }
                return all
            }
            #expect(outcomes.count == 40)
            #expect(outcomes.allSatisfy { $0.stored == 75 && $0.duplicates == 0 }, "\(policy)")
            // Answered means durable: the writer's durable sequence covers every record.
            #expect(committer.writer.durableSequence == 3000, "\(policy)")
            try committer.close()
            #expect(try Self.storedKinds(directory).count == 3000)
        }
    }

    @Test("a retried request stores nothing; a span first seen open gets its end once")
    func retries() async throws {
        let dir = TemporaryDirectory("commit")
        let store = StoreDirectory(dir.path + "/store")
        let committer = try StoreCommitter(directory: store, options: LogWriter.Options(durability: .always, sealClosedSegments: false))
        let first = try await committer.commit([Self.span(1, closed: false), Self.span(2, closed: true)], bytes: 100)
        #expect(first == .init(stored: 4, duplicates: 0))
        // The same request again (a client's retry): nothing new.
        let again = try await committer.commit([Self.span(1, closed: false), Self.span(2, closed: true)], bytes: 100)
        #expect(again == .init(stored: 0, duplicates: 2))
        // Span 1 now closed: its end and typed event, not its start again.
        let closed = try await committer.commit([Self.span(1, closed: true)], bytes: 100)
        #expect(closed == .init(stored: 2, duplicates: 0))
        // A copy inside one request counts once.
        let doubled = try await committer.commit([Self.span(3, closed: true), Self.span(3, closed: true)], bytes: 100)
        #expect(doubled == .init(stored: 3, duplicates: 1))
        try committer.close()
        let kinds = try Self.storedKinds(store)
        #expect(kinds == ["span_start#1", "span_start#2", "span_end#2", "typed#2", "span_end#1", "typed#1",
                          "span_start#3", "span_end#3", "typed#3"])
    }

    @Test("the window forgets the oldest keys beyond its capacity, and only those")
    func windowBound() {
        var window = RecentItems(capacity: 3)
        for n in 1...4 {
            var pending: [ItemKey: RecentItems.Sight] = [:]
            #expect(!window.admit(Self.span(n, closed: true), pending: &pending).isEmpty)
            window.apply(pending)
        }
        #expect(window.count == 3)
        var pending: [ItemKey: RecentItems.Sight] = [:]
        #expect(window.admit(Self.span(1, closed: true), pending: &pending).count == 3, "the oldest was forgotten: stored again")
        for n in 2...4 { #expect(window.admit(Self.span(n, closed: true), pending: &pending).isEmpty, "\(n) still known") }
    }

    @Test("the window stays exact through many evictions: the last `capacity` keys known, every older one forgotten")
    func windowChurn() {
        let capacity = 1000
        var window = RecentItems(capacity: capacity)
        for n in 0..<20_000 {
            window.record(ItemKey(high: UInt64(n) &* 0x9E37_79B9, low: UInt64(n)), n % 3 == 0 ? .open : .closed)
            #expect(window.count == min(n + 1, capacity))
        }
        for n in 0..<20_000 {
            let sight = window.sight(of: ItemKey(high: UInt64(n) &* 0x9E37_79B9, low: UInt64(n)))
            if n >= 20_000 - capacity {
                #expect(sight == (n % 3 == 0 ? .open : .closed), "\(n) is in the window")
            } else {
                #expect(sight == nil, "\(n) was forgotten")
            }
        }
    }

    @Test("after a failed fdatasync nothing more is acknowledged: waiting and later requests fail")
    func failure() async throws {
        let dir = TemporaryDirectory("commit")
        let store = StoreDirectory(dir.path + "/store")
        let committer = try StoreCommitter(directory: store, options: LogWriter.Options(durability: .always, sealClosedSegments: false))
        _ = try await committer.commit([Self.span(1, closed: true)], bytes: 60)
        let rule = InjectedFaults.arm(.init(directory: store.path, operation: .fdatasync, at: 1, errno: .ioError))
        defer { InjectedFaults.disarm(rule) }
        do {
            _ = try await committer.commit([Self.span(2, closed: true)], bytes: 60)
            Issue.record("a request whose sync failed was acknowledged")
        } catch is CommitError {}
        // Sticky: the next request fails too, although fdatasync would succeed now.
        InjectedFaults.disarm(rule)
        do {
            _ = try await committer.commit([Self.span(3, closed: true)], bytes: 60)
            Issue.record("a request after the failure was acknowledged")
        } catch let error as CommitError {
            guard case .failed = error else { Issue.record("expected .failed, got \(error)"); return }
        }
        #expect(committer.writer.durableSequence == 3, "only the first request's records are durable")
        #expect(throws: (any Error).self) { try committer.close() }
        #expect(try Self.storedKinds(store).count == 3, "the failed records were cut back")
    }
}
