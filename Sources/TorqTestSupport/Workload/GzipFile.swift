import CZlib

/// Writes `lines` (each followed by a newline) to `path` as one gzip member,
/// appending a member with `append` (a multi-member stream, as the JSONL sink writes).
package func gzipFile(_ lines: [String], to path: String, append: Bool) throws {
    guard let file = gzopen(path, append ? "ab" : "wb") else { throw HarnessError("gzopen \(path)") }
    defer { gzclose(file) }
    let data = Array((lines.joined(separator: "\n") + "\n").utf8)
    let written = data.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    guard written == Int32(data.count) else { throw HarnessError("gzwrite") }
}
