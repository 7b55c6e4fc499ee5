#!/usr/bin/env python3
"""Writes JSONL for timing `torqlog trace`: one traced run of RUN_EVENTS events
(span_start/span_end pairs for the run and each step, model_interaction,
tool_execution and memory_operation records as leaves in each step)
interleaved with smaller runs up to TOTAL events.

    scripts/gen-trace-bench.py OUT.jsonl [TOTAL=100000] [RUN_EVENTS=17000]

The big run is "run-big". Deterministic (fixed seed).
"""
import json
import random
import sys

out_path = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
big_events = int(sys.argv[3]) if len(sys.argv) > 3 else 17_000
rng = random.Random(42)
T0 = 1_772_366_400_000_000_000  # 2026-03-01T12:00:00Z in ns


def stamp(ns):
    s, frac = divmod(ns, 1_000_000_000)
    import datetime
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (frac // 1000)


def hexid(n):
    return "%0*x" % (n, rng.getrandbits(4 * n) | 1)


def run_events(run_id, count, clock):
    """Yields (time, line) for one traced run of about `count` events."""
    trace, session, root = hexid(32), "sess-" + hexid(8), hexid(16)
    base = {"session_id": session, "run_id": run_id, "trace_id": trace}
    n = 0

    def ev(event_type, t, **fields):
        nonlocal n
        n += 1
        e = {"event_id": "e-%s-%d" % (run_id, n), "event_type": event_type, "timestamp": stamp(t)}
        e.update(base)
        e.update(fields)
        return t, json.dumps(e, separators=(",", ":"))

    start = clock
    yield ev("span_start", clock, span_id=root, name="agent.run " + run_id, kind="server")
    step = 0
    while n < count - 1:
        step += 1
        sid = hexid(16)
        s0 = clock
        yield ev("span_start", clock, span_id=sid, parent_span_id=root, name="step %d" % step, kind="internal")
        rt = rng.randint(50, 900)
        clock += rt * 1_000_000
        p, c = rng.randint(100, 2000), rng.randint(20, 600)
        yield ev("model_interaction", clock, span_id=hexid(16), parent_span_id=sid, model_provider="anthropic",
                 model_name="claude-3-5-sonnet", prompt_tokens=p, completion_tokens=c, total_tokens=p + c,
                 response_time_ms=rt, success=True)
        et = rng.randint(5, 400)
        clock += et * 1_000_000
        ok = rng.random() > 0.03
        yield ev("tool_execution", clock, span_id=hexid(16), parent_span_id=sid, tool_name=rng.choice(["web_search", "sql_query", "file_reader"]),
                 tool_type="search", status="completed" if ok else "failed", execution_time_ms=et, success=ok)
        clock += 2_000_000
        yield ev("memory_operation", clock, span_id=hexid(16), parent_span_id=sid, memory_type="episodic", memory_backend="redis",
                 operation_type="write", operation_time_ms=1.5, success=True, cache_hit=False)
        clock += 1_000_000
        yield ev("span_end", clock, span_id=sid, parent_span_id=root, name="step %d" % step, status="ok" if ok else "error",
                 duration_ms=(clock - s0) / 1e6)
    yield ev("span_end", clock, span_id=root, name="agent.run " + run_id, status="ok", duration_ms=(clock - start) / 1e6)


streams = [run_events("run-big", big_events, T0)]
others = 0
i = 0
while big_events + others < total:
    size = min(rng.randint(30, 400), total - big_events - others)
    streams.append(run_events("run-%04d" % i, max(size, 2), T0 + rng.randint(0, 2400) * 1_000_000_000))
    others += max(size, 2)
    i += 1

# Interleave by time, like concurrent runs writing to one store.
import heapq
merged = heapq.merge(*streams, key=lambda pair: pair[0])
with open(out_path, "w") as out:
    for _, line in merged:
        out.write(line + "\n")
