import TorqEvents
/// The identity of the current span as it travels with a task in its
/// `ServiceContext` (``ServiceContextModule/ServiceContext/telemetrySpan``) and, across processes, as
/// W3C `traceparent` / `tracestate`.
///
/// Spans started while this is the context's span become its children: same
/// ``traceID``, parent span ``spanID``, the same ``sampled`` flag and ``traceState``.
///
/// ```swift
/// if let span = ServiceContext.current?.telemetrySpan {
///     print("trace \(span.traceID), span \(span.spanID), traceparent \(span.traceParent)")
/// }
/// ```
public struct TelemetrySpanContext: Sendable, Hashable {
    /// The trace the span belongs to.
    public var traceID: TraceID
    /// The span's own id.
    public var spanID: SpanID
    /// The span's parent, when it has one (nil for a root span and for a
    /// span received from another process, whose parent is unknown here).
    public var parentSpanID: SpanID?
    /// The W3C trace flags; bit 0 is ``sampled``.
    public var traceFlags: UInt8
    /// Vendor state received with the trace, passed on unchanged.
    public var traceState: TraceState?
    /// True for a span of another process (extracted from `traceparent`).
    public var isRemote: Bool

    /// A span context with these values.
    public init(traceID: TraceID, spanID: SpanID, parentSpanID: SpanID? = nil, traceFlags: UInt8 = 1,
                traceState: TraceState? = nil, isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// The remote span a `traceparent` (and `tracestate`) names: the parent of
    /// the spans this process starts for that request.
    public init(remote parent: TraceParent, traceState: TraceState? = nil) {
        self.init(traceID: parent.traceID, spanID: parent.parentID, parentSpanID: nil,
                  traceFlags: parent.flags, traceState: traceState, isRemote: true)
    }

    /// Whether the trace is sampled (bit 0 of ``traceFlags``). torqlog records
    /// every span regardless (its collector samples by run, see
    /// ``TelemetryConfiguration/samplingRate``); the flag is carried so that
    /// downstream services see the caller's decision.
    public var sampled: Bool {
        get { traceFlags & 1 == 1 }
        set { traceFlags = newValue ? traceFlags | 1 : traceFlags & ~1 }
    }

    /// The `traceparent` naming this span as the parent (version 00).
    public var traceParent: TraceParent {
        TraceParent(traceID: traceID, parentID: spanID, flags: traceFlags)
    }

    /// A new child of this span, with a fresh span id. Flags other than
    /// `sampled` are not passed on (W3C: unknown flags are cleared).
    func child(spanID: SpanID) -> TelemetrySpanContext {
        TelemetrySpanContext(traceID: traceID, spanID: spanID, parentSpanID: self.spanID, traceFlags: traceFlags & 1,
                             traceState: traceState, isRemote: false)
    }
}
