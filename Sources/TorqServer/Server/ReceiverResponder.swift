import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TorqJSON
import TorqLogStore
import TorqOTLP

/// Answers the receiver's requests: `POST /v1/traces`, `/v1/logs` (OTLP/HTTP,
/// protobuf or JSON, optionally gzip) and `/v1/events` (JSONL); and, unless
/// `--no-ui`, the viewer's pages (``ViewerPages``) and API (``ViewerAPI``).
///
/// Each request goes through the same steps, and the first that fails
/// answers: route (404, 405), token (401), a slot among the concurrent
/// requests (503), media type and encoding (415), declared length (413),
/// the body read against `--max-body` and the memory budget (413, 503),
/// decoding (400, 413), mapping (rejected items go to `partial_success`), and
/// the store (200 once durable; 503 when its queue is full or it is
/// shutting down; 500 once its writer has failed).
struct ReceiverResponder: HTTPResponder {
    typealias Context = ReceiverContext

    enum Endpoint: Sendable {
        case traces, logs, events
    }

    let configuration: ServeConfiguration
    let committer: StoreCommitter
    let token: BearerToken?
    let requests: ByteBudget
    let bodies: ByteBudget
    let logger: Logger
    /// The viewer's API, unless `--no-ui`.
    let viewer: ViewerAPI?

    /// - Parameters:
    ///   - requireToken: whether `--token` applies (on TCP; not on the store's
    ///     socket, whose file mode admits the store's owner only).
    ///   - requests, bodies: the budgets, shared by every listener of the server.
    init(configuration: ServeConfiguration, committer: StoreCommitter, logger: Logger, requireToken: Bool,
         requests: ByteBudget, bodies: ByteBudget) {
        self.configuration = configuration
        self.committer = committer
        self.token = requireToken ? configuration.token.map(BearerToken.init) : nil
        self.requests = requests
        self.bodies = bodies
        self.logger = logger
        self.viewer = configuration.viewer ? ViewerAPI(store: committer.writer.directory) : nil
    }

    func respond(to request: Request, context: ReceiverContext) async throws -> Response {
        if viewer != nil, let file = ViewerPages.file(for: request.uri.path) {
            if let refusal = viewerRefusal(request, what: "the viewer") { return refusal }
            return ViewerPages.response(file)
        }
        if let viewer, request.uri.path.hasPrefix("/api/") {
            if let refusal = viewerRefusal(request, what: "the API") { return refusal }
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            do {
                if let response = try await viewer.respond(path: request.uri.path, query: query) { return response }
            } catch {
                logger.error("\(request.uri.path): \(error)")
                return Self.plain(.internalServerError, "reading the store failed: \(error)")
            }
        }
        let endpoint: Endpoint
        switch request.uri.path {
        case "/v1/traces": endpoint = .traces
        case "/v1/logs": endpoint = .logs
        case "/v1/events": endpoint = .events
        default:
            return Self.plain(.notFound, "no such endpoint: \(request.uri.path) (POST /v1/traces, /v1/logs or /v1/events)")
        }
        guard request.method == .post else {
            var response = Self.plain(.methodNotAllowed, "\(request.method.rawValue) \(request.uri.path): only POST is allowed")
            response.headers[.allow] = "POST"
            return response
        }
        if let token, !token.accepts(request.headers[.authorization]) {
            return Self.unauthorized("a bearer token is required: Authorization: Bearer TOKEN")
        }
        guard requests.take(1) else {
            return overloaded("\(configuration.maxConcurrentRequests) requests are being handled already")
        }
        defer { requests.give(1) }
        do {
            return try await handle(request, endpoint: endpoint)
        } catch let error as RequestError {
            let json = (try? OTLPEncoding(contentType: request.headers[.contentType])) == .json
            if error.status == .internalServerError { logger.error("\(request.uri.path): \(error.message)") }
            return Self.error(error, json: json)
        }
    }

    /// The answer refusing a request to the viewer (its pages or its API):
    /// 405 to anything but GET or HEAD, 401 without the token; nil to go on.
    private func viewerRefusal(_ request: Request, what: String) -> Response? {
        guard request.method == .get || request.method == .head else {
            var response = Self.plain(.methodNotAllowed, "\(request.method.rawValue) \(request.uri.path): \(what) is read-only (GET)")
            response.headers[.allow] = "GET"
            return response
        }
        if let token, !token.accepts(request.headers[.authorization]), !token.acceptsCookie(request.headers[.cookie]) {
            // A page opened once as PATH?token=T: the browser keeps the token as
            // an HttpOnly cookie and comes back to PATH without it.
            if let given = request.uri.queryParameters["token"], token.matches(Array(String(given).utf8)) {
                var response = Response(status: .seeOther)
                response.headers[.location] = request.uri.path
                let value = BearerToken.cookieValue(String(given).utf8)
                response.headers[.setCookie] = "\(BearerToken.cookieName)=\(value); Path=/; HttpOnly; SameSite=Strict"
                return response
            }
            return Self.unauthorized("a bearer token is required: Authorization: Bearer TOKEN (in a browser, open the page once with ?token=TOKEN)")
        }
        return nil
    }

    private func handle(_ request: Request, endpoint: Endpoint) async throws -> Response {
        let contentType = request.headers[.contentType]
        let contentEncoding = request.headers[.contentEncoding]
        // Media type and coding are checked before the body is read (415 at once).
        let encoding: OTLPEncoding?
        switch endpoint {
        case .traces, .logs: encoding = try OTLPEncoding(contentType: contentType)
        case .events:
            encoding = nil
            guard Self.isJSONLines(contentType) else {
                throw RequestError(.unsupportedMediaType, "Content-Type \(contentType.map { "'\($0)'" } ?? "missing"): /v1/events takes application/x-ndjson, application/jsonl or text/plain")
            }
        }
        let coding = try ContentCoding(header: contentEncoding)
        let body = try await readBody(request)
        defer { bodies.give(body.count) }
        switch endpoint {
        case .traces:
            let mapped = try OTLPRequests.traces(body, contentType: contentType, contentEncoding: contentEncoding, maxBody: configuration.maxBody)
            _ = try await store(mapped)
            return OTLPRequests.tracesResponse(mapped, encoding: encoding ?? .protobuf)
        case .logs:
            let mapped = try OTLPRequests.logs(body, contentType: contentType, contentEncoding: contentEncoding, maxBody: configuration.maxBody)
            _ = try await store(mapped)
            return OTLPRequests.logsResponse(mapped, encoding: encoding ?? .protobuf)
        case .events:
            let lines: [UInt8]
            switch coding {
            case .identity: lines = body
            case .gzip:
                let inflated = body.withUnsafeBytes { raw in
                    Result { () throws(RequestError) in try GzipInflater.inflate(raw, limit: configuration.maxBody) }
                }
                lines = try inflated.get()
            }
            var decoder = EventLinesDecoder()
            let (items, rejections) = decoder.decode(lines, keying: try producerKeying(request))
            var mapped = MappedRequest()
            mapped.items = items
            let outcome = try await store(mapped)
            let status: HTTPResponse.Status = rejections.isEmpty || outcome.stored + outcome.duplicates > 0 ? .ok : .badRequest
            return Self.eventsResponse(status, outcome: outcome, rejections: rejections)
        }
    }

    /// How `/v1/events` keys the lines of `request`: by producer batch when it
    /// comes from a producer of the store (`Torqlog-Producer`, `Torqlog-Batch`),
    /// whose `Torqlog-Fsync` must not ask for more than this server gives.
    private func producerKeying(_ request: Request) throws -> EventLinesDecoder.Keying {
        guard let producer = request.headers[ProducerHeaders.producer] else { return .content }
        guard !producer.isEmpty, producer.utf8.count <= 128 else {
            throw RequestError(.badRequest, "\(ProducerHeaders.producer.rawName) must be 1 to 128 bytes")
        }
        guard let batch = request.headers[ProducerHeaders.batch].flatMap({ UInt64($0) }) else {
            throw RequestError(.badRequest, "\(ProducerHeaders.batch.rawName) must be a decimal batch number")
        }
        if let asked = request.headers[ProducerHeaders.fsync] {
            guard let wanted = DurabilityPolicy(parsing: asked) else {
                throw RequestError(.badRequest, "\(ProducerHeaders.fsync.rawName): '\(asked)' is not always, batch or never")
            }
            if wanted != .never && configuration.durability == .never {
                throw RequestError(.preconditionFailed, "this server runs with --fsync never: it cannot make records durable before answering, as --fsync \(wanted) asks")
            }
        }
        return .producer(producer, batch: batch)
    }

    /// Whether a `Content-Type` names JSONL: `application/x-ndjson`,
    /// `application/jsonl` (or `json-lines`), `text/plain`; parameters ignored.
    static func isJSONLines(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { Substring($0).trimmingASCIIWhitespace().lowercased() } ?? ""
        return ["application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines", "text/plain"].contains(media)
    }

    /// Reads the whole body against `--max-body` and the memory budget.
    /// The caller gives back `body.count` bytes to the budget.
    private func readBody(_ request: Request) async throws -> [UInt8] {
        let limit = configuration.maxBody
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw RequestError(.contentTooLarge, "the body is \(declared) bytes, over the \(limit)-byte limit (--max-body)")
        }
        var body: [UInt8] = []
        var taken = 0
        do {
            for try await buffer in request.body {
                let size = body.count + buffer.readableBytes
                guard size <= limit else {
                    throw RequestError(.contentTooLarge, "the body is over the \(limit)-byte limit (--max-body)")
                }
                if size > taken {
                    // Take in steps of at least 64 KiB, so that the budget is not touched per chunk.
                    let step = max(size - taken, min(64 << 10, limit - taken))
                    guard bodies.take(step) else {
                        throw RequestError(.serviceUnavailable, "request bodies in memory are at their limit (\(bodies.limit) bytes): retry later")
                    }
                    taken += step
                }
                buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
        } catch {
            bodies.give(taken)
            throw error
        }
        // Keep exactly `body.count` taken: the caller gives that back.
        bodies.give(taken - body.count)
        return body
    }

    /// Hands the items to the store and waits until they are durable.
    private func store(_ mapped: MappedRequest) async throws -> StoreCommitter.Outcome {
        guard !mapped.items.isEmpty else { return StoreCommitter.Outcome(stored: 0, duplicates: 0) }
        let bytes = mapped.items.reduce(0) { sum, item in
            sum + item.firstSight.reduce(0) { $0 + $1.payload.count } + item.onClose.reduce(0) { $0 + $1.payload.count }
        }
        do {
            return try await committer.commit(mapped.items, bytes: bytes)
        } catch let error as CommitError {
            switch error {
            case .overloaded:
                throw RequestError(.serviceUnavailable, "the store's write queue is full (\(configuration.maxQueuedBytes) bytes): retry later")
            case .closed:
                throw RequestError(.serviceUnavailable, "the server is shutting down: retry later")
            case .rejected(let why):
                throw RequestError(.badRequest, "a record was refused by the store: \(why)")
            case .failed(let failure):
                throw RequestError(.internalServerError, "the store's writer failed, nothing more is acknowledged: \(failure)")
            }
        }
    }

    private func overloaded(_ why: String) -> Response {
        var response = Self.plain(.serviceUnavailable, why + ": retry later")
        response.headers[.retryAfter] = String(configuration.retryAfterSeconds)
        return response
    }

    // MARK: - Responses

    /// 401 with `WWW-Authenticate: Bearer`.
    static func unauthorized(_ message: String) -> Response {
        var response = plain(.unauthorized, message)
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(message + "\n")
        return Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: buffer))
    }

    /// An error answer: in JSON (`{"code":…,"message":…}`, the shape of
    /// `google.rpc.Status`) to a JSON request, else plain text.
    static func error(_ error: RequestError, json: Bool) -> Response {
        let status = HTTPResponse.Status(code: error.status.rawValue)
        var response: Response
        if json {
            let text = OrderedJSON.object([("code", .int(error.rpcCode)), ("message", .string(error.message))]).rendered(pretty: false)
            var buffer = ByteBuffer()
            buffer.writeString(text)
            response = Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
        } else {
            response = plain(status, error.message)
        }
        if error.status == .serviceUnavailable {
            response.headers[.retryAfter] = "1"
        }
        return response
    }

    static func eventsResponse(_ status: HTTPResponse.Status, outcome: StoreCommitter.Outcome, rejections: [EventLinesDecoder.Rejection]) -> Response {
        let json = OrderedJSON.object([
            ("stored", .int(outcome.stored)),
            ("duplicates", .int(outcome.duplicates)),
            ("rejected", .array(rejections.map { .object([("line", .int($0.line)), ("reason", .string($0.reason))]) })),
        ]).rendered(pretty: false)
        var buffer = ByteBuffer()
        buffer.writeString(json + "\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }
}
