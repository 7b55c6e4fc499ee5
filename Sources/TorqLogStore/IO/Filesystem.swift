#if canImport(Glibc)
import Glibc
#endif

/// Directory operations the store needs, on raw system calls.
enum Filesystem {
    /// Creates `path` (and missing parents) with mode 0700.
    static func makeDirectory(_ path: String) throws {
        var isDir = false
        if exists(path, isDirectory: &isDir) {
            guard isDir else { throw StoreError(.invalidArgument, path: path, "exists and is not a directory") }
            return
        }
        let parent = parentPath(of: path)
        if !parent.isEmpty && parent != path { try makeDirectory(parent) }
        let r = InjectedFaults.failure(.create, path: path) ?? mkdir(path, 0o700)
        if r != 0 && Glibc.errno != EEXIST {
            throw StoreError.lastError(.create, path: path)
        }
    }

    static func parentPath(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        return true
    }

    static func exists(_ path: String) -> Bool {
        var d = false
        return exists(path, isDirectory: &d)
    }

    /// The names in a directory (without `.` and `..`).
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw StoreError.lastError(.opendir, path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// fsyncs a directory so that a rename or create in it is durable.
    static func syncDirectory(_ path: String) throws {
        let dir = try OwnedFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        while (InjectedFaults.failure(.fsync, path: path) as Int32? ?? fsync(dir.fd)) != 0 {
            if Glibc.errno == EINTR { continue }
            throw StoreError.lastError(.fsync, path: path)
        }
        try dir.close()
    }

    static func rename(_ from: String, _ to: String) throws {
        guard (InjectedFaults.failure(.rename, path: to) ?? Glibc.rename(from, to)) == 0 else {
            throw StoreError.lastError(.rename, path: from)
        }
    }

    static func remove(_ path: String) throws {
        guard (InjectedFaults.failure(.unlink, path: path) ?? unlink(path)) == 0 || Glibc.errno == ENOENT else {
            throw StoreError.lastError(.unlink, path: path)
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }
}
