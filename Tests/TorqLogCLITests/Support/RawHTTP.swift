import Foundation
import TorqTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 answer as read off the socket.
struct HTTPAnswer: Sendable, CustomStringConvertible {
    var status: Int
    /// Header fields in order, names lowercased.
    var headers: [(name: String, value: String)]
    var body: Data

    /// The first field named `name` (any case).
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var description: String { "HTTP \(status): \(bodyText.prefix(300))" }
}

/// A client on one TCP connection to 127.0.0.1, written on raw sockets so that a test
/// controls every byte: the head, a declared length, chunked bodies, a body sent a byte
/// at a time. Each request it sends says `Connection: close`; the answer is read to the
/// end of its declared length (or of the connection).
final class RawHTTPConnection: Sendable {
    let fd: Int32

    /// Connects to `127.0.0.1:port`; reads and writes give up after `timeout` seconds.
    init(port: Int, timeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("connect to 127.0.0.1:\(port): \(message)")
        }
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false once the peer has closed or reset the connection.
    @discardableResult
    func send(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var done = 0
        while done < array.count {
            let n = array.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// Whether the server has sent something (or closed) without waiting.
    var hasAnswer: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// A request head: `METHOD PATH`, Host, Connection: close, then `headers` as given.
    static func head(_ method: String, _ path: String, _ headers: [(String, String)]) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Sends `head` then `body` in pieces of 16 KiB, stopping early when the server
    /// answers (or closes) first, as it does on a body over its limit; then reads the answer.
    func exchange(head: [UInt8], body: [UInt8], chunked: Bool = false) throws -> HTTPAnswer {
        if send(head) {
            var at = 0
            while at < body.count && !hasAnswer {
                let piece = body[at..<min(at + (16 << 10), body.count)]
                at += piece.count
                let ok = chunked
                    ? send(Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10])
                    : send(piece)
                if !ok { break }
            }
            if chunked && at >= body.count { send(Array("0\r\n\r\n".utf8)) }
        }
        return try readAnswer()
    }

    /// Reads one answer: the head, then a body of its Content-Length, chunked, or up to
    /// the end of the connection. Throws when the connection ends before a whole head.
    func readAnswer() throws -> HTTPAnswer {
        var buffer: [UInt8] = []
        var closed = false
        func fill() throws {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw HarnessError("no answer within the socket timeout") }
                // A reset after the answer arrived is the end of the connection.
                if n <= 0 { closed = true; return }
                buffer.append(contentsOf: chunk[0..<n])
                return
            }
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) { headEnd = range.upperBound; break }
            if closed { throw HarnessError("the connection ended before an answer head (\(buffer.count) bytes read)") }
            try fill()
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw HarnessError("bad status line \(statusLine.debugDescription)") }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var answer = HTTPAnswer(status: status, headers: headers, body: Data())
        buffer.removeFirst(headEnd!)
        if let length = answer.header("content-length").flatMap(Int.init) {
            while buffer.count < length && !closed { try fill() }
            answer.body = Data(buffer.prefix(length))
        } else if answer.header("transfer-encoding")?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while true {
                while buffer.firstRange(of: [13, 10]) == nil && !closed { try fill() }
                guard let line = buffer.firstRange(of: [13, 10]),
                      let size = Int(String(decoding: buffer[0..<line.lowerBound], as: UTF8.self).split(separator: ";").first ?? "", radix: 16)
                else { break }
                while buffer.count < line.upperBound + size + 2 && !closed { try fill() }
                body += buffer[line.upperBound..<min(line.upperBound + size, buffer.count)]
                buffer.removeFirst(min(line.upperBound + size + 2, buffer.count))
                if size == 0 { break }
            }
            answer.body = Data(body)
        } else {
            while !closed { try fill() }
            answer.body = Data(buffer)
        }
        return answer
    }

    /// One request on a new connection: `METHOD PATH` with `headers` (Content-Length
    /// added unless `chunked` or given), and `body`.
    static func request(port: Int, _ method: String, _ path: String, headers: [(String, String)] = [],
                        body: [UInt8] = [], chunked: Bool = false, timeout: Double = 30) throws -> HTTPAnswer {
        var all = headers
        if chunked {
            all.append(("Transfer-Encoding", "chunked"))
        } else if !headers.contains(where: { $0.0.lowercased() == "content-length" }) && (method == "POST" || !body.isEmpty) {
            all.append(("Content-Length", String(body.count)))
        }
        let connection = try RawHTTPConnection(port: port, timeout: timeout)
        return try connection.exchange(head: head(method, path, all), body: body, chunked: chunked)
    }
}
