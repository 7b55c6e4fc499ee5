import Foundation  // String.range(of:)
#if canImport(Glibc)
import Glibc
#endif

/// How long and how much a store keeps: applied by `torqlog compact` and, when
/// a writer is given one, after each segment it seals.
public struct RetentionPolicy: Sendable, Equatable {
    /// Records whose event time is older than this many nanoseconds before now
    /// are removed (an event exactly at the limit is kept). Nil: no age limit.
    public var maxAgeNanoseconds: Int64?
    /// The oldest sealed segments are deleted while the store is larger than this. Nil: no size limit.
    public var maxBytes: Int64?

    /// A policy; nil limits are not applied.
    public init(maxAgeNanoseconds: Int64? = nil, maxBytes: Int64? = nil) {
        self.maxAgeNanoseconds = maxAgeNanoseconds
        self.maxBytes = maxBytes
    }

    /// A policy keeping `days` days (`retention_days`, as in `retention.json`).
    public static func days(_ days: Double, maxBytes: Int64? = nil) -> RetentionPolicy {
        RetentionPolicy(maxAgeNanoseconds: nanoseconds(days: days), maxBytes: maxBytes)
    }

    /// `days` in nanoseconds, saturating at `Int64.max` (about 106,751 days);
    /// nil for a value that is not a number or below zero.
    static func nanoseconds(days: Double) -> Int64? {
        let ns = days * 86_400e9
        guard ns.isFinite || ns == .infinity, ns >= 0 else { return nil }
        return ns >= 9.2e18 ? Int64.max : Int64(ns)
    }

    /// Applies the policy to the store `compactor` works on, at time `now` (nanoseconds).
    public func apply(_ compactor: Compactor, now: Int64 = RetentionPolicy.now()) throws -> Compactor.Report {
        var total = Compactor.Report()
        if let age = maxAgeNanoseconds {
            let r = try compactor.removeRecords(olderThan: now.subtractingReportingOverflow(age).overflow ? Int64.min : now - age)
            total = r
        }
        if let maxBytes {
            let r = try compactor.trim(toBytes: maxBytes)
            if total.bytesBefore == 0 { total.bytesBefore = r.bytesBefore }
            total.segmentsDeleted += r.segmentsDeleted
            total.recordsRemoved += r.recordsRemoved
            total.bytesAfter = r.bytesAfter
            total.recordsKeptForCursors += r.recordsKeptForCursors
            if !r.cursorsHolding.isEmpty { total.cursorsHolding = r.cursorsHolding }
        }
        return total
    }

    /// The file in a store that remembers its retention policy.
    public static let fileName = "retention.json"

    /// The policy saved in `directory`, if any (writers apply it in the background).
    ///
    /// - Throws: when `retention.json` exists but cannot be read, or is larger
    ///   than 4 KiB (not a file torqlog wrote): a policy silently ignored
    ///   would keep data the user asked to delete.
    public static func load(_ directory: StoreDirectory) throws -> RetentionPolicy? {
        let path = directory.file(fileName)
        let file: OwnedFile
        do {
            file = try OwnedFile.open(path, flags: O_RDONLY)
        } catch let e as StoreError where e.errno == .noSuchFileOrDirectory {
            return nil
        }
        let size = try file.size()
        guard size <= 4096 else {
            throw StoreError(.invalidArgument, path: path, "\(size) bytes: not a retention policy torqlog wrote (at most 4096 bytes)")
        }
        var raw = [UInt8](repeating: 0, count: Int(size))
        let n = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: 0) }
        raw.removeSubrange(n...)
        let text = String(decoding: raw, as: UTF8.self)
        func number(_ key: String) -> Double? {
            guard let r = text.range(of: "\"\(key)\":") else { return nil }
            let rest = text[r.upperBound...].drop { $0 == " " }
            return Double(rest.prefix { "0123456789.eE+-".contains($0) })
        }
        let policy = RetentionPolicy(maxAgeNanoseconds: number("retention_days").flatMap { nanoseconds(days: $0) },
                                     maxBytes: number("max_bytes").flatMap { $0 >= 0 && $0 < 9.2e18 ? Int64($0) : ($0 >= 9.2e18 ? Int64.max : nil) })
        return policy.maxAgeNanoseconds == nil && policy.maxBytes == nil ? nil : policy
    }

    /// Saves this policy in `directory` (crash-safe: temporary file, sync, rename).
    public func save(_ directory: StoreDirectory) throws {
        let days = maxAgeNanoseconds.map { String(Double($0) / 86_400e9) } ?? "null"
        let bytes = maxBytes.map(String.init) ?? "null"
        let text = "{\"retention_days\":\(days),\"max_bytes\":\(bytes)}\n"
        let path = directory.file(Self.fileName)
        let file = try OwnedFile.open(path + ".tmp", flags: O_WRONLY | O_CREAT | O_TRUNC)
        try Array(text.utf8).withUnsafeBytes { try file.writeAll($0) }
        try file.syncData()
        try file.close()
        try Filesystem.rename(path + ".tmp", path)
        try Filesystem.syncDirectory(directory.path)
    }

    /// The current time in nanoseconds since the epoch.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
