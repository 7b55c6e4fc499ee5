import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Why a helper could not do its job.
struct HelperError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "telemetry") {
        var template = Array("/tmp/torqtel-test-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? "/tmp/torqtel-test-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `lines` joined by newlines (with a final newline) to `name`; returns the path.
    @discardableResult
    func write(_ name: String, lines: [String]) throws -> String {
        let p = file(name)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// What a finished child process produced.
struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: Data
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `executable ARGS` to completion, collecting stdout and stderr (through files, so no pipe can fill up).
func runProcess(_ executable: String, _ args: [String], stdin: Data? = nil) throws -> ProcessResult {
    let scratch = TemporaryDirectory("proc")
    let outPath = scratch.file("out"), errPath = scratch.file("err"), inPath = scratch.file("in")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    _ = FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data())
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment["TORQLOG_DIR"] = nil
    environment["HOME"] = "/nonexistent/torqtel-test-home"
    process.environment = environment
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    try input.close()
    return ProcessResult(status: process.terminationStatus,
                         stdout: try Data(contentsOf: URL(fileURLWithPath: outPath)),
                         stderr: try Data(contentsOf: URL(fileURLWithPath: errPath)))
}

/// The built `torqlog` executable: `$TORQLOG_BIN`, else next to the test bundle.
func torqlogBinary() throws -> String {
    if let env = ProcessInfo.processInfo.environment["TORQLOG_BIN"], !env.isEmpty { return env }
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("torqlog").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
            return candidate
        }
        dir = dir.deletingLastPathComponent()
    }
    throw HelperError("cannot find the torqlog binary next to \(exe); build it or set TORQLOG_BIN")
}

/// Runs `torqlog ARGS`.
func torqlog(_ args: [String], stdin: Data? = nil) throws -> ProcessResult {
    try runProcess(try torqlogBinary(), args, stdin: stdin)
}

/// The python3 interpreter on PATH.
func python3() throws -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let candidate = String(dir) + "/python3"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw HelperError("python3 not found on PATH")
}

/// Parses one line of JSON with Foundation (an independent parser).
func foundationObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any]
}
