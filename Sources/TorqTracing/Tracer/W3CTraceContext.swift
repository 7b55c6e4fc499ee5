import Tracing

/// W3C Trace Context propagation over any carrier: `traceparent` and
/// `tracestate` in, a ``TelemetrySpanContext`` out, and back.
enum W3CTraceContext {
    static let traceParentKey = "traceparent"
    static let traceStateKey = "tracestate"

    /// Sets `context`'s span to the remote span named by the carrier's
    /// `traceparent` (and `tracestate`). An absent or invalid `traceparent`
    /// leaves `context` unchanged; an invalid `tracestate` is dropped.
    static func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: traceParentKey, from: carrier), let parent = TraceParent(header) else { return }
        let state = extractor.extract(key: traceStateKey, from: carrier).flatMap { TraceState($0) }
        context.telemetrySpan = TelemetrySpanContext(remote: parent, traceState: state)
    }

    /// Writes `traceparent` (and `tracestate`, when there is one) naming the
    /// context's span; writes nothing when the context has no span.
    static func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject.Carrier == Carrier {
        guard let span = context.telemetrySpan else { return }
        injector.inject(span.traceParent.description, forKey: traceParentKey, into: &carrier)
        if let state = span.traceState { injector.inject(state.description, forKey: traceStateKey, into: &carrier) }
    }
}
