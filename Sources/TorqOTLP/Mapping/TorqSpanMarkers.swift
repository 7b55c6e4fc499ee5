import TorqAnalysis
import TorqEvents
import TorqJSON

/// The attributes torqlog adds to the spans it writes (``OTLPItemStream/Marker``),
/// read back, and taken out of the span's attributes.
struct TorqSpanMarkers {
    /// `torq.span.open`: the span had not ended when sent; its end time is a placeholder.
    var open = false
    /// `torq.span.start_derived`: no `span_start` was recorded.
    var startDerived = false
    /// `torq.span.derived`: made from records carrying its span id.
    var derived: String?
    /// `torq.event.ids` present: the records naming the span travel as log records alongside it.
    var recordsTravelAsLogs = false
    /// `torq.span.start_event_id`, `torq.span.end_event_id`.
    var startEventID: String?
    var endEventID: String?
    /// `torq.span.kind`: the recorded kind, none of OpenTelemetry's.
    var kind: String?

    /// A span made from records alone whose records travel as log records: nothing of its own to store.
    var derivedFromLoggedRecords: Bool { derived != nil && recordsTravelAsLogs }

    init(taking attributes: inout [String: TelemetryValue]) {
        typealias M = OTLPItemStream.Marker
        if case .bool(let b)? = attributes.removeValue(forKey: M.open) { open = b }
        if case .bool(let b)? = attributes.removeValue(forKey: M.startDerived) { startDerived = b }
        if case .string(let s)? = attributes.removeValue(forKey: M.derived) { derived = s }
        if attributes.removeValue(forKey: M.eventIDs) != nil { recordsTravelAsLogs = true }
        if case .string(let s)? = attributes.removeValue(forKey: M.startEventID), !s.isEmpty { startEventID = s }
        if case .string(let s)? = attributes.removeValue(forKey: M.endEventID), !s.isEmpty { endEventID = s }
        if case .string(let s)? = attributes.removeValue(forKey: M.kind), !s.isEmpty { kind = s }
    }
}
