#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemPackage

/// A test seam: makes the store's own system calls fail on purpose, so tests
/// in this process can check what a failed `write`, `fdatasync`, `rename`, …
/// does to a writer, a sealer or a compaction.
///
/// Each rule names a directory; only calls on paths under it count, so tests
/// running in parallel on their own temporary stores do not disturb each
/// other. When no rule is armed (always, outside tests) a check is one
/// relaxed atomic load. (The `torqlog` binary is tested the same way from
/// outside by a preload library, `Tests/FaultShim`.)
package enum InjectedFaults {
    /// One armed fault.
    package struct Rule: Sendable {
        /// Calls on paths under this directory count.
        package var directory: String
        /// The operation that fails.
        package var operation: FileOperation
        /// The 1-based number of the counted call that fails first.
        package var at: Int
        /// The error it fails with.
        package var errno: Errno
        /// Whether every later call fails too (a full disk), or only that one
        /// (a failed write-back, which Linux reports once).
        package var sticky: Bool

        package init(directory: String, operation: FileOperation, at: Int, errno: Errno, sticky: Bool = false) {
            self.directory = directory
            self.operation = operation
            self.at = at
            self.errno = errno
            self.sticky = sticky
        }
    }

    private struct Armed {
        var rule: Rule
        var count = 0
        var injected = 0
    }

    private static let armedCount = Atomic<Int>(0)
    private static let rules = Mutex<[Int: Armed]>([:])
    private static let nextID = Atomic<Int>(1)

    /// Arms `rule` until ``disarm(_:)``; returns its handle.
    package static func arm(_ rule: Rule) -> Int {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        rules.withLock { $0[id] = Armed(rule: rule) }
        armedCount.add(1, ordering: .releasing)
        return id
    }

    /// Disarms a rule; returns how many calls it failed.
    @discardableResult
    package static func disarm(_ id: Int) -> Int {
        let removed = rules.withLock { $0.removeValue(forKey: id) }
        if removed != nil { armedCount.subtract(1, ordering: .releasing) }
        return removed?.injected ?? 0
    }

    /// How many calls of the rule's operation under its directory were seen so far.
    package static func calls(_ id: Int) -> Int {
        rules.withLock { $0[id]?.count ?? 0 }
    }

    /// Runs `body` with `rule` armed; returns its result and how many calls failed.
    package static func with<R>(_ rule: Rule, _ body: () throws -> R) rethrows -> (result: R, injected: Int) {
        let id = arm(rule)
        defer { disarm(id) }
        let r = try body()
        return (r, rules.withLock { $0[id]?.injected ?? 0 })
    }

    /// `-1` with `errno` set when an armed rule fails this call; nil to make the real call.
    @inline(__always)
    package static func failure<T: BinaryInteger>(_ operation: FileOperation, path: String) -> T? {
        guard armedCount.load(ordering: .relaxed) > 0 else { return nil }
        return slowFailure(operation, path: path)
    }

    private static func slowFailure<T: BinaryInteger>(_ operation: FileOperation, path: String) -> T? {
        let code: Errno? = rules.withLock { rules in
            var code: Errno?
            for (id, var armed) in rules where armed.rule.operation == operation && isUnder(path, armed.rule.directory) {
                armed.count += 1
                if armed.count == armed.rule.at || (armed.rule.sticky && armed.count > armed.rule.at) {
                    armed.injected += 1
                    code = code ?? armed.rule.errno
                }
                rules[id] = armed
            }
            return code
        }
        guard let code else { return nil }
        Glibc.errno = code.rawValue
        return -1
    }

    private static func isUnder(_ path: String, _ directory: String) -> Bool {
        path == directory || (path.hasPrefix(directory) && path.utf8.dropFirst(directory.utf8.count).first == UInt8(ascii: "/"))
    }
}
