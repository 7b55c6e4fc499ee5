import ArgumentParser
import TorqTelemetry

/// `torqlog schema`: the JSON Schema of compliant events, generated from the Swift definitions.
struct SchemaCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of compliant events.",
        discussion: """
            Generated from the same definitions as the validator of `torqlog compliance`: an event \
            is compliant exactly when it validates against this schema. With --type, the schema of \
            one event type alone.
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: ArgumentHelp("Only this event type: \(EventType.complianceTypes.map(\.rawValue).joined(separator: ", ")).", valueName: "T"))
    var type: String?

    func validate() throws {
        if let type, !EventType.complianceTypes.contains(EventType(rawValue: type)) {
            throw ValidationError("unknown event type '\(type)': use one of \(EventType.complianceTypes.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        guard let document = EventJSONSchema.document(for: type.map(EventType.init(rawValue:))) else {
            throw ValidationError("unknown event type '\(type ?? "")'")
        }
        let out = OutputStream()
        out.write(document + "\n")
        out.flush()
    }
}
