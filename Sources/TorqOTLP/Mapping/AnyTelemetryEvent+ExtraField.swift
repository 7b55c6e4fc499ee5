import TorqEvents
import TorqJSON

extension AnyTelemetryEvent {
    /// The event with a top-level field the typed struct has no property for
    /// (a failed call's `error_message`): written after the known fields.
    func withExtraField(_ key: String, _ value: TelemetryValue) -> AnyTelemetryEvent {
        switch self {
        case .agentRun(var e): e.header.extraFields[key] = value; return .agentRun(e)
        case .toolExecution(var e): e.header.extraFields[key] = value; return .toolExecution(e)
        case .modelInteraction(var e): e.header.extraFields[key] = value; return .modelInteraction(e)
        case .memoryOperation(var e): e.header.extraFields[key] = value; return .memoryOperation(e)
        case .routingDecision(var e): e.header.extraFields[key] = value; return .routingDecision(e)
        case .spanStart(var e): e.header.extraFields[key] = value; return .spanStart(e)
        case .spanEnd(var e): e.header.extraFields[key] = value; return .spanEnd(e)
        }
    }
}
