import ArgumentParser
import TorqLogStore

/// `torqlog compact`: retention, merging, and erasing a run.
struct CompactCommand: StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Apply retention (by age and size), merge small sealed segments, or erase one run everywhere.",
        discussion: """
            Seals the WAL first, then rewrites sealed segments crash-safely (temporary file, sync, rename).

            --retention-days and --max-bytes are remembered in the store (retention.json) and applied by \
            every writer in the background after it seals a segment; without them the saved policy is applied. \
            An event exactly at the age limit is kept; events without a timestamp never expire by age.
            """
    )

    @ParentCommand var parent: TorqLog
    @OptionGroup var local: GlobalOptions

    @Option(help: "Remove events older than this many days (remembered in the store's retention.json as retention_days).")
    var retentionDays: Double?

    @Option(help: "Delete the oldest sealed segments while the store is larger than this many bytes.")
    var maxBytes: Int64?

    @Flag(help: "Merge runs of small sealed segments.")
    var merge = false

    @Option(help: "Merge target size in bytes.")
    var mergeTarget: Int64 = 64 << 20

    @Option(name: .customLong("drop-run"), help: "Erase every event of this run from every file (a user's right to be forgotten).")
    var dropRun: String?

    func validate() throws {
        if let d = retentionDays, !(d >= 0) { throw ValidationError("--retention-days must be 0 or more") }
        if let b = maxBytes, b < 0 { throw ValidationError("--max-bytes must be 0 or more") }
    }

    func run() throws {
        var options = LogWriter.Options(durability: .always)
        options.applySavedRetention = false  // this command applies it itself, in order
        let writer = try LogWriter(directory: store, options: options)
        do {
            try compact(writer)
            try writer.close()
        } catch {
            throw writer.close(after: error)
        }
    }

    private func compact(_ writer: LogWriter) throws {
        try writer.sealAll()
        let compactor = Compactor(writer: writer)
        var policy = try RetentionPolicy.load(store)
        if retentionDays != nil || maxBytes != nil {
            policy = RetentionPolicy(maxAgeNanoseconds: retentionDays.flatMap { RetentionPolicy.days($0).maxAgeNanoseconds }, maxBytes: maxBytes)
            try policy?.save(store)
        }
        if let policy {
            let r = try policy.apply(compactor)
            Console.write(1, "retention: \(r.recordsRemoved) events removed, \(r.segmentsDeleted) segments deleted, \(r.segmentsRewritten) rewritten; \(Format.bytes(r.bytesBefore)) → \(Format.bytes(r.bytesAfter))\n")
            if r.recordsKeptForCursors > 0 {
                let names = r.cursorsHolding.joined(separator: ", ")
                Console.note("retention: kept \(r.recordsKeptForCursors) events that forward cursor \(names) has not delivered yet; they go once it passes them (or delete \(store.path)/cursor-NAME to give them up)")
            }
        }
        if let dropRun {
            let r = try compactor.dropRun(dropRun)
            Console.write(1, "drop-run \(dropRun): \(r.recordsRemoved) events erased from \(r.segmentsRewritten) segments; a scan finds none left\n")
        }
        if merge {
            let r = try compactor.merge(targetBytes: mergeTarget)
            Console.write(1, "merge: \(r.segmentsRewritten) merged segments replace \(r.segmentsRewritten + r.segmentsDeleted); \(Format.bytes(r.bytesBefore)) → \(Format.bytes(r.bytesAfter))\n")
        }
        if policy == nil && dropRun == nil && !merge {
            Console.write(1, "sealed; no retention policy set (use --retention-days / --max-bytes), nothing else asked\n")
        }
    }
}
