#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TorqEvents
import TorqJSON
import TorqLogStore

/// The run figures of one sealed segment, kept next to it as
/// `NNNNNNNNNNNNNNNNNNNN.runs` (FORMAT.md §9): derived data, rebuilt from the
/// segment whenever it is missing, damaged, or records another content of
/// the segment (a rewrite by compaction or quarantine), so deleting it loses
/// nothing.
///
/// The file is one line of JSON, `0x0A`, then the CRC-32C of that line
/// (without its `0x0A`) as 8 lowercase hex digits and `0x0A`.
struct RunSidecar: Sendable, Equatable {
    static let fileExtension = "runs"
    static let formatVersion = 2

    /// The segment content it was computed from.
    var segment: SealedSegmentIdentity
    /// The runs with records in the segment, in order of first record.
    var runs: [RunFigures]
    /// The segment's records and failures per minute.
    var timeline: ActivityTimeline

    static func path(_ store: StoreDirectory, base: UInt64) -> String {
        store.file(String(SegmentName.sealed(base).dropLast(3)) + fileExtension)
    }

    // MARK: - Bytes

    func encoded() -> [UInt8] {
        func optional(_ s: String?) -> OrderedJSON { s.map { .string($0) } ?? .null }
        func time(_ t: Int64?) -> OrderedJSON { t.map { .int(Int($0)) } ?? .null }
        let document = OrderedJSON.object([
            ("format", .int(Self.formatVersion)),
            ("first_sequence", .string(String(segment.base))),
            ("end_sequence", .string(String(segment.endSequence))),
            ("records", .string(String(segment.recordCount))),
            ("index_crc32c", .string(Self.hex(segment.indexCRC))),
            ("bytes", .int(Int(segment.fileLength))),
            ("runs", .array(runs.map { r in
                .object([
                    (EventField.runID.key, .string(r.runID)),
                    ("agent", optional(r.agent)),
                    ("last_status", optional(r.lastStatus)),
                    ("first_time", time(r.firstTime)),
                    ("last_time", time(r.lastTime)),
                    ("events", .int(r.events)),
                    ("input_tokens", .int(r.inputTokens)),
                    ("output_tokens", .int(r.outputTokens)),
                    ("tool_calls", .int(r.toolCalls)),
                    ("errors", .int(r.errors)),
                ])
            })),
            ("minutes", .array(timeline.minutes.sorted { $0.key < $1.key }.map { minute, counts in
                .array([.int(Int(minute)), .int(counts.events), .int(counts.errors)])
            })),
            ("untimed", .int(timeline.untimed)),
        ])
        let line = Array(document.rendered(pretty: false).utf8)
        let crc = line.withUnsafeBytes { CRC32C.checksum($0) }
        return line + [0x0A] + Array(Self.hex(crc).dropFirst(2).utf8) + [0x0A]
    }

    /// The sidecar in `bytes`; nil when damaged or not this format.
    static func decode(_ bytes: [UInt8]) -> RunSidecar? {
        guard bytes.count > 10, bytes[bytes.count - 1] == 0x0A, bytes[bytes.count - 10] == 0x0A else { return nil }
        let line = Array(bytes[..<(bytes.count - 10)])
        let stored = UInt32(String(decoding: bytes[(bytes.count - 9)..<(bytes.count - 1)], as: UTF8.self), radix: 16)
        guard let stored, stored == line.withUnsafeBytes({ CRC32C.checksum($0) }) else { return nil }
        guard let root = try? line.withUnsafeBufferPointer({ try JSONTreeParser.parse($0) }),
              case .object(let top) = root, int(top["format"]) == formatVersion,
              let base = UInt64(string(top["first_sequence"]) ?? ""), let end = UInt64(string(top["end_sequence"]) ?? ""),
              let records = UInt64(string(top["records"]) ?? ""), let crcText = string(top["index_crc32c"]),
              crcText.hasPrefix("0x"), let crc = UInt32(crcText.dropFirst(2), radix: 16), let length = int(top["bytes"]),
              case .array(let list)? = top["runs"], case .array(let minuteList)? = top["minutes"],
              let untimed = int(top["untimed"]) else { return nil }
        var runs: [RunFigures] = []
        runs.reserveCapacity(list.count)
        for item in list {
            guard case .object(let o) = item, let id = string(o[EventField.runID.key]),
                  let events = int(o["events"]), let input = int(o["input_tokens"]), let output = int(o["output_tokens"]),
                  let tools = int(o["tool_calls"]), let errors = int(o["errors"]) else { return nil }
            var r = RunFigures(runID: id)
            r.agent = string(o["agent"])
            r.lastStatus = string(o["last_status"])
            r.firstTime = int(o["first_time"]).map(Int64.init)
            r.lastTime = int(o["last_time"]).map(Int64.init)
            r.events = events
            r.inputTokens = input
            r.outputTokens = output
            r.toolCalls = tools
            r.errors = errors
            runs.append(r)
        }
        var timeline = ActivityTimeline()
        timeline.addUntimed(untimed)
        for item in minuteList {
            guard case .array(let triple) = item, triple.count == 3, let minute = int(triple[0]),
                  let events = int(triple[1]), let errors = int(triple[2]) else { return nil }
            timeline.add(minute: Int64(minute), ActivityTimeline.Counts(events: events, errors: errors))
        }
        let identity = SealedSegmentIdentity(base: base, endSequence: end, recordCount: records, indexCRC: crc, fileLength: Int64(length))
        return RunSidecar(segment: identity, runs: runs, timeline: timeline)
    }

    private static func int(_ v: TelemetryValue?) -> Int? {
        if case .int(let i)? = v { return Int(exactly: i) }
        return nil
    }

    private static func string(_ v: TelemetryValue?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    // MARK: - Files

    /// The sidecar of `segment`, when its file exists, is whole, and records exactly this content.
    static func load(_ store: StoreDirectory, _ segment: SealedSegmentIdentity) -> RunSidecar? {
        guard let bytes = readFile(path(store, base: segment.base)), let sidecar = decode(bytes),
              sidecar.segment == segment else { return nil }
        return sidecar
    }

    /// Writes the file (`.runs.PID.N.tmp`, then renamed): a reader sees the old file, the new one, or none.
    /// Failing to write is not an error (the figures are computed again next time); returns whether it was written.
    @discardableResult
    func save(_ store: StoreDirectory) -> Bool {
        let target = Self.path(store, base: segment.base)
        // A name of its own: two threads may summarize the same segment at once.
        let temporary = target + ".\(getpid()).\(Self.writes.add(1, ordering: .relaxed).newValue).tmp"
        let bytes = encoded()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { close(fd); unlink(temporary); return false }
            written += n
        }
        close(fd)
        guard rename(temporary, target) == 0 else { unlink(temporary); return false }
        return true
    }

    private static let writes = Atomic<Int>(0)

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}
