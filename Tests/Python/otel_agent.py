#!/usr/bin/env python3
"""A small agent instrumented with the official OpenTelemetry Python SDK, for ServeTests.

It runs RUNS agent runs, each one trace of GenAI spans (semantic conventions for
generative AI):

    invoke_agent AGENT                 gen_ai.operation.name=invoke_agent, gen_ai.agent.name
      chat MODEL                       gen_ai.operation.name=chat, gen_ai.request.model, gen_ai.usage.*
      execute_tool TOOL                gen_ai.operation.name=execute_tool, gen_ai.tool.name
      retrieve context                 no gen_ai attributes: a plain span
      chat MODEL                       (as above)

and exports them to ENDPOINT/v1/traces over OTLP/HTTP, protobuf with gzip, through a
BatchSpanProcessor with small batches (so that each process sends several requests).
Each chat call also emits a GenAI log event (`gen_ai.client.inference.operation.details`,
in the chat span's context, so with its trace and span id) through the SDK's
LoggerProvider and OTLPLogExporter to ENDPOINT/v1/logs (protobuf, gzip): the
receiver must store it as an event without a second typed event for the call.
At the end it flushes and shuts the provider down, then prints on stdout, as one JSON
object, what it sent: the trace ids (lowercase hex) with their span ids and tokens, the span count,
the calls and tokens per model, the calls per tool, the agent runs, and how many spans
the exporter reported as exported. Exit status 1 when an export failed.

Usage: otel_agent.py ENDPOINT AGENT_INDEX RUNS
"""

import json
import random
import sys

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

MODELS = ["gpt-4o", "claude-sonnet-4", "gemini-2.5-pro"]
TOOLS = ["web_search", "calculator", "read_file"]


class CountingExporter(SpanExporter):
    """Passes spans to the OTLP exporter and counts what it reports as exported."""

    def __init__(self, inner):
        self.inner = inner
        self.exported = 0
        self.failures = 0

    def export(self, spans):
        result = self.inner.export(spans)
        if result == SpanExportResult.SUCCESS:
            self.exported += len(spans)
        else:
            self.failures += 1
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def main():
    endpoint, index, runs = sys.argv[1].rstrip("/"), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(1000 + index)
    exporter = CountingExporter(OTLPSpanExporter(endpoint=endpoint + "/v1/traces", compression=Compression.Gzip, timeout=10))
    provider = TracerProvider(resource=Resource.create({"service.name": f"otel-agent-{index}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=20, max_export_batch_size=16))
    tracer = provider.get_tracer("torqlog.tests.otel_agent")
    log_provider = LoggerProvider(resource=Resource.create({"service.name": f"otel-agent-{index}"}))
    log_provider.add_log_record_processor(BatchLogRecordProcessor(
        OTLPLogExporter(endpoint=endpoint + "/v1/logs", compression=Compression.Gzip, timeout=10),
        schedule_delay_millis=20, max_export_batch_size=16))
    event_logger = log_provider.get_logger("torqlog.tests.otel_agent")
    log_records = 0

    traces = {}
    models = {}
    tools = {}
    agents = 0
    spans = 0

    def note(span):
        nonlocal spans
        spans += 1
        context = span.get_span_context()
        trace = traces.setdefault(format(context.trace_id, "032x"), {"span_ids": [], "input_tokens": 0, "output_tokens": 0})
        trace["span_ids"].append(format(context.span_id, "016x"))
        return trace

    def chat(model):
        inp, out = rng.randint(10, 2000), rng.randint(1, 500)
        with tracer.start_as_current_span(f"chat {model}") as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.provider.name", "openai")
            span.set_attribute("gen_ai.request.model", model)
            span.set_attribute("gen_ai.usage.input_tokens", inp)
            span.set_attribute("gen_ai.usage.output_tokens", out)
            trace = note(span)
            nonlocal log_records
            event_logger.emit(LogRecord(
                event_name="gen_ai.client.inference.operation.details", severity_number=SeverityNumber.INFO,
                body={"model": model},
                attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                            "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out}))
            log_records += 1
            trace["input_tokens"] += inp
            trace["output_tokens"] += out
        row = models.setdefault(model, {"calls": 0, "input_tokens": 0, "output_tokens": 0})
        row["calls"] += 1
        row["input_tokens"] += inp
        row["output_tokens"] += out

    for run in range(runs):
        agent = f"agent-{index}"
        with tracer.start_as_current_span(f"invoke_agent {agent}") as root:
            root.set_attribute("gen_ai.operation.name", "invoke_agent")
            root.set_attribute("gen_ai.agent.name", agent)
            note(root)
            agents += 1
            chat(rng.choice(MODELS))
            tool = rng.choice(TOOLS)
            with tracer.start_as_current_span(f"execute_tool {tool}") as span:
                span.set_attribute("gen_ai.operation.name", "execute_tool")
                span.set_attribute("gen_ai.tool.name", tool)
                note(span)
            tools[tool] = tools.get(tool, 0) + 1
            with tracer.start_as_current_span("retrieve context") as span:
                span.set_attribute("retrieval.documents", rng.randint(1, 9))
                note(span)
            chat(rng.choice(MODELS))

    flushed = provider.force_flush(30000) and log_provider.force_flush(30000)
    provider.shutdown()
    log_provider.shutdown()
    json.dump({
        "agent": index,
        "traces": traces,
        "spans": spans,
        "models": models,
        "tools": tools,
        "agent_runs": agents,
        "log_records": log_records,
        "exported_spans": exporter.exported,
        "failed_exports": exporter.failures,
        "flushed": flushed,
    }, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0 if flushed and exporter.failures == 0 and exporter.exported == spans else 1


if __name__ == "__main__":
    sys.exit(main())
