#!/usr/bin/env python3
"""Checks a file of OTLP/JSON lines (torqlog export --format otlp-json) with
the official protobuf definitions (the opentelemetry-proto package).

Every line must be exactly one ExportTraceServiceRequest ({"resourceSpans":...})
or one ExportLogsServiceRequest ({"resourceLogs":...}). OTLP/JSON writes trace
and span ids as hex, where protobuf's JSON mapping expects base64: the script
checks the hex (32 / 16 lowercase digits), converts it, then parses the line
with google.protobuf.json_format.Parse (unknown fields rejected) and checks
what the schema cannot: id lengths, kinds, status codes, start <= end,
severity numbers, unique attribute keys.

Prints one JSON object: lines, trace_lines, log_lines, spans, logs,
open_spans, span_names, errors (a list of "line N: why"). Exit status 0 when
there is no error, 1 otherwise, 77 (and "SKIP: ...") when the module is missing.
"""
import base64
import json
import re
import sys

try:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
except ImportError as error:  # pragma: no cover
    print("SKIP: opentelemetry-proto is not installed (pip install opentelemetry-proto): %s" % error)
    sys.exit(77)

HEX = {"traceId": re.compile(r"^[0-9a-f]{32}$"), "spanId": re.compile(r"^[0-9a-f]{16}$"),
       "parentSpanId": re.compile(r"^[0-9a-f]{16}$")}


def convert_ids(value, errors, where):
    """Hex ids to base64, in place, checking the hex."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in HEX and isinstance(item, str):
                if not HEX[key].match(item) or set(item) == {"0"}:
                    errors.append("%s: %s is not valid hex: %r" % (where, key, item))
                else:
                    value[key] = base64.b64encode(bytes.fromhex(item)).decode("ascii")
            else:
                convert_ids(item, errors, where)
    elif isinstance(value, list):
        for item in value:
            convert_ids(item, errors, where)


def check_attributes(attributes, errors, where):
    keys = [kv.key for kv in attributes]
    if len(keys) != len(set(keys)):
        errors.append("%s: repeated attribute keys" % where)
    if any(not k for k in keys):
        errors.append("%s: empty attribute key" % where)
    return {kv.key: kv.value for kv in attributes}


def main(path):
    summary = {"lines": 0, "trace_lines": 0, "log_lines": 0, "spans": 0, "logs": 0, "open_spans": 0,
               "span_names": [], "event_names": {}, "errors": []}
    errors = summary["errors"]
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            where = "line %d" % number
            summary["lines"] += 1
            try:
                document = json.loads(line)
            except ValueError as error:
                errors.append("%s: not JSON: %s" % (where, error))
                continue
            if not isinstance(document, dict) or len(document) != 1 or next(iter(document)) not in ("resourceSpans", "resourceLogs"):
                errors.append("%s: not exactly one of resourceSpans / resourceLogs: %s" % (where, list(document)[:3]))
                continue
            convert_ids(document, errors, where)
            is_traces = "resourceSpans" in document
            message = ExportTraceServiceRequest() if is_traces else ExportLogsServiceRequest()
            try:
                json_format.Parse(json.dumps(document), message)
            except json_format.ParseError as error:
                errors.append("%s: rejected by the protobuf definitions: %s" % (where, error))
                continue
            if is_traces:
                summary["trace_lines"] += 1
                for resource_spans in message.resource_spans:
                    check_attributes(resource_spans.resource.attributes, errors, where + " resource")
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            summary["spans"] += 1
                            summary["span_names"].append(span.name)
                            w = "%s span %s" % (where, span.span_id.hex())
                            if len(span.trace_id) != 16 or len(span.span_id) != 8:
                                errors.append("%s: id lengths %d/%d" % (w, len(span.trace_id), len(span.span_id)))
                            if span.parent_span_id and len(span.parent_span_id) != 8:
                                errors.append("%s: parent id length %d" % (w, len(span.parent_span_id)))
                            if span.kind not in (1, 2, 3, 4, 5):
                                errors.append("%s: kind %d" % (w, span.kind))
                            if span.start_time_unix_nano == 0 or span.end_time_unix_nano < span.start_time_unix_nano:
                                errors.append("%s: times %d..%d" % (w, span.start_time_unix_nano, span.end_time_unix_nano))
                            if span.status.code not in (0, 1, 2):
                                errors.append("%s: status code %d" % (w, span.status.code))
                            if not span.name:
                                errors.append("%s: no name" % w)
                            attributes = check_attributes(span.attributes, errors, w)
                            if "torq.span.open" in attributes and attributes["torq.span.open"].bool_value:
                                summary["open_spans"] += 1
                                if span.end_time_unix_nano != span.start_time_unix_nano:
                                    errors.append("%s: open span whose end is not its start" % w)
                            for event in span.events:
                                if event.time_unix_nano == 0 or not event.name:
                                    errors.append("%s: span event without time or name" % w)
            else:
                summary["log_lines"] += 1
                for resource_logs in message.resource_logs:
                    check_attributes(resource_logs.resource.attributes, errors, where + " resource")
                    for scope_logs in resource_logs.scope_logs:
                        for record in scope_logs.log_records:
                            summary["logs"] += 1
                            summary["event_names"][record.event_name] = summary["event_names"].get(record.event_name, 0) + 1
                            w = "%s log %d" % (where, summary["logs"])
                            if record.time_unix_nano == 0:
                                errors.append("%s: no time" % w)
                            if record.severity_number not in (9, 17):
                                errors.append("%s: severity %d" % (w, record.severity_number))
                            if record.trace_id and len(record.trace_id) != 16:
                                errors.append("%s: trace id length %d" % (w, len(record.trace_id)))
                            if record.span_id and len(record.span_id) != 8:
                                errors.append("%s: span id length %d" % (w, len(record.span_id)))
                            attributes = check_attributes(record.attributes, errors, w)
                            if "gen_ai.operation.name" not in attributes:
                                errors.append("%s: no gen_ai.operation.name" % w)
    print(json.dumps(summary))
    return 0 if not errors else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check_otlp.py FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
