/// Why the collector did not keep an event it was given.
public enum DropReason: String, Sendable, CaseIterable, Hashable {
    /// Not in the sample (``TelemetryConfiguration/samplingRate``).
    case sampled
    /// Over ``TelemetryConfiguration/maxEventsPerHour``.
    case rateLimited = "rate_limited"
    /// The queue was full (``TelemetryConfiguration/OverflowPolicy/dropNewest``).
    case queueFull = "queue_full"
    /// The sink kept failing until shutdown gave up, or the event could not be
    /// written at all (for example, larger than the store's record limit).
    case sinkError = "sink_error"
    /// Recorded after `shutdown()` began.
    case shutdown
    /// Recorded while ``TelemetryConfiguration/enabled`` is false.
    case disabled
    /// A `TelemetryEvent` type defined outside this module: the collector
    /// stores the schema's seven event types only.
    case unsupportedEvent = "unsupported_event"
}
