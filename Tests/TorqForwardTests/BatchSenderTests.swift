import Foundation
import Testing
@testable import TorqForward

@Suite("Forward retry policy and options")
struct BatchSenderTests {
    @Test("Retry-After: seconds or an HTTP date; anything else is no advice")
    func retryAfter() {
        #expect(BatchSender.retryAfter("3") == .seconds(3))
        #expect(BatchSender.retryAfter(" 0 ") == .seconds(0))
        #expect(BatchSender.retryAfter(nil) == nil)
        #expect(BatchSender.retryAfter("soon") == nil)
        #expect(BatchSender.retryAfter("-1") == nil)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let later = formatter.string(from: Date().addingTimeInterval(5))
        let delay = BatchSender.retryAfter(later)
        #expect(delay.map { $0 > .seconds(3) && $0 <= .seconds(5) } == true, "\(later): \(String(describing: delay))")
    }

    @Test("the endpoint's paths are appended to its base URL, as the SDKs do")
    func urls() {
        var options = ForwardOptions(endpoint: "http://collector:4318/")
        #expect(options.url(.traces) == "http://collector:4318/v1/traces")
        #expect(options.url(.logs) == "http://collector:4318/v1/logs")
        options.endpoint = "https://gateway/otlp"
        #expect(options.url(.traces) == "https://gateway/otlp/v1/traces")
        #expect(ForwardOptions(endpoint: "collector:4318").problem != nil)
        var bad = ForwardOptions(endpoint: "http://x")
        bad.name = "a/b"
        #expect(bad.problem != nil)
    }

    @Test("gzip bodies inflate to themselves")
    func gzip() throws {
        let body = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let packed = GzipDeflater.deflate(body)
        #expect(packed.count < body.count / 5)
        #expect(packed.prefix(2) == [0x1F, 0x8B])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("torqlog-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("b.gz")
        try Data(packed).write(to: file)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-d", file.path]
        try gunzip.run()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0)
        #expect(try Data(contentsOf: dir.appendingPathComponent("b")) == Data(body))
    }
}
