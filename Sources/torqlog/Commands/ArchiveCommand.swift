import ArgumentParser
import TorqLogStore

/// `torqlog archive`: copy or move sealed segments to another directory.
struct ArchiveCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Copy (or move) sealed segments to DIR, a read-only store with a MANIFEST.json.",
        discussion: "Each copy is verified by checksum before anything is removed. `torqlog --dir DIR replay ...` reads the archive."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: "The archive directory.")
    var to: String

    @Option(help: "Only the oldest segments whose every event is before TIME.")
    var before: TimeArgument?

    @Flag(help: "Remove the segments from the store once their copies are verified.")
    var move = false

    func run() throws {
        // Moving deletes segments: hold the writer lock meanwhile (and seal what is closed).
        let writer = move ? try LogWriter(directory: store, options: .init(durability: .always)) : nil
        let target = StoreDirectory.resolve(to)
        let r: Archiver.Report
        do {
            if let writer {
                // A segment that fails to seal stays a WAL segment, which is not archived: say so.
                for failure in writer.waitForSealing() { Console.error("not archived (sealing failed): \(failure)") }
            } else {
                try store.requireExisting()
            }
            r = try Archiver(store: store).archive(to: target, before: before?.nanoseconds, move: move)
            try writer?.close()
        } catch {
            throw writer?.close(after: error) ?? error
        }
        Console.write(1, "\(target.path): \(r.copied) segments copied (\(Format.bytes(r.bytes))), \(r.alreadyArchived) already there, \(r.removed) removed from the store\n")
    }
}
