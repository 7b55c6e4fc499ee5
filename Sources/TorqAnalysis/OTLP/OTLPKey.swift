/// The keys of OTLP's JSON that are spelled like fields of the event schema
/// (`name`, `kind`, `attributes`, `status`). They are OpenTelemetry's, not the
/// schema's: renaming a field must not rename them. This file is where they
/// are spelled (the test of field-name literals allows it by name).
enum OTLPKey {
    /// A span's, span event's or instrumentation scope's `name`.
    static let name = "name"
    /// A span's `kind`.
    static let kind = "kind"
    /// The `attributes` of a span, span event, link, log record or resource.
    static let attributes = "attributes"
    /// A span's `status`.
    static let status = "status"
}
