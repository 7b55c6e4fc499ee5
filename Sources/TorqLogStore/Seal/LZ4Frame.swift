import CLZ4

/// Standard LZ4 frames (the format `lz4 -dc` reads), through system liblz4's LZ4F API.
enum LZ4Frame {
    /// Frame preferences torqlog writes: 256 KiB linked blocks, content size
    /// and content checksum (xxHash32) in the frame, fast compression (`lz4 -1`).
    static func preferences(contentSize: Int) -> LZ4F_preferences_t {
        var p = LZ4F_preferences_t()
        p.frameInfo.blockSizeID = LZ4F_max256KB
        p.frameInfo.blockMode = LZ4F_blockLinked
        p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        p.frameInfo.contentSize = UInt64(contentSize)
        p.compressionLevel = 1
        return p
    }

    /// Compresses `source` into one LZ4 frame appended to `output`.
    static func compress(_ source: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        var prefs = preferences(contentSize: source.count)
        let bound = LZ4F_compressFrameBound(source.count, &prefs)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { out in
            LZ4F_compressFrame(out.baseAddress! + start, bound, source.baseAddress, source.count, &prefs)
        }
        if LZ4F_isError(written) != 0 {
            output.removeLast(bound)
            throw StoreError(.io, "LZ4 compression failed: \(String(cString: LZ4F_getErrorName(written)))")
        }
        output.removeLast(bound - written)
    }

    /// A reusable decompression context.
    final class Decompressor {
        private var context: OpaquePointer?

        init() throws {
            var ctx: OpaquePointer?
            let r = LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))
            guard LZ4F_isError(r) == 0, let ctx else {
                throw StoreError(.io, "cannot create an LZ4 decompression context")
            }
            context = ctx
        }

        deinit { LZ4F_freeDecompressionContext(context) }

        /// Decompresses exactly one whole LZ4 frame `frame` into `output` (replacing
        /// its content; `output` keeps at least `expectedSize` bytes, the first
        /// `expectedSize` of them the content).
        /// Throws a message when the frame is damaged, truncated, followed by extra bytes,
        /// or decompresses to a size other than `expectedSize`.
        /// With `verifyContentChecksum` false, LZ4's xxHash of the content is not
        /// computed: callers that checked a CRC-32C over the compressed bytes first
        /// (FORMAT.md §7.3) save that work; `verify` checks both.
        func decompress(_ frame: UnsafeRawBufferPointer, expectedSize: Int, into output: inout [UInt8],
                        verifyContentChecksum: Bool = true) throws(DecompressionError) {
            if output.count < expectedSize { output = [UInt8](repeating: 0, count: expectedSize) }
            let failure = output.withUnsafeMutableBytes { out -> DecompressionError? in
                do {
                    try decompress(frame, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<expectedSize]),
                                   verifyContentChecksum: verifyContentChecksum)
                    return nil
                } catch let e as DecompressionError { return e } catch { return DecompressionError("\(error)") }
            }
            if let failure { throw failure }
        }

        /// Decompresses exactly one whole LZ4 frame `frame` into `output`, whose
        /// size is what the frame must hold (the index says so). Throws as above.
        func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                        verifyContentChecksum: Bool = true) throws(DecompressionError) {
            guard let destination = output.baseAddress else {
                // Nothing expected: decompress into a byte of room that must stay unused.
                var byte: [UInt8] = [0]
                let failure = byte.withUnsafeMutableBytes { one -> DecompressionError? in
                    do {
                        try decompress(frame, into: one.baseAddress!, capacity: 0, verifyContentChecksum: verifyContentChecksum)
                        return nil
                    } catch let e as DecompressionError { return e } catch { return DecompressionError("\(error)") }
                }
                if let failure { throw failure }
                return
            }
            try decompress(frame, into: destination, capacity: output.count, verifyContentChecksum: verifyContentChecksum)
        }

        private func decompress(_ frame: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, capacity: Int,
                                verifyContentChecksum: Bool) throws(DecompressionError) {
            LZ4F_resetDecompressionContext(context)
            var options = LZ4F_decompressOptions_t()
            options.skipChecksums = verifyContentChecksum ? 0 : 1
            guard let source = frame.baseAddress else { throw DecompressionError("LZ4 frame truncated") }
            var srcOffset = 0
            var dstOffset = 0
            while true {
                var srcSize = frame.count - srcOffset
                var dstSize = capacity - dstOffset
                let hint = LZ4F_decompress(context, destination + dstOffset, &dstSize, source + srcOffset, &srcSize, &options)
                if LZ4F_isError(hint) != 0 {
                    throw DecompressionError("LZ4 frame damaged: \(String(cString: LZ4F_getErrorName(hint)))")
                }
                srcOffset += srcSize
                dstOffset += dstSize
                if hint == 0 { break }  // frame complete (and its checksum verified)
                if srcOffset >= frame.count { throw DecompressionError("LZ4 frame truncated") }
                if srcSize == 0 && dstSize == 0 {
                    // No room left and the frame has more to give.
                    throw DecompressionError("LZ4 frame larger than the \(capacity) bytes the index says")
                }
            }
            guard srcOffset == frame.count else {
                throw DecompressionError("\(frame.count - srcOffset) stray bytes after the LZ4 frame")
            }
            guard dstOffset == capacity else {
                throw DecompressionError("LZ4 frame holds \(dstOffset) bytes, the index says \(capacity)")
            }
        }
    }

    /// Why a frame did not decompress.
    struct DecompressionError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
