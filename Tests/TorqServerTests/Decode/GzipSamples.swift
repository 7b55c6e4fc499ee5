import CZlib

/// Gzip test data made with zlib itself (deflate, windowBits 15 + 16).
enum GzipSamples {
    /// `bytes` as one complete gzip member.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        gzip(chunks: 1) { _ in bytes }
    }

    /// One gzip member of `chunks` inputs, the `k`-th from `chunk(k)`, so
    /// that a large input (a gzip bomb) never sits in memory whole.
    static func gzip(chunks: Int, _ chunk: (Int) -> [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer { deflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        for k in 0..<chunks {
            var input = chunk(k)
            let flush = k == chunks - 1 ? Z_FINISH : Z_NO_FLUSH
            input.withUnsafeMutableBytes { input in
                stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(input.count)
                var result = Z_OK
                repeat {
                    buffer.withUnsafeMutableBytes { out in
                        stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(out.count)
                        result = deflate(&stream, flush)
                        output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
                    }
                } while flush == Z_FINISH ? result != Z_STREAM_END : stream.avail_in > 0
                precondition(result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR, "deflate failed: \(result)")
            }
        }
        return output
    }
}
