import TorqLogStore
#if canImport(Glibc)
import Glibc
import TorqJSON
#endif

/// Reads a JSONL file in 4 MiB chunks and hands out its lines (without the
/// newline) in place, with `JSONLineParser.requiredPadding` readable bytes
/// after each: what the baselines use to read the same input torqlog ingests.
struct LineReader: ~Copyable {
    private var buffer: UnsafeMutableRawBufferPointer
    private let chunk = 4 << 20
    private let fd: Int32
    let path: String

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        buffer = .allocate(byteCount: chunk + JSONLineParser.requiredPadding, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    /// Calls `body` with every line; returns the number of lines.
    @discardableResult
    mutating func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var fill = 0, start = 0, lines = 0
        var eof = false
        while !eof {
            if start > 0 {
                if fill > start { memmove(buffer.baseAddress!, buffer.baseAddress! + start, fill - start) }
                fill -= start
                start = 0
            }
            var capacity = buffer.count - JSONLineParser.requiredPadding
            if fill == capacity {
                // A line longer than the buffer: grow it.
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2 + JSONLineParser.requiredPadding, alignment: 64)
                bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: fill)
                buffer.deallocate()
                buffer = bigger
                capacity = buffer.count - JSONLineParser.requiredPadding
            }
            let n = read(fd, buffer.baseAddress! + fill, capacity - fill)
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { fill += n }
            let base = buffer.baseAddress!
            while start < fill, let nl = memchr(base + start, 0x0A, fill - start) {
                let end = base.distance(to: nl)
                try body(UnsafeRawBufferPointer(start: base + start, count: end - start))
                lines += 1
                start = end + 1
            }
            if eof && start < fill {
                try body(UnsafeRawBufferPointer(start: base + start, count: fill - start))
                lines += 1
                start = fill
            }
        }
        return lines
    }
}

/// Counts the newline bytes of a file (the line count of a JSONL file that ends in a newline).
func countNewlines(path: String) throws -> (lines: Int, bytes: Int64) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw BenchError("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    defer { buf.deallocate() }
    var lines = 0
    var bytes: Int64 = 0
    while true {
        let n = read(fd, buf.baseAddress!, buf.count)
        if n < 0 { if errno == EINTR { continue }; throw BenchError("cannot read \(path)") }
        if n == 0 { break }
        bytes += Int64(n)
        var p = buf.baseAddress!
        let end = buf.baseAddress! + n
        while p < end, let nl = memchr(p, 0x0A, p.distance(to: end)) {
            lines += 1
            p = nl + 1
        }
    }
    return (lines, bytes)
}

/// Whether two files have the same bytes.
func filesEqual(_ a: String, _ b: String) throws -> Bool {
    let fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC)
    defer { if fa >= 0 { close(fa) }; if fb >= 0 { close(fb) } }
    guard fa >= 0, fb >= 0 else { throw BenchError("cannot open \(fa < 0 ? a : b)") }
    let size = 1 << 20
    let ba = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    let bb = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    defer { ba.deallocate(); bb.deallocate() }
    func fillBuffer(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer) -> Int {
        var got = 0
        while got < buf.count {
            let n = read(fd, buf.baseAddress! + got, buf.count - got)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return got
    }
    while true {
        let na = fillBuffer(fa, ba), nb = fillBuffer(fb, bb)
        if na != nb { return false }
        if na == 0 { return true }
        if memcmp(ba.baseAddress!, bb.baseAddress!, na) != 0 { return false }
    }
}
