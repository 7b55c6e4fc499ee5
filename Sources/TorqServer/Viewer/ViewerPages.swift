import HTTPTypes
import Hummingbird
import NIOCore

/// The web viewer's pages and their files, served from ``ViewerAssets`` (the
/// files of `Viewer/Assets`, compiled into the binary, so that the viewer
/// works with no network and no files beside the binary):
///
/// - `GET /` → `index.html` (the runs), `/runs/{id}` → `run.html` (one run),
///   `/tail` → `tail.html`, `/overview` → `overview.html`;
/// - `GET /assets/NAME` → the file NAME.
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
            return ViewerAssets.files[name] == nil ? nil : name
        }
        return nil
    }

    /// The answer with the file `name` of ``ViewerAssets``.
    static func response(_ name: String) -> Response {
        guard let asset = ViewerAssets.files[name] else {
            return ReceiverResponder.plain(.notFound, "no such file: \(name)")
        }
        let buffer = asset.bytes.withUTF8Buffer { ByteBuffer(bytes: $0) }
        let headers: HTTPFields = [
            .contentType: asset.contentType,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            // The files are small and change with the binary: revalidate each time.
            .cacheControl: "no-cache",
            referrerPolicy: "no-referrer",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
