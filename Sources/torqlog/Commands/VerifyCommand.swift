import ArgumentParser
import TorqLogStore

/// `torqlog verify`: check every frame and checksum.
struct VerifyCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every frame and checksum of every segment; exit 1 if anything is damaged.",
        discussion: "Prints each damaged region (segment, byte offset, length, reason). Never modifies the store."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Flag(name: .shortAndLong, help: "Print only problems.")
    var quiet = false

    @Flag(help: "Move damaged sealed segments to the store's quarantine/ folder (takes the writer lock); nothing is deleted.")
    var quarantine = false

    func run() throws {
        let report = try StoreVerifier(directory: store).run()
        for p in report.problems {
            Console.write(p.isDamage ? 2 : 1, (p.isDamage ? "DAMAGED " : "note: ") + p.description + "\n")
        }
        if !quiet || report.isDamaged {
            let damaged = report.problems.filter(\.isDamage).count
            Console.write(report.isDamaged ? 2 : 1,
                "\(store.path): \(report.segments) segments, \(report.records) valid records, \(Format.bytes(report.bytes)) checked: "
                + (report.isDamaged ? "\(damaged) damaged region\(damaged == 1 ? "" : "s")\n" : "OK\n"))
        }
        for q in Quarantine.contents(store) {
            Console.write(1, "note: \(store.path)/quarantine/\(q) was set aside by an earlier verify --quarantine\n")
        }
        if quarantine && report.isDamaged {
            let writer = try LogWriter(directory: store, options: .init(durability: .always, sealClosedSegments: false))
            let moved: [String]
            do {
                moved = try Quarantine(writer: writer).isolate(report)
                try writer.close()
            } catch {
                throw writer.close(after: error)
            }
            for m in moved { Console.write(2, "quarantined: \(m)\n") }
        }
        if report.isDamaged { throw ExitCode(1) }
    }
}
