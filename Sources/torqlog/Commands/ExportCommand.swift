import ArgumentParser
import TorqLogStore
import TorqTelemetry

/// `torqlog export`: the store as JSONL, every event exactly as ingested, or as OTLP/JSON.
struct ExportCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write events as JSONL, byte for byte as ingested, in sequence order (or as OTLP/JSON).",
        discussion: """
            --format otlp-json writes OpenTelemetry Protocol JSON for the Collector's otlpjsonfile receiver: each \
            line is one ExportTraceServiceRequest ({"resourceSpans":...}, up to 512 spans) or one \
            ExportLogsServiceRequest ({"resourceLogs":...}, up to 512 log records, one per event other than \
            span_start/span_end, with the OpenTelemetry GenAI attributes), never both. The spans are the ones \
            `torqlog trace` draws: one per span id, from span_start/span_end records, from events that carry \
            \(EventField.traceID)/\(EventField.spanID), or both (torq.span.derived=event marks a span made from events alone). A span \
            started and never ended is written with its end time equal to its start and torq.span.open=true. \
            Content (\(EventField.userQuery), routing query) is left out unless --include-content. A record that \
            cannot be converted is reported on standard error and the exit status is then 65.
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case jsonl
        case otlpJSON = "otlp-json"
    }

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions
    @OptionGroup var filters: FilterOptions

    @Option(name: .customLong("run"), help: "Only events of this run.")
    var runID: String?

    @Option(help: "jsonl (the events as stored) or otlp-json.")
    var format: Output = .jsonl

    @Flag(help: "otlp-json: include content (\(EventField.userQuery) as gen_ai.input.messages, the routing query).")
    var includeContent = false

    @Option(name: [.short, .long], help: "Write to FILE instead of standard output.")
    var output: String?

    func run() throws {
        let reader = try StoreReader(directory: store)
        let out = try OutputStream(path: output)
        switch format {
        case .jsonl:
            try reader.forEach(filters.filter(run: runID)) { record in
                out.writeLine(record.payload)
                return !out.closed
            }
        case .otlpJSON:
            var encoder = OTLPJSONEncoder(options: .init(includeContent: includeContent))
            var rejected = 0
            try reader.forEach(filters.filter(run: runID)) { record in
                do {
                    try encoder.add(json: record.payload)
                } catch {
                    rejected += 1
                    if rejected <= 20 { Console.error("record at sequence \(record.sequence): \(error); not exported") }
                }
                Self.write(encoder.takeLineBytes(), to: out)
                return !out.closed
            }
            encoder.finish()
            Self.write(encoder.takeLineBytes(), to: out)
            out.flush()
            if rejected > 0 {
                if rejected > 20 { Console.error("… \(rejected - 20) more records not exported") }
                if let failure = out.failure { throw StoreError(.io, path: output ?? "<stdout>", "write failed: \(failure)") }
                throw ExitCode(65)
            }
        }
        out.flush()
        if let failure = out.failure { throw StoreError(.io, path: output ?? "<stdout>", "write failed: \(failure)") }
    }

    private static func write(_ lines: [[UInt8]], to out: OutputStream) {
        for line in lines { line.withUnsafeBytes { out.writeLine($0) } }
    }
}
