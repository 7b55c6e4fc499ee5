// The umbrella of torqlog's user-facing telemetry modules: `import TorqTelemetry`
// gives an agent the event schema (TorqEvents), the collector (TorqCollector),
// tracing and the integration facade (TorqTracing), the PII filter
// (TorqPrivacy), and the views of a store (TorqAnalysis). Each can also be
// imported on its own.
@_exported import TorqAnalysis
@_exported import TorqCollector
@_exported import TorqEvents
@_exported import TorqPrivacy
@_exported import TorqTracing
