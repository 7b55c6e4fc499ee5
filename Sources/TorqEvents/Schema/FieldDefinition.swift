/// One field of the event schema: its name, the shape of its value, how much
/// it is needed, and where it goes in OpenTelemetry.
public struct FieldDefinition: Sendable, Hashable {
    /// The top-level JSON key, e.g. `prompt_tokens`.
    public let name: String
    /// The shape its value must have.
    public let kind: FieldKind
    /// Whether the compliance rule requires it.
    public let requirement: FieldRequirement
    /// One sentence saying what the field holds.
    public let summary: String
    /// Where the field goes in the OpenTelemetry GenAI semantic conventions
    /// (an attribute name such as `gen_ai.request.model`, or a span property
    /// such as "span duration"); `torq.*` where no convention exists.
    public let openTelemetry: String

    /// A field definition.
    public init(_ name: String, _ kind: FieldKind, _ requirement: FieldRequirement,
                _ summary: String, openTelemetry: String) {
        self.name = name
        self.kind = kind
        self.requirement = requirement
        self.summary = summary
        self.openTelemetry = openTelemetry
    }

    /// The definition of `field` (named by its ``EventField/key``).
    public init(_ field: EventField, _ kind: FieldKind, _ requirement: FieldRequirement,
                _ summary: String, openTelemetry: String) {
        self.init(field.key, kind, requirement, summary, openTelemetry: openTelemetry)
    }
}
