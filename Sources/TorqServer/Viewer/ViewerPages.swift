import HTTPTypes
import Hummingbird
import NIOCore
import TorqAnalysis

/// The web viewer's pages and their files, served from ``ViewerAssets`` (the
/// files of `Viewer/Assets`, compiled into the binary, so that the viewer
/// works with no network and no files beside the binary):
///
/// - `GET /` → `index.html` (the runs), `/runs/{id}` → `run.html` (one run),
///   `/tail` → `tail.html`, `/overview` → `overview.html`;
/// - `GET /assets/NAME` → the file NAME (also `trace.css` and `trace.js` of
///   ``TraceAssets``, which the HTML trace page links).
///
/// Every answer says `Content-Security-Policy: default-src 'self'`: a page
/// runs only the server's own scripts and styles, none inline, so that a
/// value from the store that slipped into the markup could not run.
enum ViewerPages {
    static let contentSecurityPolicy = "default-src 'self'"
    /// Links out of the viewer do not carry its addresses (run ids) along.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// The file answering `GET path`, or nil when `path` is none of the viewer's.
    static func file(for path: String) -> String? {
        switch path {
        case "/": return "index.html"
        case "/tail": return "tail.html"
        case "/overview": return "overview.html"
        default: break
        }
        if path.hasPrefix("/runs/") {
            let id = path.dropFirst("/runs/".count)
            return id.isEmpty || id.contains("/") ? nil : "run.html"
        }
        if path.hasPrefix("/assets/") {
            let name = String(path.dropFirst("/assets/".count))
            return asset(name) == nil ? nil : name
        }
        return nil
    }

    /// The file `name` of ``ViewerAssets`` or ``TraceAssets``.
    static func asset(_ name: String) -> (contentType: String, bytes: StaticString)? {
        ViewerAssets.files[name] ?? TraceAssets.files[name]
    }

    /// The answer with the file `name` of ``asset(_:)``.
    static func response(_ name: String) -> Response {
        guard let asset = asset(name) else {
            return ReceiverResponder.plain(.notFound, "no such file: \(name)")
        }
        let buffer = asset.bytes.withUTF8Buffer { ByteBuffer(bytes: $0) }
        return response(contentType: asset.contentType, buffer)
    }

    /// For a drawing sent alone (an SVG document): no script at all; its own `<style>` applies.
    static let drawingSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"

    /// An answer of the viewer: `body` as `contentType`, with the viewer's headers.
    static func response(contentType: String, _ buffer: ByteBuffer, policy: String = contentSecurityPolicy) -> Response {
        let headers: HTTPFields = [
            .contentType: contentType,
            .contentSecurityPolicy: policy,
            .xContentTypeOptions: "nosniff",
            // The files are small and change with the binary: revalidate each time.
            .cacheControl: "no-cache",
            referrerPolicy: "no-referrer",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
