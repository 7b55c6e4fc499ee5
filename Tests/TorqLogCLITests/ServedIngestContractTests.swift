import Foundation
import Testing
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `torqlog ingest` through a server keeps the contract it has alone: the
/// same line errors and exit status, `--fsync` given or refused, a dead
/// server's socket trusted by nobody, the socket its owner's only, and the
/// readers working beside the server.
@Suite("ingest through torqlog serve: the same contract as alone")
struct ServedIngestContractTests {
    /// Good lines around bad ones of several kinds, and a blank line.
    static let mixedInput: Data = {
        let good = ProducerInput("mixed", count: 6).lines
        var d = Data()
        for line in [good[0], "not json", good[1], "[1,2,3]", "", good[2], "{", "42", good[3]] { d.append(Data((line + "\n").utf8)) }
        d.append(Data(#"{"a":""#.utf8) + Data([0xFF]) + Data("\"}\n".utf8))  // not UTF-8
        for line in [good[4], #"{"a":1} {"b":2}"#, good[5]] { d.append(Data((line + "\n").utf8)) }
        return d
    }()

    /// The `FILE:LINE: reason` lines of `stderr` for input `file`.
    static func rejections(_ result: CommandResult, _ file: String) -> [String] {
        result.stderrLines.filter { $0.hasPrefix(file + ":") }
    }

    @Test("bad lines through the server: the same FILE:LINE: reason lines, exit 65 and stored lines as alone; --strict too")
    func badLinesGiveTheSameErrorsAsAlone() throws {
        try withTemporaryDirectory { scratch in
            let file = scratch + "/mixed.jsonl"
            try Self.mixedInput.write(to: URL(fileURLWithPath: file))
            let alone = scratch + "/alone", served = scratch + "/served"
            let server = try ServeProcess(store: served)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")

            for options in [[], ["--strict"]] {
                let direct = try TorqlogBinary.run(["--dir", alone, "ingest"] + options + [file])
                let through = try TorqlogBinary.run(["--dir", served, "ingest"] + options + [file])
                #expect(direct.status == 65 && !direct.signaled, "\(options) alone: \(direct.summary)")
                #expect(through.status == 65 && !through.signaled, "\(options) through serve: \(through.summary)")
                #expect(through.stderrText.contains("through torqlog serve"), "\(options): \(through.stderrText)")
                let expected = Self.rejections(direct, file)
                #expect(expected.count == (options.isEmpty ? 6 : 1), "\(options) alone: \(direct.stderrText)")
                #expect(Self.rejections(through, file) == expected, "\(options): through serve \(through.stderrText), alone \(direct.stderrText)")
                let summary = #/; (\d+) rejected/#
                #expect(through.stderrText.firstMatch(of: summary)?.1 == direct.stderrText.firstMatch(of: summary)?.1,
                        "\(options): summaries differ: \(through.stderrText) against \(direct.stderrText)")
            }
            // The server's store now holds what the unserved one holds, byte for byte.
            let directExport = try TorqlogBinary.run(["--dir", alone, "export"])
            let servedExport = try TorqlogBinary.run(["--dir", served, "export"])
            #expect(directExport.succeeded && servedExport.succeeded && countNewlines(directExport.stdout) == 6 + 1)
            #expect(servedExport.stdout == directExport.stdout, "stored lines differ:\n\(servedExport.stdoutText)\nagainst\n\(directExport.stdoutText)")
            #expect(try server.terminate().succeeded)
        }
    }

    @Test("--fsync always or batch against serve --fsync never: refused (exit 74) naming both policies, nothing stored; --fsync never works")
    func strongerFsyncThanTheServerIsRefused() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, ["--fsync", "never"])
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")
            let input = ProducerInput("f", count: 50)

            for fsync in ["always", "batch"] {
                let refused = try TorqlogBinary.run(["--dir", store, "ingest", "--ack", "--fsync", fsync], stdin: input.jsonl)
                #expect(!refused.signaled && refused.status == 74, "--fsync \(fsync): \(refused.summary)")
                #expect(refused.stderrText.contains("--fsync never") && refused.stderrText.contains("--fsync \(fsync)")
                        && refused.stderrText.contains("durable"), "--fsync \(fsync): the message should name both policies: \(refused.stderrText)")
                #expect(ackedCounts(refused.stdout).isEmpty, "--fsync \(fsync) acknowledged lines: \(refused.stdoutText)")
            }
            #expect(try StoreContents.eventIDs(store).isEmpty, "a refused producer's lines were stored")

            let accepted = try TorqlogBinary.run(["--dir", store, "ingest", "--ack", "--fsync", "never"], stdin: input.jsonl)
            #expect(accepted.succeeded && ackedCounts(accepted.stdout).last == 50, "--fsync never: \(accepted.summary)")
            #expect(accepted.stderrText.contains("through torqlog serve"), "\(accepted.stderrText)")
            #expect(try server.terminate().succeeded)
            let stored = try exportedByProducer(store, [input])
            expectLines(stored.byTag["f"] ?? [], equal: input.lines, "the --fsync never producer's lines")
        }
    }

    @Test("a dead server's socket misleads nobody: ingest then writes directly; beside a plain writer it is still 'locked by another writer'")
    func deadServersSocketIsIgnored() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")
            _ = try server.kill9()
            #expect(fileMode(server.socketPath) != nil, "the killed server's socket should still be there for this test to mean anything")

            let first = ProducerInput("d", count: 30)
            let direct = try TorqlogBinary.run(["--dir", store, "ingest", "--ack"], stdin: first.jsonl)
            #expect(direct.succeeded && ackedCounts(direct.stdout).last == 30, "ingest beside a dead server's socket: \(direct.summary)")
            #expect(!direct.stderrText.contains("through torqlog serve"), "it should have written directly: \(direct.stderrText)")

            // A plain writer holds the store; the stale socket is still there.
            let writer = try Child(["--dir", store, "ingest", "--ack"], stdin: .pipe)
            defer { writer.signal(SIGKILL) }
            let held = ProducerInput("w", count: 1)
            #expect(writer.write(held.jsonl))
            try #require(writer.waitForStdout(timeout: 30) { ackedCounts($0).last == 1 }, "the plain writer did not ack: \(String(decoding: writer.stderr, as: UTF8.self))")
            #expect(fileMode(server.socketPath) != nil)
            let second = try TorqlogBinary.run(["--dir", store, "ingest"], stdin: ProducerInput("x", count: 3).jsonl)
            #expect(!second.succeeded, "a second writer ran: \(second.summary)")
            #expect(second.stderrText.contains("locked by another writer") && second.stderrText.contains("pid \(writer.pid)"), "\(second.stderrText)")
            writer.closeInput()
            #expect(try writer.finish(timeout: 30).succeeded)

            let stored = try exportedByProducer(store, [first, held])
            #expect(stored.unknown.isEmpty && stored.byTag["d"] == first.lines && stored.byTag["w"] == held.lines, "\(stored)")
        }
    }

    @Test("the socket is mode 0600; a producer running as another user gets a clear permission error naming the store")
    func otherUsersAreRefused() throws {
        try withTemporaryStore { store, scratch in
            let server = try ServeProcess(store: store)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")
            let mode = try #require(fileMode(server.socketPath))
            #expect(mode & S_IFMT == S_IFSOCK && mode & 0o7777 == 0o600, "serve.sock mode \(String(mode, radix: 8))")
            defer { _ = try? server.terminate() }

            guard getuid() == 0, getpwnam("nobody") != nil, access("/usr/bin/setpriv", X_OK) == 0 else {
                print("ServedIngestContractTests: not root, or no user nobody or setpriv: the other-user check is skipped")
                return
            }
            let binary = try TorqlogBinary.path()
            func ingestAsNobody() throws -> CommandResult {
                try Child.run(executable: "/usr/bin/setpriv",
                              ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary, "--dir", store, "ingest"],
                              stdin: ProducerInput("n", count: 3).jsonl, timeout: 60)
            }
            // The store in a directory only root may search: nobody cannot even see it.
            let hidden = try ingestAsNobody()
            #expect(!hidden.signaled && hidden.status == 77, "ingest as nobody: \(hidden.summary)")
            #expect(hidden.stderrText.contains("\(store): permission denied: this user cannot reach the store, and only its owner may write to it"),
                    "the error should name the store and say why: \(hidden.stderrText)")
            // Up to the store, anyone may look (as for a store in a shared directory);
            // the store itself is its owner's (0700), like its socket.
            chmod(scratch, 0o755)
            let visible = try ingestAsNobody()
            #expect(!visible.signaled && visible.status == 77, "ingest as nobody: \(visible.summary)")
            #expect(visible.stderrText.contains("\(store): permission denied: the store belongs to uid 0, and only its owner may write to it"),
                    "the error should name the store, its owner and say why: \(visible.stderrText)")
            #expect(try StoreContents.eventIDs(store).isEmpty, "nobody's lines were stored")
        }
    }

    @Test("tail -f, replay, trace, export, compliance and verify work while the server writes")
    func readersWorkBesideTheServer() throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store)
            try #require(server.waitForSocket(), "no \(server.socketPath) with mode 0600")
            // Something stored first, which the follower (from the end: -n 0) does not print.
            let first = ProducerInput("r0", count: 10)
            #expect(try TorqlogBinary.run(["--dir", store, "ingest"], stdin: first.jsonl).succeeded)
            let follower = try Child(["--dir", store, "tail", "-f", "-n", "0", "--format", "jsonl"], stdin: .null)
            defer { follower.signal(SIGKILL) }
            try #require(TailFollowTests.waitUntilFollowing(follower.pid, timeout: 30), "tail -f did not start following: \(String(decoding: follower.stderr, as: UTF8.self))")

            // A producer writing through the server while the readers read.
            let input = ProducerInput("r1", count: 2_000)
            let producer = try Child(["--dir", store, "ingest", "--ack"], stdin: .pipe)
            #expect(producer.write(input.jsonl(0..<1_000)))
            try #require(producer.waitForStdout(timeout: 30) { ackedCounts($0).last == 1_000 }, "\(String(decoding: producer.stderr, as: UTF8.self))")

            let replay = try TorqlogBinary.run(["--dir", store, "replay", "r1", "--format", "jsonl"])
            #expect(replay.succeeded && countNewlines(replay.stdout) == 1_000, "replay r1 while serving: \(replay.summary)")
            let trace = try TorqlogBinary.run(["--dir", store, "trace", "r1", "--format", "json"])
            #expect(trace.succeeded && foundationObject(trace.stdoutText) != nil, "trace r1 while serving: \(trace.summary) \(trace.stdoutText.prefix(300))")
            let export = try TorqlogBinary.run(["--dir", store, "export"])
            #expect(export.succeeded && countNewlines(export.stdout) == 1_010, "export while serving: \(export.summary)")
            let compliance = try TorqlogBinary.run(["--dir", store, "compliance", "--format", "json"])
            let report = foundationObject(compliance.stdoutText)
            #expect(compliance.succeeded && report?["total_events"] as? Int == 1_010, "compliance while serving: \(compliance.summary) \(compliance.stdoutText.prefix(400))")
            let verify = try TorqlogBinary.run(["--dir", store, "verify"])
            #expect(verify.succeeded, "verify while serving: \(verify.summary)")

            #expect(producer.write(input.jsonl(1_000..<2_000)))
            producer.closeInput()
            let done = try producer.finish(timeout: 60)
            #expect(done.succeeded && ackedCounts(done.stdout).last == 2_000 && done.stderrText.contains("through torqlog serve"), "\(done.summary)")

            let followed = follower.waitForStdout(timeout: 30) { countNewlines($0) >= 2_000 }
            #expect(followed, "tail -f printed \(countNewlines(follower.stdout)) of 2000 lines")
            follower.signal(SIGTERM)
            let tail = try follower.finish(timeout: 20)
            #expect(tail.stdout == input.jsonl, "tail -f did not print exactly the lines stored through the server since it started")
            #expect(try server.terminate().succeeded)
        }
    }
}
