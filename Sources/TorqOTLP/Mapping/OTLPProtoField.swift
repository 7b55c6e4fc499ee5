/// Names of OTLP's own protobuf fields, for rejection messages. Some are
/// spelled like torqlog's event fields; they are OpenTelemetry's names, and
/// must not follow a renamed event field.
enum OTLPProtoField {
    static let traceID = "trace_id"
    static let spanID = "span_id"
    static let parentSpanID = "parent_span_id"
}
