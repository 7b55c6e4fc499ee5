import Synchronization
import TorqLogStore
import Tracing
import TorqCollector
import TorqEvents
import TorqJSON

/// A span of ``TorqTracer``: an operation with a start and an end, written
/// to the tracer's collector as two events.
///
/// Starting the span records `span_start` (name, kind, trace id, span id,
/// parent span id, and the `run_id` / `session_id` of the context it was
/// started in); ``end(at:)`` records `span_end` with `duration_ms`, `status`
/// (`ok`, `error`, or `unset` when nothing set it), `error_message`, the
/// span's attributes, and its events as `attributes.events`, an array of
/// `{name, timestamp (RFC 3339), attributes}`. A span that never ends — its
/// task hung, its process crashed — therefore shows as open.
///
/// Like every `Span`, it behaves as a reference: changes made through one
/// copy are seen by all. It is safe to use from any task or thread; calls
/// after `end()` are ignored, and a second `end()` records nothing.
///
/// ```swift
/// let tracer = TorqTracer(collector: collector)
/// let span = tracer.startSpan("load_documents")
/// span.attributes["documents.count"] = 12
/// span.addEvent("cache_miss")
/// span.setStatus(.init(code: .ok))
/// span.end()
/// ```
public final class CollectorSpan: Tracing.Span {
    private struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var status: SpanStatus?
        var lastError: String?
        var ended = false
    }

    /// The span's ids (trace, span, parent) and flags.
    public let spanContext: TelemetrySpanContext
    /// What kind of operation the span is.
    public let kind: SpanKind
    /// When the span started, in nanoseconds since the epoch.
    public let startNanoseconds: Int64
    private let parentContext: ServiceContext
    /// torqlog's values in `parentContext`, looked up once.
    private let parentTelemetry: TelemetryContext?
    /// Where the span's events go.
    let collector: TelemetryCollector
    /// The `session_id` of the span's events.
    let sessionID: String
    /// The `run_id` of the span's events.
    let runID: String?
    private let state: Mutex<State>

    /// Starts the span: records its `span_start` event.
    init(name: String, kind: SpanKind, spanContext: TelemetrySpanContext, parentContext: ServiceContext, parentTelemetry: TelemetryContext?,
         startNanoseconds: Int64, collector: TelemetryCollector, sessionID: String, runID: String?) {
        self.spanContext = spanContext
        self.kind = kind
        self.startNanoseconds = startNanoseconds
        self.parentContext = parentContext
        self.parentTelemetry = parentTelemetry
        self.collector = collector
        self.sessionID = sessionID
        self.runID = runID
        state = Mutex(State(name: name))
        let header = EventHeader(eventID: "", timestamp: startNanoseconds, sessionID: sessionID, runID: runID)
        collector.record(AnyTelemetryEvent.spanStart(SpanStartEvent(
            header: header, traceID: spanContext.traceID, spanID: spanContext.spanID,
            parentSpanID: spanContext.parentSpanID, name: name, kind: Self.kindName(kind))))
    }

    /// The context the span was started in, with this span as its current
    /// span: run work inside it (`ServiceContext.withValue(span.context)`) to
    /// make this span the parent of the spans that work starts.
    public var context: ServiceContext {
        var context = parentContext
        let spanContext = self.spanContext
        context.telemetry = (parentTelemetry ?? .empty).with { $0.span = spanContext }
        return context
    }

    /// The span's name (`name` in its events); may be changed until it ends.
    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { s in if !s.ended { s.name = newValue } } }
    }

    /// The span's attributes, written with its `span_end` event.
    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { s in if !s.ended { s.attributes = newValue } } }
    }

    /// True until the span ends.
    public var isRecording: Bool { state.withLock { !$0.ended } }

    /// Sets the status written at the end: `.ok`, or `.error` with an
    /// optional message (written as `error_message`; without one, the last
    /// recorded error's description is used).
    public func setStatus(_ status: SpanStatus) {
        state.withLock { s in if !s.ended { s.status = status } }
    }

    /// Adds an event, written in the end event's `attributes.events`.
    public func addEvent(_ event: SpanEvent) {
        state.withLock { s in if !s.ended { s.events.append(event) } }
    }

    /// Records an error as an `exception` event (`exception.type`,
    /// `exception.message`). It does not change the status by itself; with
    /// `setStatus(.init(code: .error))` its description becomes the `error_message`.
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        let message = String(describing: error)
        var all = attributes
        all["exception.type"] = String(describing: type(of: error))
        all["exception.message"] = message
        let event = SpanEvent(name: "exception", at: instant(), attributes: all)
        state.withLock { s in
            guard !s.ended else { return }
            s.events.append(event)
            s.lastError = message
        }
    }

    /// Adds a link to another span, written in the end event's `attributes.links`
    /// as `{trace_id, span_id, attributes}` (a link whose context has no span is ignored).
    public func addLink(_ link: SpanLink) {
        guard link.context.telemetrySpan != nil else { return }
        state.withLock { s in if !s.ended { s.links.append(link) } }
    }

    /// Ends the span at `instant` and records its `span_end` event. Later calls do nothing.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let endNanoseconds = Int64(clamping: instant().nanosecondsSinceEpoch)
        let finished: State? = state.withLock { s in
            guard !s.ended else { return nil }
            // Move the state out rather than copy it; keep the name for readers.
            var taken = State(name: s.name)
            swap(&taken, &s)
            s.ended = true
            return taken
        }
        guard let finished else { return }
        var status = "unset"
        var errorMessage: String?
        switch finished.status?.code {
        case .ok?: status = "ok"
        case .error?:
            status = "error"
            errorMessage = finished.status?.message ?? finished.lastError ?? "error"
        case nil: break
        }
        var attributes = finished.attributes.isEmpty ? [:] : finished.attributes.telemetryValues
        if !finished.events.isEmpty {
            attributes["events"] = .array(finished.events.map { event in
                .object([EventField.name.key: .string(event.name),
                         EventField.timestamp.key: .string(Self.timestamp(event.nanosecondsSinceEpoch)),
                         EventField.attributes.key: .object(event.attributes.telemetryValues)])
            })
        }
        if !finished.links.isEmpty {
            attributes["links"] = .array(finished.links.compactMap { link in
                guard let other = link.context.telemetrySpan else { return nil }
                return .object([EventField.traceID.key: .string(other.traceID.description), EventField.spanID.key: .string(other.spanID.description),
                                EventField.attributes.key: .object(link.attributes.telemetryValues)])
            })
        }
        let duration = Double(max(0, endNanoseconds - startNanoseconds)) / 1_000_000
        let header = EventHeader(eventID: "", timestamp: endNanoseconds, sessionID: sessionID, runID: runID, attributes: attributes)
        collector.record(AnyTelemetryEvent.spanEnd(SpanEndEvent(
            header: header, traceID: spanContext.traceID, spanID: spanContext.spanID, parentSpanID: spanContext.parentSpanID,
            name: finished.name, status: status, durationMs: duration, errorMessage: errorMessage)))
    }

    /// The `kind` written in `span_start`.
    static func kindName(_ kind: SpanKind) -> String {
        switch kind {
        case .internal: "internal"
        case .client: "client"
        case .server: "server"
        case .producer: "producer"
        case .consumer: "consumer"
        }
    }

    /// RFC 3339 UTC, with 9 fraction digits only when there is sub-microsecond precision.
    static func timestamp(_ nanoseconds: UInt64) -> String {
        let ns = Int64(clamping: nanoseconds)
        return RFC3339.format(nanoseconds: ns, fractionDigits: ns % 1000 == 0 ? 6 : 9)
    }
}
