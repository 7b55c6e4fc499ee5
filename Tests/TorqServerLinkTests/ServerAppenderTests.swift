import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
import TorqLogStore
import TorqServer
import TorqTestSupport
@testable import TorqServerLink

/// A producer's batches through an in-process server on a real store.
@Suite("ServerAppender")
struct ServerAppenderTests {
    /// Runs `body` against a server holding a new store (its socket in the store), then stops it.
    private func withServer(durability: DurabilityPolicy = .batch(intervalMilliseconds: 2),
                            _ body: @escaping @Sendable (StoreDirectory) throws -> Void) async throws {
        let dir = TemporaryDirectory("link")
        let store = StoreDirectory(dir.path + "/s")
        var configuration = ServeConfiguration()
        configuration.port = 0
        configuration.durability = durability
        configuration.sealClosedSegments = false
        let receiver = try Receiver(store: store, configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let listening = AsyncStream<Void>.makeStream()
        let running = Task { try await receiver.run { _ in listening.continuation.yield() } }
        for await _ in listening.stream { break }
        // The socket comes with the second listener: wait until it answers.
        var link: ServerLink?
        for _ in 0..<200 where link == nil {
            link = try ServerLink.find(store)
            if link == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(link != nil, "the store's socket answers")
        // The link blocks its thread: run the body on a thread of its own, not on
        // the cooperative pool the in-process server answers from.
        do {
            try await onOwnThread { try body(store) }
        } catch {
            await receiver.shutdown()
            _ = try? await running.value
            throw error
        }
        await receiver.shutdown()
        try await running.value
    }

    /// Runs `body` on a new thread and waits for it without holding a pool thread.
    private func onOwnThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do { try body(); continuation.resume() } catch { continuation.resume(throwing: error) }
            }
            thread.start()
        }
    }

    private static func batch(_ lines: [String]) throws -> RecordBatch {
        var batch = RecordBatch()
        for line in lines { try batch.append(payload: Array(line.utf8)) }
        return batch
    }

    private static func payloads(_ store: StoreDirectory) throws -> [String] {
        var out: [String] = []
        try StoreReader(directory: store).forEach { record in
            out.append(String(decoding: record.payload, as: UTF8.self))
            return true
        }
        return out
    }

    @Test("batches are stored in order, equal lines all, and acknowledged only once durable")
    func ordered() async throws {
        try await withServer { store in
            let link = try #require(try ServerLink.find(store))
            let acknowledged = AckLog()
            let appender = ServerAppender(link: link, store: store, fsync: .always) { acknowledged.add($0) }
            var first = try Self.batch(["{\"n\":1}", "{\"n\":1}", "{\"n\":2}"])
            try appender.appendRecords(&first)
            #expect(first.isEmpty, "a stored batch is consumed")
            var second = try Self.batch(["{\"n\":3}"])
            try appender.appendRecords(&second)
            #expect(acknowledged.all == [3, 4])
            #expect(try Self.payloads(store) == ["{\"n\":1}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}"])
        }
    }

    @Test("a batch sent again under its number is stored once; another producer's equal batch is stored")
    func resent() async throws {
        try await withServer { store in
            let link = try #require(try ServerLink.find(store))
            let body = Array("{\"n\":1}\n".utf8)
            let headers = [("Torqlog-Producer", "p"), ("Torqlog-Batch", "0"), ("Torqlog-Fsync", "batch")]
            for _ in 0..<2 {
                let answer = try link.post("/v1/events", contentType: "application/x-ndjson", headers: headers, body: body)
                #expect(answer.status == 200, "\(answer.text)")
            }
            let other = try link.post("/v1/events", contentType: "application/x-ndjson",
                                      headers: [("Torqlog-Producer", "q"), ("Torqlog-Batch", "0")], body: body)
            #expect(other.status == 200)
            #expect(try Self.payloads(store).count == 2)
        }
    }

    @Test("a producer asking for durability from a server with --fsync never is refused, with the reason")
    func weakerServer() async throws {
        try await withServer(durability: .never) { store in
            let link = try #require(try ServerLink.find(store))
            var batch = try Self.batch(["{\"n\":1}"])
            let appender = ServerAppender(link: link, store: store, fsync: .batch(intervalMilliseconds: 100))
            #expect(throws: ServerLinkError.self) { try appender.appendRecords(&batch) }
            #expect(batch.count == 1, "a refused batch is left whole")
            do { try appender.appendRecords(&batch) } catch { #expect("\(error)".contains("--fsync never"), "\(error)") }
            let relaxed = ServerAppender(link: link, store: store, fsync: .never)
            try relaxed.appendRecords(&batch)
            #expect(try Self.payloads(store).count == 1)
        }
    }

    @Test("no socket, or a dead server's, finds no server")
    func noServer() throws {
        let dir = TemporaryDirectory("link")
        let store = StoreDirectory(dir.path)
        #expect(try ServerLink.find(store) == nil)
        // A socket file nobody listens on (as a killed server leaves it).
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(store.serverSocket.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes); raw[bytes.count] = 0 }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        #expect(try ServerLink.find(store) == nil, "a refused socket is no server")
    }
}

/// The acknowledgements a test saw.
private final class AckLog: Sendable {
    private let values = Mutex<[Int]>([])
    func add(_ n: Int) { values.withLock { $0.append(n) } }
    var all: [Int] { values.withLock { $0 } }
}
