import Foundation
import Testing
import TorqTestSupport

/// The web viewer's pages and files as `torqlog serve` answers them: from the
/// binary alone, each with `Content-Security-Policy: default-src 'self'`,
/// `X-Content-Type-Options: nosniff` and its content type; under the same
/// `--token` and `--no-ui` rules as the API.
@Suite("serve: the viewer pages")
struct ViewerPagesTests {
    /// `Sources/TorqServer/Viewer/Assets`, from this file's place in the package.
    static let assetsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/TorqServer/Viewer/Assets")

    static let contentTypes = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]

    private static func get(_ server: ServeProcess, _ path: String, headers: [(String, String)] = []) throws -> HTTPAnswer {
        try RawHTTPConnection.request(port: server.port, "GET", path, headers: headers)
    }

    private func withServer(_ options: [String] = [], _ body: (ServeProcess) throws -> Void) throws {
        try withTemporaryStore { store, _ in
            let server = try ServeProcess(store: store, options)
            try body(server)
            #expect(try server.terminate().succeeded)
        }
    }

    @Test("every page and every asset file is served byte for byte with the CSP, nosniff and its content type")
    func pagesAndAssets() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.assetsDirectory.path).filter { !$0.hasPrefix(".") }
        #expect(names.count >= 10)
        try withServer { (server: ServeProcess) throws in
            var paths: [(path: String, file: String)] = names.map { ("/assets/" + $0, $0) }
            paths += [("/", "index.html"), ("/tail", "tail.html"), ("/overview", "overview.html"),
                      ("/runs/run-1", "run.html"), ("/runs/a%2Fb%20%3Cscript%3E", "run.html")]
            for (path, file) in paths {
                let answer = try Self.get(server, path)
                #expect(answer.status == 200, "\(path): \(answer)")
                #expect(answer.header("content-security-policy") == "default-src 'self'", "\(path)")
                #expect(answer.header("x-content-type-options") == "nosniff", "\(path)")
                let ext = String(file.split(separator: ".").last ?? "")
                #expect(answer.header("content-type") == Self.contentTypes[ext], "\(path): \(answer.header("content-type") ?? "none")")
                let onDisk = try Data(contentsOf: Self.assetsDirectory.appendingPathComponent(file))
                #expect(answer.body == onDisk, "\(path) is not \(file) byte for byte")
            }
            #expect(try Self.get(server, "/assets/no-such.js").status == 404)
            #expect(try Self.get(server, "/runs/a/b").status == 404)
            let post = try RawHTTPConnection.request(port: server.port, "POST", "/", body: Array("x".utf8))
            #expect(post.status == 405 && post.header("allow") == "GET")
            // The receiver is as it was.
            #expect(try server.postEvents(eventLines("pages", 0..<2)).status == 200)
            #expect(try Self.get(server, "/v1/events").status == 405)
        }
    }

    @Test("--token guards the pages as it guards the API; --no-ui serves no pages")
    func tokenAndNoUI() throws {
        try withServer(["--token", "t0ken"]) { (server: ServeProcess) throws in
            #expect(try Self.get(server, "/").status == 401)
            #expect(try Self.get(server, "/assets/viewer.css").status == 401)
            #expect(try Self.get(server, "/", headers: [("Authorization", "Bearer t0ken")]).status == 200)
        }
        try withServer(["--no-ui"]) { (server: ServeProcess) throws in
            #expect(try Self.get(server, "/").status == 404)
            #expect(try Self.get(server, "/assets/viewer.css").status == 404)
            #expect(try Self.get(server, "/runs/x").status == 404)
        }
    }

    @Test("/api/runs/{id}/otlp answers what export --run ID --format otlp-json prints")
    func otlpDownload() throws {
        try withTemporaryStore { store, _ in
            let demo = try TorqlogBinary.run(["--dir", store, "demo", "--runs", "1"])
            try #require(demo.succeeded, "demo: \(demo.summary)")
            let runID = try #require(try storeEvents(store).compactMap { $0["run_id"] as? String }.first)
            let server = try ServeProcess(store: store)
            let answer = try Self.get(server, "/api/runs/\(runID)/otlp")
            let export = try TorqlogBinary.run(["--dir", store, "export", "--run", runID, "--format", "otlp-json"])
            #expect(answer.status == 200 && answer.header("content-type") == "application/x-ndjson")
            #expect(answer.bodyText == export.stdoutText && !export.stdoutText.isEmpty)
            #expect(try Self.get(server, "/api/runs/no-such-run/otlp").status == 404)
            #expect(try server.terminate().succeeded)
        }
    }
}
