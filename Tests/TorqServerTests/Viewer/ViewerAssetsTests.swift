import Foundation
import Testing
@testable import TorqServer

/// The viewer's files as compiled into the binary (``ViewerAssets``), against the
/// files of `Sources/TorqServer/Viewer/Assets`, and the rules the pages keep so
/// that `Content-Security-Policy: default-src 'self'` holds and nothing loads from
/// the network.
@Suite("viewer assets")
struct ViewerAssetsTests {
    /// `Sources/TorqServer/Viewer/Assets`, from this file's place in the package.
    static let assetsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/TorqServer/Viewer/Assets")

    static func files() throws -> [String: [UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: assetsDirectory.path).filter { !$0.hasPrefix(".") }
        var files: [String: [UInt8]] = [:]
        for name in names { files[name] = Array(try Data(contentsOf: assetsDirectory.appendingPathComponent(name))) }
        return files
    }

    static func text(_ name: String) -> String {
        ViewerAssets.files[name].map { $0.bytes.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } } ?? ""
    }

    @Test("ViewerAssets.swift holds every asset file byte for byte and nothing else (else run scripts/embed-viewer-assets.py)")
    func generatedTableIsUpToDate() throws {
        let files = try Self.files()
        #expect(Set(files.keys) == Set(ViewerAssets.files.keys), "run scripts/embed-viewer-assets.py")
        for (name, bytes) in files {
            let embedded = ViewerAssets.files[name].map { $0.bytes.withUTF8Buffer { Array($0) } }
            #expect(embedded == bytes, "\(name) differs from its embedded copy: run scripts/embed-viewer-assets.py")
        }
        for name in ["index.html", "run.html", "tail.html", "overview.html", "viewer.css", "common.js", "run.js", "tail.js", "overview.js", "runs.js"] {
            #expect(files[name] != nil, "\(name) is missing")
        }
    }

    @Test("each file has the content type of its extension")
    func contentTypes() {
        let expected = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]
        for (name, asset) in ViewerAssets.files {
            let ext = String(name.split(separator: ".").last ?? "")
            #expect(asset.contentType == expected[ext], "\(name): \(asset.contentType)")
        }
    }

    @Test("no asset refers to another origin: no http(s):// or protocol-relative URL, no @import, no url()")
    func nothingFromTheNetwork() {
        // The SVG namespace is a name that is never fetched.
        let namespace = "http://www.w3.org/2000/svg"
        for name in ViewerAssets.files.keys {
            let text = Self.text(name).replacingOccurrences(of: namespace, with: "")
            #expect(text.firstMatch(of: #/(?i)https?:\/\//#) == nil, "\(name) names an http(s) URL")
            #expect(text.firstMatch(of: #/(?i)(src|href)\s*=\s*["']?\/\//#) == nil, "\(name) has a protocol-relative URL")
            #expect(text.firstMatch(of: #/(?i)@import|url\(/#) == nil, "\(name) imports or loads a resource from CSS")
        }
    }

    @Test("no page has inline script or style, an on* handler attribute, or a style attribute; pages load only existing /assets/ files")
    func pagesHaveNoInlineCode() {
        let pages = ViewerAssets.files.keys.filter { $0.hasSuffix(".html") }
        #expect(pages.count == 4)
        for page in pages {
            let html = Self.text(page)
            for script in html.matches(of: #/(?is)<script\b([^>]*)>(.*?)<\/script>/#) {
                #expect(script.1.contains("src="), "\(page): a <script> without src")
                #expect(script.2.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(page): inline script")
            }
            #expect(html.firstMatch(of: #/(?i)<style\b/#) == nil, "\(page): inline <style>")
            #expect(html.firstMatch(of: #/(?i)\son[a-z]+\s*=/#) == nil, "\(page): an on* attribute")
            #expect(html.firstMatch(of: #/(?i)\sstyle\s*=/#) == nil, "\(page): a style attribute")
            #expect(html.firstMatch(of: #/(?i)javascript:/#) == nil, "\(page): a javascript: URL")
            for reference in html.matches(of: #/(?i)(?:src|href)="([^"]*)"/#) {
                let target = String(reference.1)
                if target.hasPrefix("/assets/") {
                    #expect(ViewerAssets.files[String(target.dropFirst(8))] != nil, "\(page) refers to a missing \(target)")
                } else {
                    #expect(["/", "/tail", "/overview"].contains(target), "\(page) links to \(target)")
                }
            }
        }
    }

    @Test("no script writes markup: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval")
    func scriptsBuildNodes() {
        for name in ViewerAssets.files.keys where name.hasSuffix(".js") {
            let text = Self.text(name)
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
                #expect(!text.contains(sink), "\(name) uses \(sink)")
            }
        }
    }

    @Test("paths: /, /tail, /overview, /runs/{id} and /assets/NAME are the viewer's; others are not")
    func routes() {
        #expect(ViewerPages.file(for: "/") == "index.html")
        #expect(ViewerPages.file(for: "/tail") == "tail.html")
        #expect(ViewerPages.file(for: "/overview") == "overview.html")
        #expect(ViewerPages.file(for: "/runs/run-1") == "run.html")
        #expect(ViewerPages.file(for: "/runs/a%2Fb") == "run.html")
        #expect(ViewerPages.file(for: "/assets/viewer.css") == "viewer.css")
        for path in ["/runs/", "/runs/a/b", "/assets/nothing.js", "/assets/", "/assets/../Package.swift", "/v1/events", "/api/summary", "/index.html"] {
            #expect(ViewerPages.file(for: path) == nil, "\(path)")
        }
    }
}
