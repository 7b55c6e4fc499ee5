import Tracing

/// Reads trace context from a `[String: String]` of HTTP headers, for
/// `Instrument.extract`. Header names match in any letter case
/// (`Traceparent`, `TRACEPARENT`), as HTTP requires.
///
/// ```swift
/// var context = ServiceContext.topLevel
/// tracer.extract(request.headers, into: &context, using: HeaderDictionaryExtractor())
/// try await ServiceContext.withValue(context) { try await handle(request) }   // spans join the caller's trace
/// ```
public struct HeaderDictionaryExtractor: Extractor {
    /// A header dictionary.
    public typealias Carrier = [String: String]

    /// An extractor.
    public init() {}

    /// The value of header `key`, whatever the letter case of its name.
    public func extract(key: String, from carrier: [String: String]) -> String? {
        if let value = carrier[key] { return value }
        let wanted = key.lowercased()
        return carrier.first { $0.key.lowercased() == wanted }?.value
    }
}
