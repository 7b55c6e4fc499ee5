import ArgumentParser
import TorqLogStore
import TorqTelemetry

/// `--type`, `--since`, `--until`: conditions on record headers.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only events of this \(EventField.eventType).")
    var type: String?

    @Option(help: "Only events at or after TIME (RFC 3339, a date, or a duration ago such as 2h).")
    var since: TimeArgument?

    @Option(help: "Only events before TIME.")
    var until: TimeArgument?

    func filter(run: String? = nil) -> RecordFilter {
        RecordFilter(runKey: run, type: type, since: since?.nanoseconds, until: until?.nanoseconds)
    }
}

/// How events are printed.
enum EventFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl
}
