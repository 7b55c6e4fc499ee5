import ArgumentParser
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// The `torqlog` command: record, inspect and keep the telemetry of AI-agent systems.
@main
struct TorqLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torqlog",
        abstract: "An append-only event store for AI-agent telemetry, and the tools to read it.",
        discussion: """
            The store is a directory: --dir DIR, else $TORQLOG_DIR, else ~/.torqlog.

            Exit status: 0 success; 1 failure (damaged or locked store, not found); 65 input data \
            rejected; 69 serve cannot listen; 73 a file could not be created; 74 an I/O error (a failed read, write, sync \
            or rename); 77 permission denied.
            """,
        version: "0.1.0",
        subcommands: [
            IngestCommand.self, ExportCommand.self, ReplayCommand.self, TailCommand.self,
            SealCommand.self, CompactCommand.self, ArchiveCommand.self, VerifyCommand.self, InfoCommand.self, DemoCommand.self,
            ComplianceCommand.self, SchemaCommand.self,
            TelemetryCommand.self, TraceCommand.self, ServeCommand.self, ForwardCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let status = ExitStatus.of(error) {
                Console.error("\(error)")
                Glibc.exit(status)
            }
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory (default: $TORQLOG_DIR, else ~/.torqlog).", valueName: "DIR"))
    var dir: String?
}

/// Gives a subcommand the store chosen by `--dir` placed before or after the subcommand name.
protocol StoreCommand: ParsableCommand {
    var parent: TorqLog { get }
    var local: GlobalOptions { get }
}

extension StoreCommand {
    var store: StoreDirectory { StoreDirectory.resolve(local.dir ?? parent.global.dir) }
}
