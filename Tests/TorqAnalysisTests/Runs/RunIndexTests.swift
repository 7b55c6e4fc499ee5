import Foundation
import Testing
@testable import TorqAnalysis
import TorqJSON
import TorqLogStore
import TorqTestSupport

/// The runs list's figures, from sidecars and WAL scans, against a count
/// made by reading every event with Foundation.
@Suite("RunIndex: per-run figures from sidecars")
struct RunIndexTests {
    /// A store of `events` sample events in small segments: sealed ones, then the active WAL.
    private func makeStore(_ dir: TemporaryDirectory, events: Int = 6000, seed: UInt64 = 11) throws -> StoreDirectory {
        let store = StoreDirectory(dir.file("store"))
        let writer = try LogWriter(directory: store, options: LogWriter.Options(segmentSize: 128 << 10, durability: .never))
        var workload = SampleWorkload(seed: seed, defectRate: 0)
        for _ in 0..<(events / 500) {
            var batch = RecordBatch()
            for _ in 0..<500 {
                let line = workload.nextLine()
                let object = foundationObject(String(decoding: line, as: UTF8.self))
                let stamp = object?["timestamp"] as? String
                try batch.append(payload: line, runKey: object?["run_id"] as? String, type: object?["event_type"] as? String,
                                 time: stamp.flatMap { RFC3339.parseNanoseconds($0) })
            }
            _ = try writer.append(&batch)
        }
        _ = writer.waitForSealing()
        try writer.close()
        return store
    }

    /// The figures of every run, counted from every event's JSON.
    private func independentCount(_ store: StoreDirectory) throws -> [String: RunFigures] {
        var runs: [String: RunFigures] = [:]
        var order: [String] = []
        try StoreReader(directory: store).forEach { record in
            guard let id = record.runKeyString else { return true }
            let o = foundationObject(String(decoding: record.payload, as: UTF8.self)) ?? [:]
            if runs[id] == nil { runs[id] = RunFigures(runID: id); order.append(id) }
            var r = runs[id]!
            r.events += 1
            if let t = record.time { r.firstTime = min(r.firstTime ?? t, t); r.lastTime = max(r.lastTime ?? t, t) }
            let type = o["event_type"] as? String
            if type == "model_interaction" {
                r.inputTokens += (o["prompt_tokens"] as? Int) ?? 0
                r.outputTokens += (o["completion_tokens"] as? Int) ?? 0
            }
            if type == "tool_execution" { r.toolCalls += 1 }
            if type == "agent_run" {
                if r.agent == nil { r.agent = o["agent_name"] as? String }
                if let s = o["status"] as? String { r.lastStatus = s }
            }
            let status = (o["status"] as? String)?.lowercased()
            if (o["success"] as? Bool) == false || ["failed", "error", "failure", "timeout", "timed_out"].contains(status ?? "") {
                r.errors += 1
            }
            runs[id] = r
            return true
        }
        return runs
    }

    private func sidecars(_ store: StoreDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.path).filter { $0.hasSuffix(".runs") }.sorted()
    }

    @Test("figures over sealed segments and the active WAL equal a count of every event; sidecars are written once per sealed segment")
    func figuresEqualAnIndependentCount() throws {
        let dir = TemporaryDirectory("runindex")
        let store = try makeStore(dir)
        let segments = try StoreReader(directory: store).segments
        #expect(segments.filter { $0.kind == .sealed }.count >= 3)
        #expect(segments.last?.kind == .wal)
        RunIndex.forgetCached()
        let runs = try RunIndex.runs(store)
        let expected = try independentCount(store)
        #expect(runs.count == expected.count && runs.count > 100)
        for r in runs { #expect(r == expected[r.runID], "\(r.runID)") }
        #expect(try sidecars(store).count == segments.filter { $0.kind == .sealed }.count)
        #expect(Set(runs.map(\.status)).count > 1)
        // From memory, and from the sidecars alone: the same.
        #expect(try RunIndex.runs(store) == runs)
        RunIndex.forgetCached()
        #expect(try RunIndex.runs(store) == runs)
    }

    @Test("a deleted, damaged or stale sidecar is rebuilt with the same figures")
    func damagedSidecarsAreRebuilt() throws {
        let dir = TemporaryDirectory("runindex-damage")
        let store = try makeStore(dir)
        RunIndex.forgetCached()
        let runs = try RunIndex.runs(store)
        let names = try sidecars(store)
        try #require(names.count >= 3)
        let first = store.file(names[0]), second = store.file(names[1]), third = store.file(names[2])
        try FileManager.default.removeItem(atPath: first)
        var bytes = try #require(FileManager.default.contents(atPath: second))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: second))
        let original = try #require(FileManager.default.contents(atPath: third))
        var stale = try #require(RunSidecar.decode(Array(original)))
        stale.segment.indexCRC ^= 1
        try Data(stale.encoded()).write(to: URL(fileURLWithPath: third))
        RunIndex.forgetCached()
        #expect(try RunIndex.runs(store) == runs)
        #expect(try sidecars(store) == names)
        #expect(FileManager.default.contents(atPath: third) == original)
        // An orphan sidecar (its segment gone) is removed.
        try Data(original).write(to: URL(fileURLWithPath: store.file("00000000009999999999.runs")))
        #expect(try RunIndex.runs(store) == runs)
        #expect(try sidecars(store) == names)
    }

    @Test("after dropping a run it is gone from the figures; the rest are unchanged")
    func droppedRunIsGone() throws {
        let dir = TemporaryDirectory("runindex-drop")
        let store = try makeStore(dir)
        RunIndex.forgetCached()
        let before = try RunIndex.runs(store)
        let victim = before[before.count / 3].runID
        let writer = try LogWriter(directory: store, options: LogWriter.Options(durability: .never))
        try writer.sealAll()  // as `compact` does: dropping rewrites sealed segments
        _ = try Compactor(writer: writer).dropRun(victim)
        try writer.close()
        let after = try RunIndex.runs(store)
        #expect(!after.contains { $0.runID == victim })
        #expect(after == before.filter { $0.runID != victim })
        #expect(try independentCount(store).count == after.count)
    }

    @Test("after merging segments the figures are unchanged, and only the kept segments have sidecars")
    func mergedSegments() throws {
        let dir = TemporaryDirectory("runindex-merge")
        let store = try makeStore(dir)
        let before = try RunIndex.runs(store)
        let writer = try LogWriter(directory: store, options: LogWriter.Options(durability: .never))
        try writer.sealAll()
        _ = try Compactor(writer: writer).merge(targetBytes: 1 << 30)
        try writer.close()
        let after = try RunIndex.runs(store)
        #expect(after == before)
        let sealed = try StoreReader(directory: store).segments.filter { $0.kind == .sealed }
        #expect(try sidecars(store) == sealed.map { String(URL(fileURLWithPath: $0.path).lastPathComponent.dropLast(3)) + "runs" })
        #expect(sealed.count == 1)
    }

    @Test("as the store grows (the active WAL, then new sealed segments), the figures follow it")
    func growingStore() throws {
        let dir = TemporaryDirectory("runindex-grow")
        let store = try makeStore(dir, events: 3000)
        let first = try RunIndex.runs(store)
        #expect(first.count == (try independentCount(store)).count)
        _ = try makeStore(dir, events: 3000, seed: 12)  // the same directory: appended
        let second = try RunIndex.runs(store)
        let expected = try independentCount(store)
        #expect(second.count == expected.count && second.count > first.count)
        for r in second { #expect(r == expected[r.runID], "\(r.runID)") }
    }

    @Test("paging with before and before_run lists every run exactly once, newest first; filters select")
    func pagingAndFilters() throws {
        let dir = TemporaryDirectory("runindex-page")
        let store = try makeStore(dir)
        let runs = try RunIndex.runs(store)
        var seen: [String] = []
        var query = RunQuery()
        query.limit = 7
        while true {
            let page = query.page(runs)
            seen += page.runs.map(\.runID)
            guard page.more, let last = page.runs.last else { break }
            query.before = last.firstTime
            query.beforeRun = last.runID
        }
        #expect(seen == runs.sorted(by: RunQuery.newerFirst).map(\.runID))
        #expect(Set(seen).count == runs.count)

        var byAgent = RunQuery()
        let agent = try #require(runs.first?.agent)
        byAgent.agent = agent
        byAgent.limit = 1000
        #expect(byAgent.page(runs).runs.count == runs.filter { $0.agent == agent }.count)
        var byStatus = RunQuery()
        byStatus.status = "failed"
        byStatus.limit = 1000
        #expect(byStatus.page(runs).runs.allSatisfy { $0.status == "failed" })
        var byText = RunQuery()
        byText.text = String(runs[5].runID.suffix(6))
        #expect(byText.page(runs).runs.contains { $0.runID == runs[5].runID })
        var window = RunQuery()
        window.limit = 1000
        window.since = runs[10].firstTime
        window.until = runs[20].firstTime
        #expect(window.page(runs).runs.allSatisfy { $0.firstTime! >= runs[10].firstTime! && $0.firstTime! < runs[20].firstTime! })
    }
}
