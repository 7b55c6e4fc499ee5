import Tracing
import TorqCollector
import TorqJSON

/// A swift-distributed-tracing `Tracer` that writes its spans into a
/// ``TelemetryCollector``: each span's start and end become `span_start` and
/// `span_end` events of the collector's store (see ``CollectorSpan``), with the
/// `run_id` and `session_id` of the context they were started in.
///
/// Bootstrap it once, and every library instrumented with swift-distributed-tracing
/// (`withSpan`, `startSpan`) records its spans into torqlog:
///
/// ```swift
/// let collector = try TelemetryCollector(configuration: TelemetryConfiguration(storage: .store(directory: "/var/lib/agent/torqlog")))
/// InstrumentationSystem.bootstrap(TorqTracer(collector: collector))
///
/// try await withSpan("fetch_page") { span in
///     span.attributes["url"] = "https://example.com"
///     try await fetch()
/// }   // span_start and span_end are in the store; a thrown error makes status "error"
/// ```
///
/// A span started while the task's context has a span (``ServiceContext/telemetrySpan``)
/// becomes its child; otherwise it starts a new trace. Across processes the
/// tracer propagates W3C Trace Context (`traceparent`, `tracestate`) with
/// `inject` and `extract`, for example into ``HeaderDictionaryInjector``'s headers.
public struct TorqTracer: Tracer {
    /// The span type: ``CollectorSpan``.
    public typealias Span = CollectorSpan

    /// Where the spans are written.
    public let collector: TelemetryCollector
    /// The `session_id` of spans started outside any session (a context without
    /// ``ServiceContext/telemetrySessionID``).
    public let sessionID: String

    /// A tracer writing to `collector`; spans outside a session get `sessionID`
    /// (by default one random id per process, ``processSessionID``).
    public init(collector: TelemetryCollector, sessionID: String = TorqTracer.processSessionID) {
        self.collector = collector
        self.sessionID = sessionID
    }

    /// This process's default session id: `session-` and 16 random hex digits, fixed for the process.
    public static let processSessionID = "session-" + HexDigits.string(TraceIdentifiers.next())

    /// Starts a span named `operationName` as a child of `context`'s span (or
    /// as the root of a new trace), and records its `span_start`.
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> CollectorSpan {
        start(operationName, in: context(), kind: kind, at: Int64(clamping: instant().nanosecondsSinceEpoch))
    }

    /// The span start shared by the `Tracer` API and ``TelemetryIntegration``.
    func start(_ name: String, in parent: ServiceContext, kind: SpanKind = .internal,
               at nanoseconds: Int64 = TelemetryCollector.wallClockNanoseconds()) -> CollectorSpan {
        start(name, in: parent, telemetry: parent.telemetry, kind: kind, at: nanoseconds)
    }

    /// A span start where torqlog's values of `parent` are given (`telemetry`), not looked up.
    func start(_ name: String, in parent: ServiceContext, telemetry: TelemetryContext?, kind: SpanKind = .internal,
               at nanoseconds: Int64 = TelemetryCollector.wallClockNanoseconds()) -> CollectorSpan {
        let spanContext: TelemetrySpanContext
        if let parentSpan = telemetry?.span {
            spanContext = parentSpan.child(spanID: TraceIdentifiers.spanID())
        } else {
            spanContext = TelemetrySpanContext(traceID: TraceIdentifiers.traceID(), spanID: TraceIdentifiers.spanID())
        }
        return CollectorSpan(name: name, kind: kind, spanContext: spanContext, parentContext: parent, parentTelemetry: telemetry,
                        startNanoseconds: nanoseconds, collector: collector, sessionID: telemetry?.sessionID ?? sessionID,
                        runID: telemetry?.runID?.rawValue)
    }

    /// Writes everything recorded so far (``TelemetryCollector/flush()``).
    public func forceFlush() {
        collector.flush()
    }

    /// Reads `traceparent` and `tracestate` from `carrier` into `context`: its
    /// span becomes the remote caller's span, the parent of the spans started
    /// in it. An absent or invalid `traceparent` (W3C rules, ``TraceParent``)
    /// leaves `context` as it was.
    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        W3CTraceContext.extract(carrier, into: &context, using: extractor)
    }

    /// Writes `traceparent` (and `tracestate`) naming `context`'s span into
    /// `carrier`; nothing when the context has no span.
    public func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        W3CTraceContext.inject(context, into: &carrier, using: injector)
    }
}
