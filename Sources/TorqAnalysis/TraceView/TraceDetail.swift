/// How much of each record a ``TraceBuilder`` reads.
public enum TraceDetail: Sendable, Hashable {
    /// Everything: attributes, span events (`attributes.events`), and each
    /// record as an event of its span. What JSON, SVG, HTML and the text
    /// renderer's events and details need.
    case full
    /// What the span tree needs, read with simdjson without decoding the
    /// rest: names, kinds, statuses, times, ids, error messages, and the
    /// summary's counts, tokens, tools and failures. Attributes and events
    /// are left empty (span events are not read). About three times faster.
    case tree
}
