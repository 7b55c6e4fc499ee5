import Foundation
#if canImport(Glibc)
import Glibc
#endif


/// A fresh directory under /tmp, removed when the value goes away.
package final class TemporaryDirectory {
    package let path: String

    package init(_ label: String = "telemetry") {
        var template = Array("/tmp/torqtel-test-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? "/tmp/torqtel-test-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    package func file(_ name: String) -> String { path + "/" + name }

    /// Writes `lines` joined by newlines (with a final newline) to `name`; returns the path.
    @discardableResult
    package func write(_ name: String, lines: [String]) throws -> String {
        let p = file(name)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// The python3 interpreter on PATH.
package func python3() throws -> String {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let candidate = String(dir) + "/python3"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw HarnessError("python3 not found on PATH")
}

/// Parses one line of JSON with Foundation (an independent parser).
package func foundationObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any]
}

/// The events of the store at `dir`, as Foundation objects, read with `torqlog export`.
package func storeEvents(_ dir: String) throws -> [[String: Any]] {
    let export = try TorqlogBinary.run(["export", "--dir", dir])
    guard export.succeeded else { throw HarnessError("torqlog export --dir \(dir): \(export.summary)") }
    return try export.stdoutText.split(separator: "\n").map { line in
        guard let object = foundationObject(String(line)) else { throw HarnessError("not a JSON object: \(line.prefix(200))") }
        return object
    }
}

/// Polls the store until `condition` holds for its events (every 50 ms, at
/// most `attempts` times); returns the events it last read.
package func waitForEvents(_ dir: String, attempts: Int = 600, until condition: ([[String: Any]]) -> Bool) throws -> [[String: Any]] {
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
    package func string(_ key: String) -> String? { self[key] as? String }
}
