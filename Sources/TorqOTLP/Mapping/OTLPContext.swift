import TorqJSON
import TorqOTLPProto

/// What the records of a resource's scope carry: every record the resource's
/// `service.name` (as attribute `service.name`) and the instrumentation
/// scope's name and version (`otel.scope.name`, `otel.scope.version`); the
/// record that carries a span's or log record's own attributes (a closed
/// span's `span_end`, an open span's `span_start`, a log record's event) also
/// all the resource's attributes (as attribute `resource`, an object), which
/// the other records of the item would only repeat.
struct OTLPContext {
    static let serviceNameKey = "service.name"
    static let resourceKey = "resource"
    static let scopeNameKey = "otel.scope.name"
    static let scopeVersionKey = "otel.scope.version"

    /// The attributes added to the record that carries the item's own attributes.
    let attributes: [String: TelemetryValue]
    /// The attributes added to every other record: `service.name` and the scope.
    let brief: [String: TelemetryValue]

    init(resource: Opentelemetry_Proto_Resource_V1_Resource, scope: Opentelemetry_Proto_Common_V1_InstrumentationScope) {
        var attributes: [String: TelemetryValue] = [:]
        let resourceAttributes = OTLPValues.object(resource.attributes)
        if !resourceAttributes.isEmpty { attributes[Self.resourceKey] = .object(resourceAttributes) }
        if let service = resourceAttributes[Self.serviceNameKey] { attributes[Self.serviceNameKey] = service }
        if !scope.name.isEmpty { attributes[Self.scopeNameKey] = .string(scope.name) }
        if !scope.version.isEmpty { attributes[Self.scopeVersionKey] = .string(scope.version) }
        self.attributes = attributes
        var brief = attributes
        brief[Self.resourceKey] = nil
        self.brief = brief
    }

    /// `attributes` with the context's added (the context wins on a clash).
    func adding(to attributes: [String: TelemetryValue]) -> [String: TelemetryValue] {
        attributes.merging(self.attributes) { _, context in context }
    }

    /// `attributes` with ``brief`` added (the context wins on a clash).
    func addingBrief(to attributes: [String: TelemetryValue]) -> [String: TelemetryValue] {
        attributes.isEmpty ? brief : attributes.merging(brief) { _, context in context }
    }
}
