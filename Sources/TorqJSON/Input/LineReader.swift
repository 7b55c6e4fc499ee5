#if canImport(Glibc)
import Glibc
#endif

/// Splits a byte stream into lines (`\n`-terminated; the last one may lack
/// it), reading in large chunks. A line longer than `maxLineLength` is not
/// buffered: it is reported as too long and skipped.
package final class LineReader {
    /// One line, or the number of a line that was too long.
    package enum Line {
        /// The line's bytes (without `\n`), valid until the next call, and its 1-based number.
        case line(UnsafeRawBufferPointer, number: Int)
        /// Line `number` was longer than the limit and was skipped.
        case tooLong(number: Int)
    }

    private let source: any ByteSource
    private let maxLineLength: Int
    // Used by one thread only: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var buffer: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var begin = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var atEnd = false
    @exclusivity(unchecked) private var lineNumber = 0
    private static let chunk = 1 << 20

    package init(source: any ByteSource, maxLineLength: Int) {
        self.source = source
        self.maxLineLength = maxLineLength
        capacity = Self.chunk
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next line, or nil at the end of the stream.
    package func next() throws(InputError) -> Line? {
        var searchFrom = begin
        while true {
            if searchFrom < end, let nl = memchr(buffer + searchFrom, 0x0A, end - searchFrom) {
                let at = buffer.distance(to: nl)
                let line = UnsafeRawBufferPointer(start: buffer + begin, count: at - begin)
                begin = at + 1
                lineNumber += 1
                return .line(line, number: lineNumber)
            }
            searchFrom = end
            if atEnd {
                guard begin < end else { return nil }
                let line = UnsafeRawBufferPointer(start: buffer + begin, count: end - begin)
                begin = end
                lineNumber += 1
                return .line(line, number: lineNumber)
            }
            if end - begin > maxLineLength {
                lineNumber += 1
                try skipRestOfLine()
                return .tooLong(number: lineNumber)
            }
            // Make room: move the partial line to the front, grow if it fills the buffer.
            if begin > 0 {
                if end > begin { buffer.copyMemory(from: buffer + begin, byteCount: end - begin) }
                end -= begin
                searchFrom -= begin
                begin = 0
            }
            if end == capacity { grow() }
            let n = try source.read(into: buffer + end, count: capacity - end)
            if n == 0 { atEnd = true } else { end += n }
        }
    }

    private func grow() {
        let bigger = min(capacity * 2, maxLineLength + Self.chunk)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: bigger, alignment: 16)
        fresh.copyMemory(from: buffer, byteCount: end)
        buffer.deallocate()
        buffer = fresh
        capacity = bigger
    }

    /// Drops the buffered part of an over-long line and reads on to its newline.
    private func skipRestOfLine() throws(InputError) {
        begin = 0
        end = 0
        if capacity > Self.chunk {
            buffer.deallocate()
            capacity = Self.chunk
            buffer = .allocate(byteCount: capacity, alignment: 16)
        }
        while true {
            let n = try source.read(into: buffer, count: capacity)
            if n == 0 {
                atEnd = true
                return
            }
            if let nl = memchr(buffer, 0x0A, n) {
                begin = buffer.distance(to: nl) + 1
                end = n
                return
            }
        }
    }
}
