import NIOCore
import NIOHTTP1
import NIOPosix
import TorqLogStore
#if canImport(Glibc)
import Glibc
#endif

/// The client side of a store held by `torqlog serve`: HTTP/1.1 over the
/// store's Unix socket (`serve.sock`, FORMAT.md §5), one connection a request.
///
/// Calls block the calling thread until the server answers (they are made
/// from a producer's own thread: `ingest`'s append thread, a collector's
/// flusher), never from an event loop.
package final class ServerLink: Sendable {
    /// The socket's path.
    package let socketPath: String
    private let group: any EventLoopGroup

    /// A link to the server listening on `store`'s socket, if one answers
    /// there: nil when there is no socket, or a dead server's (refused).
    /// - Throws: ``ServerLinkError`` when a server is there but this user may
    ///   not connect (the socket is its owner's: mode 0600).
    package static func find(_ store: StoreDirectory) throws(ServerLinkError) -> ServerLink? {
        let path = store.serverSocket
        guard access(path, F_OK) == 0 else { return nil }
        let link = ServerLink(socketPath: path)
        switch link.probe() {
        case 0: return link
        case EACCES, EPERM:
            throw ServerLinkError(socketPath: path, errno: EACCES,
                                  "the store is held by torqlog serve, whose socket \(path) only its owner may use (permission denied): run as the store's owner")
        default: return nil  // ECONNREFUSED, ENOENT: no server
        }
    }

    package init(socketPath: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.socketPath = socketPath
        self.group = group
    }

    /// Connects once and closes: 0 when a server accepts, else the errno.
    private func probe() -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0 ? 0 : errno
    }

    /// An answer: its status and body.
    package struct Answer: Sendable {
        package var status: Int
        package var body: [UInt8]
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// `POST path` with `body`; blocks until the whole answer is read.
    /// - Throws: ``ServerLinkError`` when the connection fails or closes
    ///   before a whole answer (the server died), or after `timeoutSeconds`.
    package func post(_ path: String, contentType: String, headers: [(String, String)] = [], body: [UInt8],
                      timeoutSeconds: Int64 = 300) throws(ServerLinkError) -> Answer {
        let loop = group.next()
        let promise = loop.makePromise(of: Answer.self)
        let socketPath = self.socketPath
        let channel: any Channel
        do {
            channel = try ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(AnswerCollector(promise))
                    }
                }
                .connect(unixDomainSocketPath: socketPath).wait()
        } catch {
            // Nothing was sent: no server took the request (none listens, or it died).
            promise.fail(error)
            let code = (error as? IOError)?.errnoCode ?? ECONNREFUSED
            throw ServerLinkError(socketPath: socketPath, errno: code, requestSent: false,
                                  "cannot connect to torqlog serve on \(socketPath): \(Self.describe(error))")
        }
        do {
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
            head.headers.add(name: "Host", value: "localhost")
            head.headers.add(name: "Content-Type", value: contentType)
            head.headers.add(name: "Content-Length", value: String(body.count))
            head.headers.add(name: "Connection", value: "close")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            let timeout = loop.scheduleTask(in: .seconds(timeoutSeconds)) {
                promise.fail(ServerLinkError(socketPath: socketPath, errno: ETIMEDOUT, "no answer from torqlog serve within \(timeoutSeconds) s"))
                channel.close(promise: nil)
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let answer = try promise.futureResult.wait()
            timeout.cancel()
            channel.close(promise: nil)
            return answer
        } catch let error as ServerLinkError {
            throw error
        } catch {
            promise.fail(error)
            let code = (error as? IOError)?.errnoCode ?? EIO
            throw ServerLinkError(socketPath: socketPath, errno: code, "torqlog serve on \(socketPath) went away: \(Self.describe(error))")
        }
    }

    /// An error as `reason (errno N)` for a system error, else what it says of itself.
    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))" }
        if let channel = error as? ChannelError, channel == .eof { return "the connection closed before an answer" }
        return "\(error)"
    }
}

/// Collects one HTTP answer into a promise.
private final class AnswerCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<ServerLink.Answer>
    private var status = 0
    private var body: [UInt8] = []
    private var done = false

    init(_ promise: EventLoopPromise<ServerLink.Answer>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var buffer): buffer.readWithUnsafeReadableBytes { body.append(contentsOf: $0); return $0.count }
        case .end:
            done = true
            promise.succeed(ServerLink.Answer(status: status, body: body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }
}

/// Why a producer could not use the store's server.
package struct ServerLinkError: Error, Sendable, CustomStringConvertible {
    package var socketPath: String
    package var errno: Int32
    package var message: String
    /// Whether the request may have reached a server: false only when the
    /// connection was never made, so that no server can have acted on it.
    package var requestSent: Bool

    package init(socketPath: String, errno: Int32, requestSent: Bool = true, _ message: String) {
        self.socketPath = socketPath
        self.errno = errno
        self.requestSent = requestSent
        self.message = message
    }

    package var description: String { message }
}
