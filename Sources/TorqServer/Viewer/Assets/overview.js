// /overview: the store's figures (/api/summary, what `torqlog telemetry --format json`
// prints) as cards, tables and small bar charts drawn here as SVG; the compliance
// score with the fields that fail (/api/compliance, as `torqlog compliance --format json`);
// the store's facts (/api/store: segments, bytes on disk, compression, retention);
// the events over time (/api/timeline, from the run summaries).
import { el, svg, replace, getJSON, notice, duration, count, percent, time } from "./common.js";

const status = document.getElementById("status");

/**
 * A horizontal bar chart: one row per item, bars proportional to `value(item)`.
 * `series` gives one or more bars per row ({ value, label, className }).
 */
function barChart(title, items, name, series, format) {
  if (!items.length) return el("p", { class: "muted" }, "none");
  const ROW = 22 * series.length + 6;
  const LABEL = 220;
  const WIDTH = 420;
  const max = Math.max(...items.flatMap((item) => series.map((s) => s.value(item) ?? 0)), 0) || 1;
  const chart = svg("svg", { width: LABEL + WIDTH + 110, height: items.length * ROW + 4, role: "img", "aria-label": title });
  chart.append(svg("title", {}, title));
  items.forEach((item, row) => {
    const y = row * ROW;
    const label = name(item);
    chart.append(svg("text", { x: LABEL - 8, y: y + 15, "text-anchor": "end" }, label.length > 32 ? label.slice(0, 31) + "…" : label));
    series.forEach((s, k) => {
      const value = s.value(item) ?? 0;
      const yy = y + k * 22;
      chart.append(svg("rect", { class: "bar " + (s.className ?? ""), x: LABEL, y: yy + 3, width: Math.max(1, (value / max) * WIDTH), height: 16, rx: 2 }),
        svg("text", { class: "value", x: LABEL + (value / max) * WIDTH + 6, y: yy + 15 }, (s.label ? s.label + " " : "") + format(s.value(item))));
    });
  });
  // The same figures as a table, for screen readers and for copying.
  const table = el("table", { class: "grid visually-hidden" },
    el("thead", {}, el("tr", {}, el("th", {}, "name"), series.map((s) => el("th", {}, s.label ?? "value")))),
    el("tbody", {}, items.map((item) => el("tr", {}, el("td", {}, name(item)), series.map((s) => el("td", {}, format(s.value(item))))))));
  return el("div", {}, chart, table);
}

/**
 * A column chart of the events over time (/api/timeline): one column per bucket,
 * its failures in the error colour at its foot; a time axis below.
 */
function timelineChart(timeline) {
  const buckets = timeline.buckets ?? [];
  if (!buckets.length) return el("p", { class: "muted" }, "No event has a time yet.");
  const WIDTH = 760, HEIGHT = 140, LEFT = 56, BOTTOM = 22;
  const step = WIDTH / buckets.length;
  const max = Math.max(...buckets.map((b) => b.events), 1);
  const width = timeline.bucket_seconds >= 86400 ? `${timeline.bucket_seconds / 86400} d`
    : timeline.bucket_seconds >= 3600 ? `${timeline.bucket_seconds / 3600} h` : `${timeline.bucket_seconds / 60} min`;
  const title = `Events per ${width}, ${buckets[0].start} to ${buckets[buckets.length - 1].start}`;
  const chart = svg("svg", { width: LEFT + WIDTH + 8, height: HEIGHT + BOTTOM + 4, role: "img", "aria-label": title });
  chart.append(svg("title", {}, title),
    svg("text", { class: "value", x: LEFT - 6, y: 12, "text-anchor": "end" }, count(max)),
    svg("text", { class: "value", x: LEFT - 6, y: HEIGHT, "text-anchor": "end" }, "0"),
    svg("line", { class: "axis", x1: LEFT, y1: HEIGHT + 0.5, x2: LEFT + WIDTH, y2: HEIGHT + 0.5 }));
  buckets.forEach((b, k) => {
    const x = LEFT + k * step;
    const h = (b.events / max) * (HEIGHT - 4);
    const e = (b.errors / max) * (HEIGHT - 4);
    const column = svg("g", { class: "column" },
      svg("title", {}, `${b.start}: ${count(b.events)} events, ${count(b.errors)} errors`),
      svg("rect", { class: "bar", x: x + 0.5, y: HEIGHT - h, width: Math.max(1, step - 1), height: h }));
    if (b.errors) column.append(svg("rect", { class: "bar error", x: x + 0.5, y: HEIGHT - e, width: Math.max(1, step - 1), height: Math.max(1, e) }));
    chart.append(column);
  });
  // Five labels along the axis: the buckets' start times.
  for (let k = 0; k < 5; k++) {
    const i = Math.round((k / 4) * (buckets.length - 1));
    const label = buckets[i].start.replace("T", " ").replace(/:00Z$/, "").replace(/Z$/, "");
    chart.append(svg("text", { class: "value", x: LEFT + i * step + step / 2, y: HEIGHT + 16,
      "text-anchor": k === 0 ? "start" : k === 4 ? "end" : "middle" }, label));
  }
  // The same figures as a table, for screen readers and for copying.
  const table = el("table", { class: "grid visually-hidden" },
    el("thead", {}, el("tr", {}, el("th", {}, "from"), el("th", {}, "events"), el("th", {}, "errors"))),
    el("tbody", {}, buckets.map((b) => el("tr", {}, el("td", {}, b.start), el("td", {}, count(b.events)), el("td", {}, count(b.errors))))));
  return el("div", {}, chart, table,
    timeline.untimed ? el("p", { class: "muted" }, timeline.untimed === 1 ? "1 event has no time and is not drawn."
      : `${count(timeline.untimed)} events have no time and are not drawn.`) : null);
}

async function loadTimeline() {
  const target = document.getElementById("timeline");
  try {
    replace(target, timelineChart(await getJSON("/api/timeline?buckets=96")));
  } catch (error) {
    replace(target, notice(String(error.message), true));
  }
}

function card(name, value) {
  return el("div", { class: "card" }, el("div", { class: "value" }, value), el("div", { class: "name" }, name));
}

async function load() {
  loadTimeline();
  let summary;
  try {
    summary = await getJSON("/api/summary");
  } catch (error) {
    replace(status, notice(String(error.message), true));
    return;
  }
  replace(document.getElementById("cards"),
    card("events", count(summary.events)),
    card("runs", (summary.runs.exact ? "" : "≈") + count(summary.runs.count)),
    card("sessions", (summary.sessions.exact ? "" : "≈") + count(summary.sessions.count)),
    card("errors", count(summary.errors)),
    card("error rate", percent(summary.error_rate)),
    card("tokens", count((summary.models ?? []).reduce((sum, m) => sum + (m.total_tokens ?? 0), 0))));

  const types = summary.event_types ?? [];
  const typeName = (t) => t.event_type ?? "(none)";
  replace(document.getElementById("types"), barChart("Events by type", types, typeName, [{ value: (t) => t.events }], count));
  const rated = types.filter((t) => t.error_rate !== null && t.error_rate !== undefined);
  replace(document.getElementById("errors"), barChart("Error rate by type", rated, typeName, [{ value: (t) => t.error_rate, className: "error" }], percent));

  const models = summary.models ?? [];
  const modelName = (m) => m.other ? "(other)" : `${m.model_provider ?? "?"} / ${m.model_name ?? "?"}`;
  replace(document.getElementById("tokens"), barChart("Tokens by model", models, modelName,
    [{ value: (m) => m.prompt_tokens, label: "prompt" }, { value: (m) => m.completion_tokens, label: "completion", className: "alt" }], count));

  const tools = (summary.tools ?? []).filter((t) => t.execution_time_ms);
  const toolName = (t) => t.tool_name ?? "(none)";
  replace(document.getElementById("tools"),
    barChart("Tool latency (p50, p95, p99)", tools, toolName, [
      { value: (t) => t.execution_time_ms.p50, label: "p50" },
      { value: (t) => t.execution_time_ms.p95, label: "p95", className: "alt" },
      { value: (t) => t.execution_time_ms.p99, label: "p99", className: "error" },
    ], duration),
    tools.length ? el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["tool", "calls", "errors", "error rate", "mean", "p50", "p95", "p99", "max"].map((h, k) => el("th", { scope: "col", class: k ? "num" : "" }, h)))),
      el("tbody", {}, tools.map((t) => el("tr", {},
        el("td", {}, toolName(t)), el("td", { class: "num" }, count(t.calls)), el("td", { class: "num" }, count(t.errors)),
        el("td", { class: "num" }, percent(t.error_rate)),
        ["mean", "p50", "p95", "p99", "max"].map((k) => el("td", { class: "num" }, duration(t.execution_time_ms[k])))))))
      : null);

  const store = document.getElementById("store");
  const fact = (name, value) => store.append(el("dt", {}, name), el("dd", {}, value));
  fact("records", count(summary.records));
  fact("first event", time(summary.first_timestamp));
  fact("last event", time(summary.last_timestamp));
  fact("unparsable records", count(summary.unparsable));
  fact("events without a run id", count(summary.events_without_run_id));
  fact("events without a timestamp", count(summary.events_without_timestamp));
  loadStore(fact);
  loadCompliance();
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = n, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return (unit ? value.toFixed(1) : String(value)) + " " + units[unit];
}

async function loadStore(fact) {
  let facts;
  try {
    facts = await getJSON("/api/store");
  } catch (error) {
    fact("store", String(error.message));
    return;
  }
  const segments = facts.segments ?? [];
  const sealed = segments.filter((s) => s.kind === "sealed");
  fact("segments", `${count(segments.length)} (${count(sealed.length)} sealed, ${count(segments.length - sealed.length)} WAL)`);
  fact("bytes on disk", bytes(facts.bytes_on_disk));
  fact("compression", facts.compression_ratio === null ? "nothing sealed yet"
    : `${bytes(facts.sealed_bytes)} sealed for ${bytes(facts.sealed_jsonl_bytes)} of JSONL (${(facts.compression_ratio * 100).toFixed(1)}%)`);
  fact("retention", facts.retention_days === null && facts.retention_max_bytes === null ? "none (everything is kept)"
    : [facts.retention_days === null ? null : `${facts.retention_days} days`, facts.retention_max_bytes === null ? null : bytes(facts.retention_max_bytes)]
      .filter(Boolean).join(", "));
  replace(document.getElementById("segments"), barChart("Segments by size", segments, (s) => `${s.name}${s.active ? " (active)" : ""}`,
    [{ value: (s) => s.bytes, className: "" }], bytes));
}

async function loadCompliance() {
  const target = document.getElementById("compliance");
  let report;
  try {
    report = await getJSON("/api/compliance");
  } catch (error) {
    replace(target, notice(String(error.message), true));
    return;
  }
  // The fields that fail: invalid or missing where required, worst first.
  const failing = [];
  for (const [type, fields] of Object.entries(report.fields ?? {})) {
    for (const [field, f] of Object.entries(fields)) {
      const bad = (f.events ?? 0) - (f.valid ?? 0);
      if (f.requirement === "required" && bad > 0) failing.push({ type, field, bad, missing: f.missing ?? 0, events: f.events ?? 0 });
    }
  }
  failing.sort((a, b) => b.bad - a.bad);
  replace(target,
    el("div", { class: "cards" },
      card("compliance score", percent(report.compliance_score)),
      card("compliant events", `${count(report.compliant_events)} of ${count(report.total_events)}`),
      card("required", percent(report.required_score) + (report.meets_requirement ? " (met)" : " (not met)"))),
    failing.length
      ? el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ["event type", "field", "failing", "of which missing", "events"].map((h, k) => el("th", { scope: "col", class: k > 1 ? "num" : "" }, h)))),
        el("tbody", {}, failing.slice(0, 20).map((f) => el("tr", {},
          el("td", {}, f.type), el("td", { class: "mono" }, f.field), el("td", { class: "num error" }, count(f.bad)),
          el("td", { class: "num" }, count(f.missing)), el("td", { class: "num" }, count(f.events))))))
      : el("p", { class: "muted" }, "No required field fails."),
    (report.recommendations ?? []).length
      ? el("ul", {}, report.recommendations.slice(0, 10).map((r) => el("li", {}, r)))
      : null);
}

load();
