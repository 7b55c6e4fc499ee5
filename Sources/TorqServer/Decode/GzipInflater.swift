import CZlib

/// Inflates a gzip request body (RFC 1952) with a cap on the inflated size.
///
/// A body is accepted only when it is complete: every member reaches the end
/// of its deflate stream and zlib has checked its CRC-32 and ISIZE trailer.
/// A body cut anywhere, even where the bytes inflated so far are a valid
/// message, is a 400. Members that follow one another (RFC 1952 allows it,
/// `cat a.gz b.gz` makes it) inflate into one body, as `gunzip` reads them;
/// bytes after a member that do not start a complete member are a 400.
///
/// Memory stays bounded by the cap: the output grows by doubling, never past
/// the cap, and inflating stops with a 413 as soon as the output would pass
/// it, whatever the body's ISIZE claims.
enum GzipInflater {
    /// The bytes zlib writes per call before they are appended to the output.
    static let chunkSize = 64 << 10

    /// The inflated body; a 400 when it is damaged or incomplete, a 413 as
    /// soon as it would inflate to more than `limit` bytes.
    static func inflate(_ body: UnsafeRawBufferPointer, limit: Int) throws(RequestError) -> [UInt8] {
        var output: [UInt8] = []
        try inflate(body, limit: limit, into: &output)
        return output
    }

    /// Inflates `body` into `output` (emptied first). On a throw, `output`
    /// holds what was inflated before the failure, so that tests can check
    /// how much memory a refused body took.
    static func inflate(_ body: UnsafeRawBufferPointer, limit: Int, into output: inout [UInt8]) throws(RequestError) {
        output.removeAll()
        guard body.count <= Int(UInt32.max) else {
            throw RequestError(.contentTooLarge, "gzip body is \(body.count) bytes, over zlib's 4 GiB input")
        }
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer only (not zlib, not raw deflate).
        let initStatus = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        // It fails only when out of memory or linked with another zlib version, neither a property of the request.
        precondition(initStatus == Z_OK, "zlib inflateInit2 failed with status \(initStatus)")
        defer { inflateEnd(&stream) }

        stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(body.count)
        var member = 1
        var memberStart = 0
        var consumed: Int { body.count - Int(stream.avail_in) }
        let chunk = UnsafeMutableBufferPointer<Bytef>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }

        while true {
            stream.next_out = chunk.baseAddress
            stream.avail_out = uInt(chunk.count)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let produced = chunk.count - Int(stream.avail_out)
            if produced > 0 {
                guard produced <= limit - output.count else {
                    throw RequestError(
                        .contentTooLarge,
                        "gzip body inflates to more than the limit of \(limit) bytes (stopped after \(consumed) of its \(body.count) bytes)")
                }
                if output.capacity - output.count < produced {
                    output.reserveCapacity(min(limit, max(output.count * 2, output.count + produced)))
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<produced]))
            }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // The member's trailer is checked; the body ends here or another member starts.
                if stream.avail_in == 0 { return }
                member += 1
                memberStart = consumed
                inflateReset(&stream)
            case Z_BUF_ERROR where stream.avail_in == 0:
                // All the input is read and the output has room: the stream needs bytes the body does not have.
                throw RequestError(.badRequest, truncation(bodySize: body.count, member: member, memberStart: memberStart))
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                let which = member == 1 ? "" : " in member \(member) (from byte \(memberStart))"
                throw RequestError(.badRequest, "gzip body invalid\(which), detected at byte \(consumed): \(reason)")
            }
        }
    }

    private static func truncation(bodySize: Int, member: Int, memberStart: Int) -> String {
        if member == 1 {
            return "gzip body truncated: the stream ended after \(bodySize) of its bytes without its trailer"
        }
        return "gzip body truncated: member \(member) (from byte \(memberStart)) ended with the body after \(bodySize - memberStart) bytes without its trailer"
    }
}
