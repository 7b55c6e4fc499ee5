import Testing
@testable import TorqServer

private func inflate(_ body: [UInt8], limit: Int = 1 << 20) throws(RequestError) -> [UInt8] {
    let result = body.withUnsafeBytes { bytes in
        Result { () throws(RequestError) in try GzipInflater.inflate(bytes, limit: limit) }
    }
    return try result.get()
}

private func refusal(_ body: [UInt8], limit: Int = 1 << 20) -> RequestError? {
    do {
        _ = try inflate(body, limit: limit)
        return nil
    } catch {
        return error
    }
}

/// Text long enough to span several deflate blocks' worth of matches, short enough to cut at every length.
private let sample: [UInt8] = Array((0..<200).map { "line \($0): the agent called a tool\n" }.joined().utf8)

@Suite struct GzipInflaterTests {
    @Test func aCompleteMemberInflatesToItsBytes() throws {
        #expect(try inflate(GzipSamples.gzip(sample)) == sample)
        #expect(try inflate(GzipSamples.gzip([])) == [])
    }

    @Test func aBodyCutAtAnyLengthIsRefusedWith400() {
        let body = GzipSamples.gzip(sample)
        for length in 0..<body.count {
            let error = refusal(Array(body[0..<length]))
            #expect(error?.status == .badRequest, "cut at \(length) of \(body.count)")
        }
        // A cut inside the 8-byte trailer loses no data, and is still refused as truncated.
        for length in (body.count - 8)..<body.count {
            #expect(refusal(Array(body[0..<length]))?.message
                == "gzip body truncated: the stream ended after \(length) of its bytes without its trailer")
        }
    }

    @Test func aDamagedTrailerIsRefusedWith400() {
        let body = GzipSamples.gzip(sample)
        var badCRC = body
        badCRC[body.count - 8] ^= 0x01
        #expect(refusal(badCRC)?.status == .badRequest)
        #expect(refusal(badCRC)?.message.contains("incorrect data check") == true)
        var badLength = body
        badLength[body.count - 1] ^= 0x01
        #expect(refusal(badLength)?.status == .badRequest)
        #expect(refusal(badLength)?.message.contains("incorrect length check") == true)
    }

    @Test func membersThatFollowEachOtherInflateToOneBody() throws {
        let first = Array(sample[0..<1000])
        let second = Array(sample[1000...])
        #expect(try inflate(GzipSamples.gzip(first) + GzipSamples.gzip(second)) == sample)
    }

    @Test func bytesAfterTheLastMemberAreRefusedWith400() {
        let member = GzipSamples.gzip(sample)
        let garbage = refusal(member + Array("trailing".utf8))
        #expect(garbage?.status == .badRequest)
        #expect(garbage?.message.hasPrefix("gzip body invalid in member 2 (from byte \(member.count))") == true)
        let partial = refusal(member + GzipSamples.gzip(sample).prefix(20))
        #expect(partial?.status == .badRequest)
        #expect(partial?.message == "gzip body truncated: member 2 (from byte \(member.count)) ended with the body after 20 bytes without its trailer")
        #expect(refusal(member + [0])?.status == .badRequest)
    }

    @Test func aBodyThatIsNotGzipIsRefusedWith400() {
        #expect(refusal(sample)?.status == .badRequest)
        #expect(refusal(GzipSamples.gzip(sample).dropFirst().map { $0 })?.status == .badRequest)
    }

    @Test func theLimitIsTheLargestInflatedSizeAccepted() throws {
        let body = GzipSamples.gzip(sample)
        #expect(try inflate(body, limit: sample.count) == sample)
        #expect(refusal(body, limit: sample.count - 1)?.status == .contentTooLarge)
        #expect(refusal(GzipSamples.gzip([1]), limit: 0)?.status == .contentTooLarge)
    }

    /// 64 MiB of zeros compress to about 64 KiB; with a 16 MiB cap, inflating
    /// stops at the cap, and the output never grew past it.
    @Test func aGzipBombStopsAtTheCapWith413() {
        let limit = 16 << 20
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let bomb = GzipSamples.gzip(chunks: 64) { _ in zeros }
        #expect(bomb.count < 128 << 10)
        var output: [UInt8] = []
        var caught: RequestError?
        bomb.withUnsafeBytes { bytes in
            do throws(RequestError) {
                try GzipInflater.inflate(bytes, limit: limit, into: &output)
            } catch {
                caught = error
            }
        }
        #expect(caught?.status == .contentTooLarge)
        #expect(caught?.message.hasPrefix("gzip body inflates to more than the limit of \(limit) bytes") == true)
        #expect(output.count <= limit)
        #expect(output.count > limit - GzipInflater.chunkSize)
        // Capacity: doubling capped at the limit, plus what malloc rounds up.
        #expect(output.capacity <= limit + 4096)
    }
}
