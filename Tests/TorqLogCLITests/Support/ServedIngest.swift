import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ServeProcess {
    /// The store's socket for its own producers.
    var socketPath: String { store + "/serve.sock" }

    /// Waits until the server's Unix socket is there with its final mode (0600):
    /// `serve` prints its TCP address first, and a producer started before the
    /// socket is ready would find the store locked with no server to write through.
    func waitForSocket(timeout: Double = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        repeat {
            if let mode = fileMode(socketPath), mode & S_IFMT == S_IFSOCK, mode & 0o7777 == 0o600 { return true }
            usleep(5_000)
        } while Date() < deadline
        return false
    }
}

/// `stat(2)`'s `st_mode` of `path`, or nil when it cannot be stat'ed.
func fileMode(_ path: String) -> mode_t? {
    var s = stat()
    return stat(path, &s) == 0 ? s.st_mode : nil
}

/// The numbers N of the `acked N` lines `ingest --ack` printed, in order.
func ackedCounts(_ stdout: Data) -> [Int] {
    String(decoding: stdout, as: UTF8.self).split(separator: "\n").compactMap { line in
        line.hasPrefix("acked ") ? Int(line.dropFirst(6)) : nil
    }
}

/// One producer's input for the served-ingest tests: `count` JSONL lines of run
/// `tag`, the N-th with event id `TAG-N` and `"seq":N`, except that every
/// 1000th line repeats the line before it (equal lines must each be stored).
struct ProducerInput {
    let tag: String
    let lines: [String]

    init(_ tag: String, count: Int) {
        self.tag = tag
        lines = (0..<count).map { n in
            let seq = n % 1000 == 999 ? n - 1 : n
            return #"{"event_id":"\#(tag)-\#(seq)","event_type":"agent_run","timestamp":"2026-03-01T12:00:00.000000Z","run_id":"\#(tag)","agent_name":"producer","status":"completed","seq":\#(seq)}"#
        }
    }

    /// Lines `range` as JSONL.
    func jsonl(_ range: Range<Int>) -> Data { Data(lines[range].map { $0 + "\n" }.joined().utf8) }
    var jsonl: Data { jsonl(0..<lines.count) }

    /// Writes the whole input to `path` and returns `path`.
    @discardableResult
    func write(to path: String) throws -> String {
        try jsonl.write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// The store's records as exported (byte for byte as ingested), split by the
/// producer whose line each one is; lines of no producer are listed apart.
func exportedByProducer(_ store: String, _ inputs: [ProducerInput],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> (byTag: [String: [String]], unknown: [String]) {
    let export = try TorqlogBinary.run(["--dir", store, "export"])
    #expect(export.succeeded, "export: \(export.summary)", sourceLocation: sourceLocation)
    var owner: [String: String] = [:]
    for input in inputs { for line in input.lines { owner[line] = input.tag } }
    var byTag: [String: [String]] = [:]
    var unknown: [String] = []
    for line in export.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        let text = String(line)
        if let tag = owner[text] { byTag[tag, default: []].append(text) } else { unknown.append(text) }
    }
    return (byTag, unknown)
}

/// Records an issue naming the first difference when `actual` is not `expected`.
func expectLines(_ actual: [String], equal expected: some Collection<String>, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let expected = Array(expected)
    guard actual != expected else { return }
    let i = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, expected.count)
    func show(_ lines: [String]) -> String { i < lines.count ? String(lines[i].prefix(200)) : "<none>" }
    Issue.record("\(what): \(actual.count) lines, expected \(expected.count); first difference at line \(i + 1): got \(show(actual)), expected \(show(expected))",
                 sourceLocation: sourceLocation)
}
