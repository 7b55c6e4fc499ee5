// The umbrella of torqlog's user-facing telemetry modules: `import TorqTelemetry`
// gives an agent the event schema (TorqEvents), the collector (TorqCollector),
// tracing and the integration facade (TorqTracing), the PII filter
// (TorqPrivacy), the views of a store (TorqAnalysis), and the store itself
// (TorqLogStore: its durability policies, readers and writer). Each can also
// be imported on its own.
@_exported import TorqAnalysis
@_exported import TorqCollector
@_exported import TorqEvents
@_exported import TorqLogStore
@_exported import TorqPrivacy
@_exported import TorqTracing
