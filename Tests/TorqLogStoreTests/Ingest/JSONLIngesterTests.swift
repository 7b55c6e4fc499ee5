import Foundation
import Testing
@testable import TorqLogStore

/// The ingester's parallel validation: however many parts a large read is
/// split into (one per core), the store, the line numbers of the rejected
/// lines and `strict` come out as if one thread had read every line.
@Suite("JSONLIngester: parts validated in parallel, merged in input order")
struct JSONLIngesterTests {
    static let keys = IndexedKeys(run: "run", type: "type", time: "time")

    /// About `lines` lines of varied length, with a bad line (invalid JSON, not
    /// an object, a bare number) every `badEvery` lines and blank lines between.
    static func input(lines: Int, badEvery: Int) -> (text: String, good: [String], bad: [Int]) {
        var text = "", good: [String] = [], bad: [Int] = []
        for n in 1...lines {
            if n % badEvery == 0 {
                let kinds = ["{\"run\":\"r\",", "[1,2,3]", "42", "{\"a\":}"]
                text += kinds[n / badEvery % kinds.count] + "\n"
                bad.append(n)
            } else if n % 97 == 0 {
                text += "\n"
            } else {
                let pad = String(repeating: "x", count: (n &* 7919) % 900)
                let line = "{\"run\":\"run-\(n % 37)\",\"type\":\"t\(n % 5)\",\"time\":\"2026-12-01T10:00:00Z\",\"n\":\(n),\"pad\":\"\(pad)\"}"
                text += line + "\n"
                good.append(line)
            }
        }
        return (text, good, bad)
    }

    /// Ingests `text` with `width` parts at most; returns the stored payloads and the rejected line numbers.
    static func ingest(_ text: String, width: Int, strict: Bool = false, batchRecords: Int = 8192) throws -> (stored: [String], rejected: [Int], summary: JSONLIngester.Summary) {
        let store = TemporaryStore("ingest-width")
        let file = store.path + ".jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let writer = try LogWriter(directory: store.directory, options: LogWriter.Options(durability: .never))
        var rejected: [Int] = []
        var ingester = JSONLIngester(writer: writer, indexing: keys)
        ingester.width = width
        ingester.strict = strict
        ingester.batchRecords = batchRecords
        ingester.onRejection = { rejected.append($0.line) }
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        let summary = try ingester.ingest(fd: fd, source: file)
        try writer.close()
        return (try readAll(store.directory).map(\.1), rejected, summary)
    }

    @Test("1, 2, 3, 5 and 8 parts store the same records in input order, with the same rejected line numbers",
          arguments: [1, 2, 3, 5, 8])
    func sameResultAtAnyWidth(width: Int) throws {
        let (text, good, bad) = Self.input(lines: 30_000, badEvery: 1_009)
        #expect(text.utf8.count > 4 << 20, "more than one read, so that several rounds run")
        let r = try Self.ingest(text, width: width)
        #expect(r.stored == good)
        #expect(r.rejected == bad)
        #expect(r.summary.events == good.count && r.summary.rejected == bad.count && r.summary.lines == 30_000)
    }

    @Test("batches that fill up inside a part: the rest of the round is read again, nothing twice", arguments: [2, 5])
    func smallBatches(width: Int) throws {
        let (text, good, bad) = Self.input(lines: 8_000, badEvery: 503)
        let r = try Self.ingest(text, width: width, batchRecords: 37)
        #expect(r.stored == good)
        #expect(r.rejected == bad)
    }

    @Test("strict stops at the first bad line whichever part holds it: the good lines before it stored, none after",
          arguments: [(2, 300), (3, 2_500), (5, 4_100), (8, 7_900)])
    func strict(width: Int, badLine: Int) throws {
        let (text, good, _) = Self.input(lines: 8_000, badEvery: 1_000_000)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[badLine - 1] = "{\"broken\":"
        let expected = good.filter { line in lines[..<(badLine - 1)].contains(line) }
        let r = try Self.ingest(lines.joined(separator: "\n"), width: width, strict: true)
        #expect(r.rejected == [badLine])
        #expect(r.stored == expected)
        #expect(r.summary.stoppedEarly)
    }

    @Test("the width defaults to the cores this process may run on")
    func defaultWidth() throws {
        let store = TemporaryStore("ingest-width-default")
        let writer = try LogWriter(directory: store.directory, options: LogWriter.Options(durability: .never))
        let ingester = JSONLIngester(writer: writer, indexing: Self.keys)
        #expect(ingester.width == ParallelWidth.available() && ingester.width >= 1)
        #expect(ParallelWidth.available() <= ProcessInfo.processInfo.activeProcessorCount)
        try writer.close()
    }
}
