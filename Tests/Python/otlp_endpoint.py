#!/usr/bin/env python3
"""An OTLP/HTTP endpoint built on the official protobuf messages (the
opentelemetry-proto package), for the tests of `torqlog forward`.

    otlp_endpoint.py serve [--upstream URL] [--bursts PERIOD:BURST] [--status CODE]
        Listens on 127.0.0.1 (a free port) and prints "listening on PORT".
        POST /v1/traces and /v1/logs: the body must be gzip (Content-Encoding)
        protobuf (Content-Type application/x-protobuf); it is decoded with
        ExportTraceServiceRequest / ExportLogsServiceRequest and every span and
        log record is checked (id lengths, times) and kept.
        --bursts P:B  of every P requests, the first B are answered 503 with
                      Retry-After: 1 (nothing kept);
        --status C    every request is answered C (nothing kept);
        --upstream U  a request this endpoint accepts is passed on to U (same
                      path, headers and body) and U's answer is returned.
        GET /received: JSON {requests, statuses, spans: {span_id: {...}},
        span_copies, logs: [event ids, as often as received], errors}.

    otlp_endpoint.py check RECEIVED.json TRACE.json...
        For every span of each `torqlog trace --format json` document (recorded
        or derived from events; parents never recorded are not sent), checks
        that a span with its id was received with the same trace id, parent,
        start, end (the start while open) and status. Prints JSON {checked,
        mismatches}; exit status 1 on any mismatch.

Exit status 77 (and "SKIP: ...") when opentelemetry-proto is missing.
"""
import gzip
import json
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
except ImportError as error:  # pragma: no cover
    print("SKIP: opentelemetry-proto is not installed (pip install opentelemetry-proto): %s" % error, flush=True)
    sys.exit(77)

STATE = {"requests": 0, "statuses": {}, "spans": {}, "span_copies": 0, "logs": [], "errors": []}
LOCK = threading.Lock()
OPTIONS = {"upstream": None, "bursts": None, "status": None}


def attributes(kvs):
    out = {}
    for kv in kvs:
        which = kv.value.WhichOneof("value")
        if which == "array_value":
            out[kv.key] = [getattr(v, v.WhichOneof("value")) for v in kv.value.array_value.values if v.WhichOneof("value")]
        elif which:
            out[kv.key] = getattr(kv.value, which)
    return out


def keep_traces(request):
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                where = "span %s" % span.span_id.hex()
                if len(span.trace_id) != 16 or len(span.span_id) != 8 or len(span.parent_span_id) not in (0, 8):
                    STATE["errors"].append("%s: id of the wrong length" % where)
                if span.end_time_unix_nano < span.start_time_unix_nano:
                    STATE["errors"].append("%s: ends before it starts" % where)
                attrs = attributes(span.attributes)
                entry = {"trace_id": span.trace_id.hex(), "parent_span_id": span.parent_span_id.hex() or None,
                         "start": str(span.start_time_unix_nano), "end": str(span.end_time_unix_nano),
                         "status": int(span.status.code), "name": span.name, "open": bool(attrs.get("torq.span.open", False)),
                         "derived": attrs.get("torq.span.derived"), "event_ids": attrs.get("torq.event.ids")}
                key = span.span_id.hex()
                if key in STATE["spans"]:
                    STATE["span_copies"] += 1
                    if STATE["spans"][key]["open"] or not entry["open"]:
                        STATE["spans"][key] = entry
                else:
                    STATE["spans"][key] = entry


def keep_logs(request):
    for rl in request.resource_logs:
        for sl in rl.scope_logs:
            for record in sl.log_records:
                attrs = attributes(record.attributes)
                if record.time_unix_nano == 0:
                    STATE["errors"].append("log record without a time")
                STATE["logs"].append(attrs.get("torq.event.id"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with LOCK:
            STATE["statuses"][str(code)] = STATE["statuses"].get(str(code), 0) + 1

    def do_GET(self):
        if self.path == "/received":
            with LOCK:
                body = json.dumps(STATE).encode()
            self.answer(200, body, [("Content-Type", "application/json")])
        else:
            self.answer(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        with LOCK:
            STATE["requests"] += 1
            number = STATE["requests"]
        if OPTIONS["status"]:
            return self.answer(OPTIONS["status"], b"refused by the test endpoint", [("Content-Type", "text/plain")])
        if OPTIONS["bursts"]:
            period, burst = OPTIONS["bursts"]
            if (number - 1) % period < burst:
                return self.answer(503, b"", [("Retry-After", "1")])
        if self.headers.get("Content-Encoding") != "gzip":
            with LOCK:
                STATE["errors"].append("request %d: not gzip" % number)
            return self.answer(400)
        if self.headers.get("Content-Type") != "application/x-protobuf":
            with LOCK:
                STATE["errors"].append("request %d: content type %s" % (number, self.headers.get("Content-Type")))
        try:
            body = gzip.decompress(raw)
            if self.path == "/v1/traces":
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                response = ExportTraceServiceResponse()
            elif self.path == "/v1/logs":
                request = ExportLogsServiceRequest()
                request.ParseFromString(body)
                response = ExportLogsServiceResponse()
            else:
                return self.answer(404)
        except Exception as error:  # a body that does not decode is the test's failure
            with LOCK:
                STATE["errors"].append("request %d: %s" % (number, error))
            return self.answer(400)
        if OPTIONS["upstream"]:
            forwarded = urllib.request.Request(OPTIONS["upstream"] + self.path, data=raw, method="POST")
            for k in ("Content-Type", "Content-Encoding", "Authorization"):
                if self.headers.get(k):
                    forwarded.add_header(k, self.headers.get(k))
            try:
                with urllib.request.urlopen(forwarded, timeout=60) as reply:
                    code, answer = reply.status, reply.read()
            except urllib.error.HTTPError as error:
                code, answer = error.code, error.read()
            except Exception:
                code, answer = 502, b""
            if code != 200:
                return self.answer(code, answer)
        with LOCK:
            if self.path == "/v1/traces":
                keep_traces(request)
            else:
                keep_logs(request)
        self.answer(200, response.SerializeToString(), [("Content-Type", "application/x-protobuf")])


def serve(args):
    i = 0
    while i < len(args):
        if args[i] == "--upstream":
            OPTIONS["upstream"] = args[i + 1].rstrip("/")
        elif args[i] == "--bursts":
            period, burst = args[i + 1].split(":")
            OPTIONS["bursts"] = (int(period), int(burst))
        elif args[i] == "--status":
            OPTIONS["status"] = int(args[i + 1])
        i += 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


def check(received_path, trace_paths):
    received = json.load(open(received_path))["spans"]
    status = {"unset": 0, "ok": 1, "error": 2}
    checked, mismatches = 0, []
    for path in trace_paths:
        document = json.load(open(path))
        for span in document["spans"]:
            if span["source"] == "unrecorded":
                continue
            checked += 1
            got = received.get(span["span_id"])
            if got is None:
                mismatches.append("%s: span %s not received" % (path, span["span_id"]))
                continue
            start = span["start_unix_nano"]
            want = {"trace_id": span["trace_id"], "parent_span_id": span["parent_span_id"], "start": start,
                    "end": span["end_unix_nano"] or start, "status": status[span["status"]]}
            for key, value in want.items():
                if got[key] != value:
                    mismatches.append("%s: span %s: %s %r, trace says %r" % (path, span["span_id"], key, got[key], value))
    print(json.dumps({"checked": checked, "mismatches": mismatches[:50]}))
    return 1 if mismatches else 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3:]))
    else:
        print(__doc__)
        sys.exit(64)
