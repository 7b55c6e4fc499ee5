/// Where an event was found: a line of a JSONL file, or a record of a store
/// or segment file.
public struct EventLocation: Sendable, Hashable, CustomStringConvertible {
    /// The source as given (a file path, `-` for standard input, a store directory).
    public let source: String
    /// The 1-based line number, for JSONL sources.
    public let line: Int?
    /// The base sequence of the segment holding the record, for store sources.
    public let segment: UInt64?
    /// The record's sequence number, for store sources.
    public let sequence: UInt64?

    /// A line of a JSONL source.
    public init(source: String, line: Int) {
        self.source = source
        self.line = line
        segment = nil
        sequence = nil
    }

    /// A record of a store or segment file.
    public init(source: String, segment: UInt64, sequence: UInt64) {
        self.source = source
        line = nil
        self.segment = segment
        self.sequence = sequence
    }

    /// `FILE:LINE`, or `SOURCE segment NNNNNNNNNNNNNNNNNNNN sequence N`.
    public var description: String {
        if let line { return "\(source):\(line)" }
        let name = String(segment ?? 0)
        let padded = String(repeating: "0", count: max(0, 20 - name.count)) + name
        return "\(source) segment \(padded) sequence \(sequence ?? 0)"
    }
}
