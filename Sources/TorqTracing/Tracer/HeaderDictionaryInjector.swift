import Tracing

/// Writes trace context into a `[String: String]` of HTTP headers
/// (`traceparent`, `tracestate`), for `Instrument.inject`.
///
/// ```swift
/// var headers: [String: String] = [:]
/// tracer.inject(ServiceContext.current ?? .topLevel, into: &headers, using: HeaderDictionaryInjector())
/// // headers["traceparent"] == "00-<trace id>-<span id>-01"
/// ```
public struct HeaderDictionaryInjector: Injector {
    /// A header dictionary.
    public typealias Carrier = [String: String]

    /// An injector.
    public init() {}

    /// Sets header `key` to `value`, replacing a header of the same name in any letter case.
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        if carrier[key] == nil, let existing = carrier.keys.first(where: { $0.lowercased() == key.lowercased() }) {
            carrier[existing] = nil
        }
        carrier[key] = value
    }
}
