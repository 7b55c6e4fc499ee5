import Foundation
import Testing
import TorqTestSupport

/// Records an issue naming the first differing line when `actual` is not exactly the
/// JSONL of `expected` (a plain `==` on megabytes would print them whole).
@discardableResult
func expectJSONL(_ actual: Data, equals expected: [Data], _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let expectedBytes = jsonl(expected)
    if actual == expectedBytes { return true }
    let got = splitLines(actual)
    var detail = "\(what): got \(got.count) lines (\(actual.count) bytes), expected \(expected.count) lines (\(expectedBytes.count) bytes)"
    let common = min(got.count, expected.count)
    if let i = (0..<common).first(where: { got[$0] != expected[$0] }) ?? (got.count != expected.count ? common : nil) {
        func show(_ lines: [Data]) -> String {
            i < lines.count ? String(String(decoding: lines[i], as: UTF8.self).debugDescription.prefix(300)) : "<none>"
        }
        detail += "; first difference at line \(i + 1): got \(show(got)), expected \(show(expected))"
    } else if !actual.isEmpty && actual.last != 0x0A {
        detail += "; output does not end with a newline"
    }
    Issue.record(Comment(rawValue: detail), sourceLocation: sourceLocation)
    return false
}
