import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `torqlog` child process with its own environment, whose output goes to
/// files (so no pipe can fill up), and which a test can signal and wait for.
final class TorqlogChild {
    let process = Process()
    private let scratch = TemporaryDirectory("child")
    private let outPath: String, errPath: String
    private let out: FileHandle, err: FileHandle

    /// Starts `torqlog ARGS` with `environment` added to (or, for nil values,
    /// removed from) the test's environment; `TORQLOG_DIR` is removed and `HOME`
    /// points nowhere so that a forgotten `--dir` fails.
    init(_ args: [String], environment: [String: String?] = [:]) throws {
        outPath = scratch.file("out")
        errPath = scratch.file("err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        var env = ProcessInfo.processInfo.environment
        env["TORQLOG_DIR"] = nil
        env["TRACEPARENT"] = nil
        env["TRACESTATE"] = nil
        env["HOME"] = "/nonexistent/torqtel-test-home"
        for (k, v) in environment { env[k] = v }
        process.executableURL = URL(fileURLWithPath: try torqlogBinary())
        process.arguments = args
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the exit; returns the status (or signal number) and whether a signal ended it.
    @discardableResult
    func wait() -> (status: Int32, signaled: Bool) {
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    var stdoutText: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderrText: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Runs `torqlog ARGS` to the end.
    static func run(_ args: [String], environment: [String: String?] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try TorqlogChild(args, environment: environment)
        let (status, signaled) = child.wait()
        return (signaled ? -status : status, child.stdoutText, child.stderrText)
    }
}

/// The events of the store at `dir`, as Foundation objects, read with `torqlog export`.
func storeEvents(_ dir: String) throws -> [[String: Any]] {
    let export = try torqlog(["export", "--dir", dir])
    guard export.status == 0 else { throw HelperError("torqlog export --dir \(dir): status \(export.status): \(export.stderrText)") }
    return try export.stdoutText.split(separator: "\n").map { line in
        guard let object = foundationObject(String(line)) else { throw HelperError("not a JSON object: \(line.prefix(200))") }
        return object
    }
}

/// Polls the store until `condition` holds for its events (every 50 ms, at
/// most `attempts` times); returns the events it last read.
func waitForEvents(_ dir: String, attempts: Int = 600, until condition: ([[String: Any]]) -> Bool) throws -> [[String: Any]] {
    var events: [[String: Any]] = []
    for _ in 0..<attempts {
        if FileManager.default.fileExists(atPath: dir) {
            events = (try? storeEvents(dir)) ?? []
            if condition(events) { return events }
        }
        usleep(50_000)
    }
    return events
}

extension Dictionary where Key == String, Value == Any {
    /// The string field `key`.
    func string(_ key: String) -> String? { self[key] as? String }
}
