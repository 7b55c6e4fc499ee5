import ArgumentParser
import TorqLogStore

/// `torqlog seal`: compress and index every segment but an empty active one.
struct SealCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Seal every WAL segment (LZ4 frames that `lz4 -dc` reads, with a run index), but an empty active one.",
        discussion: "Takes the writer lock: fails while another writer has the store open (that writer seals on rollover itself)."
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    func run() throws {
        let writer = try LogWriter(directory: store, options: .init(durability: .always))
        do {
            try writer.sealAll()
            try writer.close()
        } catch {
            throw writer.close(after: error)
        }
        let s = try StoreStatistics(StoreReader(directory: store))
        let ratio = s.sealedJSONLBytes > 0 ? Double(s.sealedBytes) / Double(s.sealedJSONLBytes) : 0
        Console.write(1, "\(store.path): \(s.segments.filter(\.isSealed).count) sealed segments, \(Format.bytes(s.sealedBytes)) for \(Format.bytes(s.sealedJSONLBytes)) of JSONL (\(Format.fixed(ratio * 100, 1))%)\n")
    }
}
