#if canImport(Glibc)
import Glibc
#endif

/// Something the compliance scanner reads events from.
public enum ScanSource: Sendable, Hashable, CustomStringConvertible {
    /// A store directory (or an archive folder, which is one): its segments in order.
    case store(String)
    /// One segment file of a store (`.wal`, or sealed `.lz4`), named by its
    /// 20-digit base sequence.
    case segment(String)
    /// A JSONL file, one event per line; `-` is standard input.
    case jsonl(String)
    /// A gzip-compressed JSONL file (`.gz`, concatenated members allowed).
    case gzip(String)

    /// Classifies a command-line argument: `-` is standard input (JSONL); a
    /// directory is a store; a file named by 20 digits and `.wal` or `.lz4`
    /// is a segment; a name ending in `.gz` is gzip; anything else is JSONL.
    /// Looks at the file system only to tell directories apart.
    public init(argument: String) {
        if argument == "-" {
            self = .jsonl(argument)
            return
        }
        var info = stat()
        if stat(argument, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            self = .store(argument)
            return
        }
        let name = argument.split(separator: "/").last.map(String.init) ?? argument
        let utf8 = Array(name.utf8)
        if utf8.count == 24, utf8[0..<20].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           name.hasSuffix(".wal") || name.hasSuffix(".lz4") {
            self = .segment(argument)
        } else if name.hasSuffix(".gz") {
            self = .gzip(argument)
        } else {
            self = .jsonl(argument)
        }
    }

    /// The path (or `-`).
    public var path: String {
        switch self {
        case .store(let p), .segment(let p), .jsonl(let p), .gzip(let p): p
        }
    }

    /// `store DIR`, `segment FILE`, `jsonl FILE`, `gzip FILE`.
    public var description: String {
        switch self {
        case .store(let p): "store \(p)"
        case .segment(let p): "segment \(p)"
        case .jsonl(let p): "jsonl \(p)"
        case .gzip(let p): "gzip \(p)"
        }
    }
}
