import Foundation
import Testing
import TorqTestSupport

/// What `make install` puts on the system besides the binary, checked without
/// installing: the shell completions argument-parser generates, the texts its
/// `generate-manual` plugin turns into manual pages, and the Makefile's list of
/// those pages. (`make install` itself builds in release and runs the plugin,
/// which takes minutes; the README says how to check it by hand.)
@Suite("install: completions and manual pages")
struct InstallTests {
    /// The commands as argument-parser describes them to `generate-manual` (`--experimental-dump-help`).
    static func commandInfo() throws -> [String: Any] {
        let dump = try TorqlogBinary.run(["--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.summary)")
        let object = try #require(foundationObject(dump.stdoutText), "\(dump.stdoutText.prefix(500))")
        return try #require(object["command"] as? [String: Any])
    }

    /// The subcommands' names, `help` included (it gets a manual page and completions too).
    static func subcommands() throws -> [String] {
        let root = try commandInfo()
        let names = (root["subcommands"] as? [[String: Any]] ?? []).compactMap { $0["commandName"] as? String }
        #expect(names.count >= 10 && names.contains("ingest") && names.contains("help"), "\(names)")
        return names
    }

    @Test("--generate-completion-script bash, zsh, fish: a script for torqlog that completes every subcommand")
    func completionScripts() throws {
        let names = try Self.subcommands()
        for shell in ["bash", "zsh", "fish"] {
            let result = try TorqlogBinary.run(["--generate-completion-script", shell])
            #expect(result.status == 0, "\(shell): \(result.summary)")
            let script = result.stdoutText
            #expect(script.utf8.count > 1000, "\(shell): \(script.utf8.count) bytes")
            for name in names {
                // bash and zsh: one completion function per subcommand; fish: one `complete … -a NAME` per subcommand.
                let entry = shell == "fish" ? "-fa '\(name)'" : "_torqlog_\(name)()"
                #expect(script.contains(entry), "\(shell) script: no \(entry)")
            }
            switch shell {
            case "bash": #expect(script.contains("-F _torqlog torqlog"))
            case "zsh": #expect(script.hasPrefix("#compdef torqlog\n"))
            default: #expect(script.contains("complete -c 'torqlog'"))
            }
        }
    }

    @Test("the bash completion registers itself for torqlog when sourced")
    func bashRegistration() throws {
        let bash = "/bin/bash"
        guard FileManager.default.isExecutableFile(atPath: bash) else { return }
        let dir = TemporaryDirectory("install-bash")
        let script = try TorqlogBinary.run(["--generate-completion-script", "bash"])
        let path = dir.file("torqlog")
        try script.stdout.write(to: URL(fileURLWithPath: path))
        let result = try Child.run(executable: bash, ["--norc", "--noprofile", "-c", "source \"$1\" && complete -p torqlog", "bash", path])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdoutText.contains("-F _torqlog torqlog"), "\(result.stdoutText)")
        #expect(result.stderrText.isEmpty, "\(result.stderrText)")
    }

    @Test("help texts: ASCII (generate-manual drops other characters), discussions in paragraphs without hard line breaks")
    func helpTexts() throws {
        var problems: [String] = []
        func visit(_ command: [String: Any], _ path: String) {
            var texts: [(String, String)] = []
            if let abstract = command["abstract"] as? String { texts.append(("abstract", abstract)) }
            if let discussion = command["discussion"] as? String {
                texts.append(("discussion", discussion))
                // A line break that is not a paragraph break makes ragged help once argument-parser wraps it,
                // and is a plain space in the manual page.
                for paragraph in discussion.components(separatedBy: "\n\n") where paragraph.contains("\n") || paragraph.isEmpty {
                    problems.append("\(path) discussion: a paragraph with a line break or an empty one: \(paragraph.prefix(80))")
                }
                if discussion.hasPrefix("\n") || discussion.hasSuffix("\n") || discussion.hasPrefix(" ") {
                    problems.append("\(path) discussion: leading or trailing white space")
                }
            }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let name = (argument["preferredName"] as? [String: Any])?["name"] as? String ?? argument["valueName"] as? String ?? "?"
                if let abstract = argument["abstract"] as? String { texts.append(("\(name) help", abstract)) }
                if let discussion = argument["discussion"] as? String { texts.append(("\(name) discussion", discussion)) }
            }
            for (what, text) in texts {
                let other = text.unicodeScalars.filter { !$0.isASCII }
                if !other.isEmpty { problems.append("\(path) \(what): not ASCII: \(String(String.UnicodeScalarView(other)))") }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                visit(sub, path + " " + (sub["commandName"] as? String ?? "?"))
            }
        }
        visit(try Self.commandInfo(), "torqlog")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("the Makefile installs and uninstalls one manual page per subcommand: its list is the commands'")
    func makefileManualPages() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let makefile = try String(contentsOf: root.appendingPathComponent("Makefile"), encoding: .utf8)
        let line = try #require(makefile.split(separator: "\n").first { $0.hasPrefix("TORQLOG_SUBCOMMANDS :=") })
        let listed = line.dropFirst("TORQLOG_SUBCOMMANDS :=".count).split(separator: " ").map(String.init)
        #expect(listed.sorted() == (try Self.subcommands()).sorted(), "Makefile: \(listed)")
    }
}
