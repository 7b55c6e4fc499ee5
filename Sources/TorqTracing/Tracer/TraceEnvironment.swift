import Tracing
#if canImport(Glibc)
import Glibc
#endif

/// Trace context across processes through environment variables:
/// `TRACEPARENT` and `TRACESTATE` (the W3C values, in upper case as
/// environment variables are named). A parent passes
/// ``variables(for:)`` to the child it starts; the child calls
/// ``inheritedContext()`` at startup and runs its work inside it, so its
/// spans join the parent's trace under the parent's span.
///
/// ```swift
/// // Parent: start a child process in the current span's trace.
/// var environment = ProcessInfo.processInfo.environment
/// environment.merge(TraceEnvironment.variables()) { _, new in new }
///
/// // Child, at startup:
/// try await TraceEnvironment.withInheritedContext { try await main() }
/// ```
public enum TraceEnvironment {
    /// `TRACEPARENT`.
    public static let traceParentVariable = "TRACEPARENT"
    /// `TRACESTATE`.
    public static let traceStateVariable = "TRACESTATE"

    /// The variables that carry `context`'s span to a child process:
    /// `TRACEPARENT`, and `TRACESTATE` when the trace has state. Empty when
    /// the context has no span.
    public static func variables(for context: ServiceContext? = ServiceContext.current) -> [String: String] {
        var variables: [String: String] = [:]
        if let context { W3CTraceContext.inject(context, into: &variables, using: EnvironmentInjector()) }
        return variables
    }

    /// A context whose span is the remote parent named by `environment`'s
    /// `TRACEPARENT` (and `TRACESTATE`); nil when `TRACEPARENT` is absent or
    /// invalid (an invalid value is ignored, as W3C requires).
    public static func context(from environment: [String: String]) -> ServiceContext? {
        var context = ServiceContext.topLevel
        W3CTraceContext.extract(environment, into: &context, using: EnvironmentExtractor())
        return context.telemetrySpan == nil ? nil : context
    }

    /// ``context(from:)`` for this process's own environment, read once at the call.
    public static func inheritedContext() -> ServiceContext? {
        var environment: [String: String] = [:]
        for name in [traceParentVariable, traceStateVariable] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return context(from: environment)
    }

    /// Runs `body` inside ``inheritedContext()`` when this process was given
    /// a valid `TRACEPARENT` (else as it is): everything traced in the body,
    /// child tasks included, joins the parent process's trace.
    ///
    /// ```swift
    /// @main struct Agent {
    ///     static func main() async throws {
    ///         try await TraceEnvironment.withInheritedContext { try await serve() }
    ///     }
    /// }
    /// ```
    public static func withInheritedContext<T>(isolation: isolated (any Actor)? = #isolation,
                                               _ body: () async throws -> T) async rethrows -> T {
        guard let context = inheritedContext() else { return try await body() }
        return try await ServiceContext.withValue(context) { try await body() }
    }

    /// Writes context values into an environment dictionary, naming them in
    /// upper case (`traceparent` → `TRACEPARENT`).
    public struct EnvironmentInjector: Injector {
        /// An environment.
        public typealias Carrier = [String: String]
        /// An injector.
        public init() {}
        /// Sets the variable named `key` in upper case.
        public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key.uppercased()] = value
        }
    }

    /// Reads context values from an environment dictionary by their
    /// upper-case names (`traceparent` → `TRACEPARENT`).
    public struct EnvironmentExtractor: Extractor {
        /// An environment.
        public typealias Carrier = [String: String]
        /// An extractor.
        public init() {}
        /// The variable named `key` in upper case.
        public func extract(key: String, from carrier: [String: String]) -> String? {
            carrier[key.uppercased()]
        }
    }
}
