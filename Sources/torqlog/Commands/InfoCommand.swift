import ArgumentParser
import TorqLogStore
import TorqTelemetry
import TorqJSON

/// `torqlog info`: what is in the store.
struct InfoCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show segments, events, runs, bytes on disk and the time range (like journalctl --disk-usage, with counts)."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: "text or json.")
    var format: InfoFormat = .text

    enum InfoFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let reader = try StoreReader(directory: store)
        let s = try StoreStatistics(reader)
        let out = OutputStream()
        let first = s.firstTime.map { RFC3339.format(nanoseconds: $0, fractionDigits: 6) }
        let last = s.lastTime.map { RFC3339.format(nanoseconds: $0, fractionDigits: 6) }
        switch format {
        case .json:
            var o = "{\"directory\":\(Format.jsonString(store.path)),\"format_version\":1"
            o += ",\"events\":\(s.records),\"runs\":\(s.runs),\"events_without_run\":\(s.recordsWithoutRun)"
            o += ",\"bytes_on_disk\":\(s.bytesOnDisk),\"payload_bytes\":\(s.payloadBytes)"
            o += ",\"first_event_time\":\(first.map(Format.jsonString) ?? "null"),\"last_event_time\":\(last.map(Format.jsonString) ?? "null")"
            o += ",\"first_sequence\":\(s.firstSequence.map(String.init) ?? "null"),\"last_sequence\":\(s.lastSequence.map(String.init) ?? "null")"
            o += ",\"types\":{" + s.types.sorted { $0.key < $1.key }.map { "\(Format.jsonString($0.key)):\($0.value)" }.joined(separator: ",") + "}"
            let r = try RetentionPolicy.load(store)
            o += ",\"retention_days\":" + (r?.maxAgeNanoseconds.map { Format.fixed(Double($0) / 86_400e9, 4) } ?? "null")
            o += ",\"retention_max_bytes\":" + (r?.maxBytes.map(String.init) ?? "null")
            o += ",\"sealed_bytes\":\(s.sealedBytes),\"sealed_jsonl_bytes\":\(s.sealedJSONLBytes)"
            o += ",\"compression_ratio\":" + (s.sealedJSONLBytes > 0 ? Format.fixed(Double(s.sealedBytes) / Double(s.sealedJSONLBytes), 4) : "null")
            o += ",\"segments\":[" + s.segments.map {
                "{\"name\":\(Format.jsonString($0.name)),\"kind\":\"\($0.isSealed ? "sealed" : "wal")\",\"active\":\($0.isActive),\"base_sequence\":\($0.baseSequence),\"events\":\($0.records),\"bytes\":\($0.bytes)" + ($0.isSealed ? ",\"jsonl_bytes\":\($0.jsonlBytes)" : "") + "}"
            }.joined(separator: ",") + "]"
            o += ",\"merge_leftovers\":[" + s.leftovers.map {
                "{\"name\":\(Format.jsonString($0.name)),\"base_sequence\":\($0.baseSequence),\"bytes\":\($0.bytes)}"
            }.joined(separator: ",") + "]}\n"
            out.write(o)
        case .text:
            out.write("store        \(store.path)\n")
            let sealed = s.segments.filter(\.isSealed).count
            let active = s.segments.filter(\.isActive).count
            out.write("segments     \(s.segments.count) (\(sealed) sealed, \(s.segments.count - sealed - active) closed WAL, \(active) active)\n")
            if s.sealedJSONLBytes > 0 {
                out.write("compression  \(Format.bytes(s.sealedBytes)) sealed for \(Format.bytes(s.sealedJSONLBytes)) of JSONL (\(Format.fixed(100 * Double(s.sealedBytes) / Double(s.sealedJSONLBytes), 1))%)\n")
            }
            out.write("events       \(s.records)" + (s.lastSequence.map { "  (sequence \(s.firstSequence ?? 0)…\($0))" } ?? "") + "\n")
            out.write("runs         \(s.runs)" + (s.recordsWithoutRun > 0 ? "  (+\(s.recordsWithoutRun) events without \(EventField.runID))" : "") + "\n")
            out.write("disk usage   \(Format.bytes(s.bytesOnDisk))  (payload \(Format.bytes(s.payloadBytes)))\n")
            if let r = try RetentionPolicy.load(store) {
                let days = r.maxAgeNanoseconds.map { Format.fixed(Double($0) / 86_400e9, 2) + " days" } ?? "no age limit"
                let size = r.maxBytes.map { Format.bytes($0) } ?? "no size limit"
                out.write("retention    \(days), \(size)  (applied by compact and by writers after sealing)\n")
            } else {
                out.write("retention    none set (torqlog compact --retention-days N / --max-bytes N)\n")
            }
            out.write("first event  \(first ?? "-")\n")
            out.write("last event   \(last ?? "-")\n")
            if !s.types.isEmpty {
                out.write("by type\n")
                for (k, v) in s.types.sorted(by: { $0.value > $1.value }) {
                    out.write("  " + Format.pad(k, 20) + " \(v)\n")
                }
            }
            out.write("segment files\n")
            for seg in s.segments {
                out.write("  \(seg.name)  \(Format.pad(Format.bytes(seg.bytes), 10))  \(seg.records) events\(seg.isActive ? "  (active)" : seg.isSealed ? "  (sealed)" : "")\n")
            }
            for seg in s.leftovers {
                out.write("  \(seg.name)  \(Format.pad(Format.bytes(seg.bytes), 10))  leftover of an interrupted merge: not read, removed by the next writer\n")
            }
        }
        out.flush()
    }
}
