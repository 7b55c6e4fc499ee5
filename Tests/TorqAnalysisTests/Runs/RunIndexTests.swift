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

    @Test("the timeline over sidecars and the WAL equals a count of every event's minute and failure")
    func timelineEqualsAnIndependentCount() throws {
        let dir = TemporaryDirectory("runindex-timeline")
        let store = try makeStore(dir)
        var expected: [Int64: ActivityTimeline.Counts] = [:]
        var untimed = 0
        try StoreReader(directory: store).forEach { record in
            guard let t = record.time else { untimed += 1; return true }
            let o = foundationObject(String(decoding: record.payload, as: UTF8.self)) ?? [:]
            let status = (o["status"] as? String)?.lowercased()
            let failed = (o["success"] as? Bool) == false || ["failed", "error", "failure", "timeout", "timed_out"].contains(status ?? "")
            // Floor division by a minute of nanoseconds, as a reader of FORMAT.md would do it.
            let minute = Int64((Double(t) / 60e9).rounded(.down))
            expected[minute, default: .init()].events += 1
            if failed { expected[minute, default: .init()].errors += 1 }
            return true
        }
        RunIndex.forgetCached()
        let timeline = try RunIndex.timeline(store)
        #expect(timeline.minutes == expected && expected.count > 1)
        #expect(timeline.untimed == untimed)
        #expect(expected.values.contains { $0.errors > 0 })
        // From the sidecars alone: the same.
        RunIndex.forgetCached()
        #expect(try RunIndex.timeline(store) == timeline)
        // Buckets: every event once, widths from the list, the first and last minutes inside.
        let (width, buckets) = timeline.buckets(count: 3)
        #expect(buckets.count <= 3 && !buckets.isEmpty && ActivityTimeline.widths.contains(width))
        #expect(buckets.map(\.counts.events).reduce(0, +) == expected.values.map(\.events).reduce(0, +))
        #expect(buckets.map(\.counts.errors).reduce(0, +) == expected.values.map(\.errors).reduce(0, +))
        let first = try #require(expected.keys.min()), last = try #require(expected.keys.max())
        #expect(buckets[0].startMinute <= first && first < buckets[0].startMinute + width)
        #expect(buckets[buckets.count - 1].startMinute <= last && last < buckets[buckets.count - 1].startMinute + width)
    }

    @Test("a sidecar of format 1 (no timeline) is rewritten as format 2 with the same run figures")
    func formatOneSidecarIsRewritten() throws {
        let dir = TemporaryDirectory("runindex-format1")
        let store = try makeStore(dir)
        RunIndex.forgetCached()
        let runs = try RunIndex.runs(store)
        let name = try #require(try sidecars(store).first)
        let path = store.file(name)
        let current = try #require(FileManager.default.contents(atPath: path))
        // The same line as format 1 wrote it: no "minutes" nor "untimed", "format":1, its own checksum.
        var object = try #require(try JSONSerialization.jsonObject(with: current.prefix(current.count - 10)) as? [String: Any])
        object["format"] = 1
        object["minutes"] = nil
        object["untimed"] = nil
        let line = Array(try JSONSerialization.data(withJSONObject: object))
        let crc = line.withUnsafeBytes { CRC32C.checksum($0) }
        try Data(line + [0x0A] + Array(String(format: "%08x", crc).utf8) + [0x0A]).write(to: URL(fileURLWithPath: path))
        #expect(RunSidecar.decode(Array(try #require(FileManager.default.contents(atPath: path)))) == nil)
        RunIndex.forgetCached()
        #expect(try RunIndex.runs(store) == runs)
        #expect(FileManager.default.contents(atPath: path) == current)
    }

    @Test("buckets: widths chosen to fit, aligned to the epoch, empty buckets kept, ranges clipped, times before 1970")
    func buckets() {
        var t = ActivityTimeline()
        let minute: Int64 = 60_000_000_000
        t.add(time: 0, failure: false)
        t.add(time: 59 * minute + 1, failure: true)
        t.add(time: 61 * minute, failure: false)
        t.add(time: nil, failure: false)
        t.add(time: -1, failure: false)  // the minute before the epoch
        #expect(ActivityTimeline.minute(ofNanoseconds: -1) == -1)
        #expect(ActivityTimeline.minute(ofNanoseconds: -minute) == -1)
        #expect(ActivityTimeline.minute(ofNanoseconds: -minute - 1) == -2)
        #expect(t.untimed == 1)
        let all = t.buckets(count: 100)
        #expect(all.widthMinutes == 1 && all.buckets.count == 63)  // minutes -1 ... 61
        #expect(all.buckets.first?.startMinute == -1 && all.buckets.last?.startMinute == 61)
        let coarse = t.buckets(count: 2)
        // 1 h would need 3 buckets (-60, 0, 60): 3 h is the narrowest that fits in 2.
        #expect(coarse.widthMinutes == 180 && coarse.buckets.map(\.startMinute) == [-180, 0])
        #expect(coarse.buckets.map(\.counts.events) == [1, 3])
        let five = t.buckets(count: 20)
        #expect(five.widthMinutes == 5 && five.buckets.first?.startMinute == -5)
        #expect(five.buckets.map(\.counts.events).reduce(0, +) == 4)
        #expect(five.buckets.map(\.counts.errors).reduce(0, +) == 1)
        let clipped = t.buckets(count: 100, since: 0, until: 60 * minute)
        #expect(clipped.buckets.count == 60 && clipped.buckets.map(\.counts.events).reduce(0, +) == 2)
        #expect(ActivityTimeline().buckets(count: 10).buckets.isEmpty)
        let years = ActivityTimeline.minute(ofNanoseconds: 3 * 365 * 1440 * minute)
        var long = ActivityTimeline()
        long.add(minute: 0, .init(events: 1))
        long.add(minute: years, .init(events: 2))
        let weekly = long.buckets(count: 10)
        #expect(weekly.buckets.count <= 10 && weekly.widthMinutes % 10_080 == 0)
        #expect(weekly.buckets.map(\.counts.events).reduce(0, +) == 3)
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
