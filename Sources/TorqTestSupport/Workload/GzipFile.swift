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

/// `bytes` as one gzip member (zlib's deflate, level 6), for request bodies.
package func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw HarnessError("deflateInit2 failed")
    }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))))
    let status = bytes.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(out.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END else { throw HarnessError("deflate: status \(status)") }
    return Array(output.prefix(Int(stream.total_out)))
}
