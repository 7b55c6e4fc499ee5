import Foundation
import Testing
import TorqTestSupport
@testable import TorqLogStore

/// `Fixtures/v2/` pins format version 2: sealed segments and an active WAL
/// segment, read by this code and by a Python reader written from FORMAT.md alone.
@Suite struct FixtureV2Tests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let root = repo.appendingPathComponent("Fixtures/v2").path

    @Test func theV2StoreReadsBackToItsExpectedExport() throws {
        let store = StoreDirectory(Self.root + "/store")
        let segments = try store.segments()
        #expect(segments.filter { $0.kind == .sealed }.count == 4)
        #expect(segments.last?.kind == .wal)
        let export = try exportBytes(store)
        #expect(export == readFile(Self.root + "/expected-export.jsonl"))
        let report = try StoreVerifier(directory: store).run()
        #expect(report.problems.isEmpty && report.records == 52)
        var run1: [UInt64] = []
        try StoreReader(directory: store).forEach(RecordFilter(runKey: "run-v2-1")) { r in run1.append(r.sequence); return true }
        #expect(run1 == [13, 17, 25, 29, 33, 37, 45, 49].map { UInt64($0) }, "i % 4 == 1, except i % 10 == 9 (no run_id), at sequence 12 + i")
    }

    @Test func aPythonReaderWrittenFromFormatMdReadsEveryVersion() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import lz4.frame"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            Issue.record("skipped: needs python3 with the `lz4` package (pip install lz4; `make test` installs it)")
            return
        }
        for version in ["v1", "v2", "v3"] {
            let dir = Self.repo.appendingPathComponent("Fixtures/\(version)").path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", Self.repo.appendingPathComponent("Tests/Python/torqlog_reader.py").path, dir + "/store"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(version)")
            #expect([UInt8](data) == readFile(dir + "/expected-export.jsonl"), "\(version)")
        }
    }
}
