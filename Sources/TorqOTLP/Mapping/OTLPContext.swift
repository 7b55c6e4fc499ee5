import TorqJSON
import TorqOTLPProto

/// What every record of a resource's scope carries: the resource's
/// `service.name` (as attribute `service.name`), all its attributes (as
/// attribute `resource`, an object), and the instrumentation scope's name and
/// version (`otel.scope.name`, `otel.scope.version`).
struct OTLPContext {
    static let serviceNameKey = "service.name"
    static let resourceKey = "resource"
    static let scopeNameKey = "otel.scope.name"
    static let scopeVersionKey = "otel.scope.version"

    /// The attributes added to every record.
    let attributes: [String: TelemetryValue]

    init(resource: Opentelemetry_Proto_Resource_V1_Resource, scope: Opentelemetry_Proto_Common_V1_InstrumentationScope) {
        var attributes: [String: TelemetryValue] = [:]
        let resourceAttributes = OTLPValues.object(resource.attributes)
        if !resourceAttributes.isEmpty { attributes[Self.resourceKey] = .object(resourceAttributes) }
        if let service = resourceAttributes[Self.serviceNameKey] { attributes[Self.serviceNameKey] = service }
        if !scope.name.isEmpty { attributes[Self.scopeNameKey] = .string(scope.name) }
        if !scope.version.isEmpty { attributes[Self.scopeVersionKey] = .string(scope.version) }
        self.attributes = attributes
    }

    /// `attributes` with the context's added (the context wins on a clash).
    func adding(to attributes: [String: TelemetryValue]) -> [String: TelemetryValue] {
        attributes.merging(self.attributes) { _, context in context }
    }
}
