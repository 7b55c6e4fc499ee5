import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwiftProtobuf
import TorqOTLPProto

/// Sends one request body to one signal's URL and keeps at it as the
/// OTLP/HTTP specification says:
///
/// - 2xx: accepted; a `partial_success` in the answer counts its rejected
///   items (they are not sent again);
/// - 429, 502, 503, 504 and connection errors (refused, reset, timed out):
///   sent again after `Retry-After` when the answer has one (seconds or an
///   HTTP date), else after an exponential back-off with jitter (the first
///   delay, doubled each time up to the cap, times a random factor in
///   [0.5, 1]); without end, until the task is cancelled;
/// - 401, 403: fatal (the caller stops with a clear error);
/// - any other status (400 above all): rejected whole, never sent again.
struct BatchSender: Sendable {
    /// What became of a request.
    enum Outcome: Sendable {
        /// Answered 2xx; `rejected` items refused in a partial success.
        case accepted(rejected: Int, message: String)
        /// Answered with a status that is not retried: the whole request is refused.
        case rejected(status: Int, message: String)
        /// 401 or 403.
        case unauthorized(status: Int, message: String)
        /// Cancelled before an answer that settles it.
        case cancelled
    }

    let client: HTTPClient
    let options: ForwardOptions

    /// Sends `body` (gzip) to `signal`; `onRetry` is told each time it is sent again, and why.
    func send(_ body: [UInt8], signal: ForwardSignal, onRetry: @Sendable (String) -> Void) async -> Outcome {
        var attempt = 0
        while true {
            if Task.isCancelled { return .cancelled }
            var request = HTTPClientRequest(url: options.url(signal))
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-protobuf")
            request.headers.add(name: "Content-Encoding", value: "gzip")
            for (name, value) in options.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let delay: Duration
            let reason: String
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(options.requestTimeoutSeconds)))
                let answer = try await response.body.collect(upTo: 4 << 20)
                let code = Int(response.status.code)
                switch code {
                case 200...299:
                    return Self.partialSuccess(answer, signal: signal, contentType: response.headers.first(name: "Content-Type"))
                case 429, 502, 503, 504:
                    delay = Self.retryAfter(response.headers.first(name: "Retry-After")) ?? backoff(attempt)
                    reason = "status \(code)"
                case 401, 403:
                    return .unauthorized(status: code, message: Self.text(answer))
                default:
                    return .rejected(status: code, message: Self.text(answer))
                }
            } catch {
                if Task.isCancelled { return .cancelled }
                delay = backoff(attempt)
                reason = "\(error)"
            }
            attempt += 1
            onRetry(reason)
            do {
                try await Task.sleep(for: delay)
            } catch {
                return .cancelled
            }
        }
    }

    /// The `attempt`-th back-off: the first delay doubled `attempt` times, capped, times a factor in [0.5, 1].
    func backoff(_ attempt: Int) -> Duration {
        let base = Double(options.initialBackoffMilliseconds) * pow(2, Double(min(attempt, 30)))
        let capped = min(base, Double(options.maxBackoffMilliseconds))
        return .milliseconds(Int64(capped * Double.random(in: 0.5...1)))
    }

    /// `Retry-After` as a delay: seconds, or an HTTP date (RFC 9110); nil when absent or unreadable.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(Int64(min(seconds, 3600))) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let seconds = max(0, min(date.timeIntervalSinceNow, 3600))
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The rejected count and message of a 2xx answer (protobuf or JSON, by its content type); none when it has none.
    static func partialSuccess(_ answer: ByteBuffer, signal: ForwardSignal, contentType: String?) -> Outcome {
        let bytes = Array(answer.readableBytesView)
        guard !bytes.isEmpty else { return .accepted(rejected: 0, message: "") }
        let json = contentType?.lowercased().contains("json") == true
        switch signal {
        case .traces:
            let response: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse?
            if json {
                response = try? .init(jsonUTF8Bytes: bytes, options: JSONDecodingOptions())
            } else {
                response = try? .init(serializedBytes: bytes)
            }
            guard let response, response.hasPartialSuccess else { return .accepted(rejected: 0, message: "") }
            return .accepted(rejected: Int(response.partialSuccess.rejectedSpans), message: response.partialSuccess.errorMessage)
        case .logs:
            let response: Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse?
            if json {
                response = try? .init(jsonUTF8Bytes: bytes, options: JSONDecodingOptions())
            } else {
                response = try? .init(serializedBytes: bytes)
            }
            guard let response, response.hasPartialSuccess else { return .accepted(rejected: 0, message: "") }
            return .accepted(rejected: Int(response.partialSuccess.rejectedLogRecords), message: response.partialSuccess.errorMessage)
        }
    }

    /// An answer's body as one line of text (at most 300 bytes), for messages.
    static func text(_ answer: ByteBuffer) -> String {
        let bytes = Array(answer.readableBytesView.prefix(300))
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
    }
}
