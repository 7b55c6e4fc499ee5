import Foundation
import Testing
@testable import TorqLogStore

@Suite("Store cursors")
struct StoreCursorTests {
    @Test("a saved cursor reads back; a missing one is nil; every cursor of the store is listed")
    func savedCursorsReadBack() throws {
        let store = TemporaryStore("cursor")
        #expect(try StoreCursor.load("a", in: store.directory) == nil)
        try StoreCursor(name: "a", sequence: 42, dropped: 3).save(in: store.directory)
        try StoreCursor(name: "b.2", sequence: 7).save(in: store.directory)
        #expect(try StoreCursor.load("a", in: store.directory) == StoreCursor(name: "a", sequence: 42, dropped: 3))
        #expect(try String(contentsOfFile: store.path + "/cursor-a", encoding: .utf8) == "torqlog-cursor 1 42 3\n")
        #expect(try StoreCursor.all(in: store.directory).map(\.name) == ["a", "b.2"])
        #expect(!FileManager.default.fileExists(atPath: store.path + "/.cursor-a.new"))
    }

    @Test("a damaged cursor file is an error naming the file, not a cursor at 0")
    func damagedCursorIsAnError() throws {
        let store = TemporaryStore("cursor-bad")
        try "torqlog-cursor 1 12".write(toFile: store.path + "/cursor-x", atomically: false, encoding: .utf8)
        #expect(throws: StoreError.self) { try StoreCursor.load("x", in: store.directory) }
        do {
            _ = try StoreCursor.load("x", in: store.directory)
        } catch {
            #expect("\(error)".contains("cursor-x"))
        }
    }

    @Test("a failed rename or fsync leaves the previous cursor in place, and says so")
    func failedSaveKeepsThePreviousCursor() throws {
        let store = TemporaryStore("cursor-fault")
        try StoreCursor(name: "s", sequence: 10).save(in: store.directory)
        for operation in [FileOperation.fdatasync, .rename] {
            let rule = InjectedFaults.arm(.init(directory: store.path, operation: operation, at: 1, errno: .ioError))
            defer { InjectedFaults.disarm(rule) }
            #expect(throws: StoreError.self) { try StoreCursor(name: "s", sequence: 99).save(in: store.directory) }
            #expect(try StoreCursor.load("s", in: store.directory)?.sequence == 10)
        }
    }

    @Test("names: letters, digits, '-', '_', '.'; 1 to 64 bytes")
    func names() {
        #expect(StoreCursor.problem(name: "upstream") == nil)
        #expect(StoreCursor.problem(name: "edge-1_a.b") == nil)
        #expect(StoreCursor.problem(name: "") != nil)
        #expect(StoreCursor.problem(name: "a/b") != nil)
        #expect(StoreCursor.problem(name: "..") != nil)
        #expect(StoreCursor.problem(name: String(repeating: "x", count: 65)) != nil)
    }
}
