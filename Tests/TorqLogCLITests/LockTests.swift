import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// One writer at a time; readers never wait for it.
@Suite("Writer lock")
struct LockTests {
    static func waitForAck(_ child: Child, _ n: Int) -> Bool {
        child.waitForStdout(timeout: 30) { String(decoding: $0, as: UTF8.self).contains("acked \(n)\n") }
    }

    @Test("a second writer is refused, naming the first one's pid; readers work meanwhile")
    func secondWriterRefused() throws {
        let w = Workload.lines(40, seed: 0x10CC)
        try withTemporaryStore { store, _ in
            let first = try Child(["--dir", store, "ingest", "--fsync", "always", "--ack"], stdin: .pipe)
            defer { first.signal(SIGKILL) }
            #expect(first.write(jsonl(Array(w[0..<5]))))
            try #require(Self.waitForAck(first, 5), "no 'acked 5' from the first writer: \(String(decoding: first.stdout, as: UTF8.self)) \(String(decoding: first.stderr, as: UTF8.self))")
            #expect(try String(contentsOfFile: store + "/LOCK", encoding: .utf8) == "\(first.pid)\n")

            for args in [["--dir", store, "ingest"], ["ingest", "--dir", store, "--fsync", "always"], ["demo", "--dir", store]] {
                let second = try TorqlogBinary.run(args, stdin: jsonl(Array(w[5..<10])))
                #expect(!second.succeeded, "\(args): a second writer ran: \(second.summary)")
                #expect(second.stderrText.contains("locked"), "\(args): \(second.stderrText)")
                #expect(second.stderrText.contains("\(first.pid)"), "\(args): should name pid \(first.pid): \(second.stderrText)")
            }

            // Readers, while the writer holds the lock.
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(export.succeeded, "export: \(export.summary)")
            expectJSONL(export.stdout, equals: Array(w[0..<5]), "export while locked")
            let info = try TorqlogBinary.run(["--dir", store, "info", "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: info.stdout) as? [String: Any], "info: \(info.summary)")
            #expect(json["events"] as? Int == 5)
            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify while locked: \(verify.summary)")
            let tail = try TorqlogBinary.run(["--dir", store, "tail", "-n", "2", "--format", "jsonl"])
            expectJSONL(tail.stdout, equals: Array(w[3..<5]), "tail while locked")

            // The first writer goes on, then ends normally and releases the lock.
            #expect(first.write(jsonl(Array(w[10..<15]))))
            #expect(Self.waitForAck(first, 10))
            first.closeInput()
            let done = try first.finish(timeout: 30)
            #expect(done.succeeded, "first writer: \(done.summary)")

            let third = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(Array(w[15..<20])))
            #expect(third.succeeded, "writer after the lock was released: \(third.summary)")
            let after = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(after.stdout, equals: Array(w[0..<5]) + Array(w[10..<20]), "export after the writers")
        }
    }

    @Test("a writer killed with SIGKILL releases the lock")
    func killedWriterReleasesLock() throws {
        let w = Workload.lines(10, seed: 0x10CD)
        try withTemporaryStore { store, _ in
            let writer = try Child(["--dir", store, "ingest", "--fsync", "always", "--ack"], stdin: .pipe)
            #expect(writer.write(jsonl(Array(w[0..<3]))))
            try #require(Self.waitForAck(writer, 3))
            writer.signal(SIGKILL)
            let killed = try writer.finish(timeout: 30)
            #expect(killed.signaled && killed.status == SIGKILL)

            let next = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: jsonl(Array(w[3..<6])))
            #expect(next.succeeded, "writer after a killed one: \(next.summary)")
            #expect(try String(contentsOfFile: store + "/LOCK", encoding: .utf8) != "\(writer.pid)\n" || next.succeeded)
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            expectJSONL(export.stdout, equals: Array(w[0..<6]), "export after a killed writer")
        }
    }
}
