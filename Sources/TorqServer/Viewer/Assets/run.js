// /runs/{id}: the run's trace (/api/runs/{id}/trace) as a waterfall of inline
// SVG, and its events (/api/runs/{id}/events) below. The waterfall draws only
// the rows in view (plus a margin), so a run of many thousands of spans keeps a
// few hundred nodes in the page; the events are shown EVENT_PAGE rows at a time.
import { el, svg, replace, getJSON, getText, notice, duration, count, time, show } from "./common.js";

const ROW = 22;
const LABEL_WIDTH = 320;
const OVERSCAN = 20;
const EVENT_PAGE = 200;

const runID = (() => {
  const raw = location.pathname.slice("/runs/".length);
  try { return decodeURIComponent(raw); } catch { return raw; }
})();
const api = "/api/runs/" + encodeURIComponent(runID);
const status = document.getElementById("status");
const waterfall = document.getElementById("waterfall");
const details = document.getElementById("details");
document.getElementById("title").textContent = "Run " + runID;
document.title = "Run " + runID + " · torqlog";

let spans = [];
let parent = [];       // index of each span's parent, -1 for a root
let hasChildren = [];
let offsets = [];      // [start ms, end ms] from the run's first start
let total = 1;         // ms shown across the bars
const folded = new Set();
let visible = [];      // indices of the spans shown, in order
let cursor = -1;       // position in `visible` of the selected span

function nanos(text) {
  try { return BigInt(text); } catch { return null; }
}

function layout(trace) {
  spans = trace.spans;
  // Depth-first order: a span's parent is the latest span one level up.
  const last = [];
  parent = spans.map((span, i) => {
    const p = span.depth > 0 ? last[span.depth - 1] ?? -1 : -1;
    last[span.depth] = i;
    last.length = span.depth + 1;
    return p;
  });
  hasChildren = spans.map((span, i) => i + 1 < spans.length && spans[i + 1].depth > span.depth);
  const starts = spans.map((s) => nanos(s.start_unix_nano));
  const known = starts.filter((n) => n !== null);
  const base = known.length ? known.reduce((a, b) => (b < a ? b : a)) : 0n;
  let latest = 0;
  for (const s of spans) {
    const end = s.end_unix_nano ? nanos(s.end_unix_nano) : null;
    if (end !== null) latest = Math.max(latest, Number(end - base) / 1e6);
  }
  const runEnd = trace.run.end ? Date.parse(trace.run.end) : NaN;
  const runStart = trace.run.start ? Date.parse(trace.run.start) : NaN;
  if (!Number.isNaN(runEnd) && !Number.isNaN(runStart)) latest = Math.max(latest, runEnd - runStart);
  offsets = spans.map((s, i) => {
    const start = starts[i] === null ? 0 : Number(starts[i] - base) / 1e6;
    const endNanos = s.end_unix_nano ? nanos(s.end_unix_nano) : null;
    const end = endNanos === null ? null : Number(endNanos - base) / 1e6;
    latest = Math.max(latest, start);
    return [start, end];
  });
  total = Math.max(latest, 0.001);
}

function computeVisible() {
  visible = [];
  for (let i = 0; i < spans.length; i++) {
    visible.push(i);
    if (folded.has(i)) {
      const depth = spans[i].depth;
      while (i + 1 < spans.length && spans[i + 1].depth > depth) i++;
    }
  }
}

const canvas = svg("svg", { role: "presentation" });
const axis = svg("svg", { class: "axis-bar", "aria-hidden": "true", height: 20 });

function barsWidth() {
  return Math.max(200, waterfall.clientWidth - LABEL_WIDTH - 16);
}

function drawAxis() {
  const width = barsWidth();
  axis.setAttribute("width", LABEL_WIDTH + width + 16);
  axis.replaceChildren();
  for (let k = 0; k <= 4; k++) {
    const x = LABEL_WIDTH + (width * k) / 4;
    axis.append(svg("text", { class: "axis", x, y: 14, "text-anchor": k === 0 ? "start" : k === 4 ? "end" : "middle" }, duration((total * k) / 4)));
  }
}

function draw() {
  const width = barsWidth();
  const height = visible.length * ROW;
  canvas.setAttribute("width", LABEL_WIDTH + width + 16);
  canvas.setAttribute("height", Math.max(height, ROW));
  const first = Math.max(0, Math.floor(waterfall.scrollTop / ROW) - OVERSCAN);
  const lastRow = Math.min(visible.length, Math.ceil((waterfall.scrollTop + waterfall.clientHeight) / ROW) + OVERSCAN);
  const rows = [];
  for (let k = 0; k <= 4; k++) {
    const x = LABEL_WIDTH + (width * k) / 4;
    rows.push(svg("line", { class: "grid-line", x1: x, x2: x, y1: first * ROW, y2: lastRow * ROW }));
  }
  for (let position = first; position < lastRow; position++) rows.push(drawRow(position, width));
  canvas.replaceChildren(...rows);
  const selected = cursor >= 0 ? "span-row-" + visible[cursor] : null;
  if (selected && document.getElementById(selected)) waterfall.setAttribute("aria-activedescendant", selected);
  else waterfall.removeAttribute("aria-activedescendant");
}

function drawRow(position, width) {
  const i = visible[position];
  const span = spans[i];
  const [start, end] = offsets[i];
  const indent = 6 + span.depth * 12;
  const classes = ["bar"];
  if (span.source === "event") classes.push("event");
  if (span.status === "error") classes.push("error");
  if (span.critical) classes.push("critical");
  if (span.open) classes.push("open");
  const x = LABEL_WIDTH + (start / total) * width;
  const stop = end === null ? total : end;
  const barWidth = Math.max(2, ((stop - start) / total) * width);
  const label = span.name.length > 40 - span.depth ? span.name.slice(0, Math.max(8, 38 - span.depth)) + "…" : span.name;
  const text = `${span.name}, ${span.open ? "open" : duration(span.duration_ms)}, ${span.status}${span.critical ? ", critical path" : ""}`;
  const row = svg("g", {
    class: "row" + (position === cursor ? " selected" : ""), id: "span-row-" + i, transform: `translate(0 ${position * ROW})`,
    role: "treeitem", "aria-level": span.depth + 1, "aria-label": text, "aria-selected": String(position === cursor),
    "aria-expanded": hasChildren[i] ? String(!folded.has(i)) : null, "data-position": position,
  },
  svg("rect", { class: "row-bg", x: 0, y: 0, width: LABEL_WIDTH + width + 16, height: ROW }),
  hasChildren[i] ? svg("text", { class: "twisty", x: indent, y: 15, "data-twisty": "1" }, folded.has(i) ? "▸" : "▾") : null,
  svg("text", { class: "label", x: indent + 12, y: 15 }, label),
  svg("rect", { class: classes.join(" "), x, y: 5, width: barWidth, height: ROW - 10, rx: 2 }),
  svg("title", {}, text));
  return row;
}

function setCursor(position, { scroll = true } = {}) {
  if (!visible.length) return;
  cursor = Math.max(0, Math.min(visible.length - 1, position));
  if (scroll) {
    const top = cursor * ROW;
    if (top < waterfall.scrollTop) waterfall.scrollTop = top;
    else if (top + ROW > waterfall.scrollTop + waterfall.clientHeight) waterfall.scrollTop = top + ROW - waterfall.clientHeight;
  }
  draw();
  showDetails(visible[cursor]);
}

function toggle(i, open) {
  if (!hasChildren[i]) return;
  const wanted = open ?? folded.has(i);
  if (wanted) folded.delete(i); else folded.add(i);
  const selected = cursor >= 0 ? visible[cursor] : -1;
  computeVisible();
  const at = visible.indexOf(selected);
  cursor = at >= 0 ? at : visible.indexOf(i);
  draw();
}

function attributeTable(attributes) {
  const entries = Object.entries(attributes ?? {});
  if (!entries.length) return el("p", { class: "muted" }, "none");
  return el("table", { class: "grid" }, el("tbody", {}, entries.map(([key, value]) =>
    el("tr", {}, el("th", { scope: "row", class: "mono" }, key), el("td", {}, el("pre", { class: "mono" }, show(value)))))));
}

function showDetails(i) {
  const span = spans[i];
  const [start, end] = offsets[i];
  const facts = el("dl", { class: "facts" });
  const fact = (name, value) => facts.append(el("dt", {}, name), el("dd", {}, value));
  fact("span", el("span", { class: "mono" }, span.span_id));
  if (span.parent_span_id) fact("parent", el("span", { class: "mono" }, span.parent_span_id));
  fact("kind", `${span.kind} (${span.source}${span.event_type ? ", " + span.event_type : ""})`);
  fact("status", el("span", { class: span.status === "error" ? "error" : "" }, span.status + (span.error_message ? ": " + span.error_message : "")));
  fact("start", `${time(span.start)} (+${duration(start)})${span.start_derived ? ", derived" : ""}`);
  fact("end", span.open ? "still open" : `${time(span.end)} (+${duration(end)})`);
  fact("duration", span.open ? "open" : duration(span.duration_ms));
  if (span.critical) fact("critical path", "yes");
  const events = span.events ?? [];
  replace(details,
    el("h2", {}, span.name), facts,
    el("h2", {}, "Attributes"), attributeTable(span.attributes),
    el("h2", {}, `Events (${events.length})`),
    events.length ? el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, el("th", {}, "time"), el("th", {}, "name"), el("th", { class: "num" }, "duration"), el("th", {}, "attributes"))),
      el("tbody", {}, events.slice(0, 200).map((e) => el("tr", {},
        el("td", { class: "mono" }, time(e.timestamp)),
        el("td", { class: e.failure ? "error" : "" }, e.name),
        el("td", { class: "num" }, e.duration_ms === null ? "" : duration(e.duration_ms)),
        el("td", {}, el("pre", { class: "mono" }, JSON.stringify(e.attributes ?? {})))))))
      : el("p", { class: "muted" }, "none"),
    events.length > 200 ? el("p", { class: "muted" }, `…and ${events.length - 200} more (download the events below)`) : null);
}

let drawing = false;
waterfall.addEventListener("scroll", () => {
  if (drawing) return;
  drawing = true;
  requestAnimationFrame(() => { drawing = false; draw(); });
});
window.addEventListener("resize", () => { drawAxis(); draw(); });
waterfall.addEventListener("click", (event) => {
  const row = event.target.closest?.("g.row");
  if (!row) return;
  const position = Number(row.getAttribute("data-position"));
  const i = visible[position];
  if (event.target.getAttribute("data-twisty")) toggle(i);
  else setCursor(position, { scroll: false });
  waterfall.focus();
});
waterfall.addEventListener("keydown", (event) => {
  if (!visible.length) return;
  const i = cursor >= 0 ? visible[cursor] : -1;
  const page = Math.max(1, Math.floor(waterfall.clientHeight / ROW) - 1);
  switch (event.key) {
    case "ArrowDown": setCursor(cursor + 1); break;
    case "ArrowUp": setCursor(cursor - 1); break;
    case "PageDown": setCursor(cursor + page); break;
    case "PageUp": setCursor(cursor - page); break;
    case "Home": setCursor(0); break;
    case "End": setCursor(visible.length - 1); break;
    case "ArrowRight":
      if (i >= 0 && hasChildren[i] && folded.has(i)) toggle(i, true); else setCursor(cursor + 1);
      break;
    case "ArrowLeft":
      if (i >= 0 && hasChildren[i] && !folded.has(i)) toggle(i, false);
      else if (i >= 0 && parent[i] >= 0) setCursor(visible.indexOf(parent[i]));
      break;
    case "Enter": case " ": if (cursor < 0) setCursor(0); else showDetails(i); break;
    default: return;
  }
  event.preventDefault();
});

function showFacts(trace) {
  const run = trace.run;
  const facts = document.getElementById("facts");
  const fact = (name, value) => facts.append(el("dt", {}, name), el("dd", {}, value));
  if (run.session_ids?.length) fact("session", run.session_ids.join(", "));
  if (run.trace_ids?.length) fact("trace", run.trace_ids.join(", "));
  fact("start", time(run.start));
  fact("end", time(run.end));
  fact("duration", duration(run.duration_ms));
  fact("events", `${count(run.records)} (${Object.entries(run.event_counts ?? {}).map(([k, v]) => `${k} ${count(v)}`).join(", ")})`);
  fact("tokens", `${count(run.tokens?.input)} in, ${count(run.tokens?.output)} out`);
  if (run.tools_used?.length) fact("tools", run.tools_used.join(", "));
  fact("spans", count(run.spans) + (run.open_spans ? ` (${count(run.open_spans)} open)` : ""));
  if (trace.critical_path?.length) fact("critical path", `${trace.critical_path.length} spans`);
  if (run.errors?.length) {
    fact("errors", el("ul", {}, run.errors.slice(0, 8).map((e) => el("li", { class: "error" }, `${e.event_type} ${e.subject}: ${e.message}`))));
  }
  if (run.errors?.length > 8) fact("", `…and ${count(run.errors.length - 8)} more errors`);
  const warnings = trace.warnings ?? [];
  if (warnings.length) {
    fact("warnings", el("ul", {}, warnings.slice(0, 20).map((w) => el("li", {}, w)),
      warnings.length > 20 ? el("li", { class: "muted" }, `…and ${count(warnings.length - 20)} more`) : null));
  }
}

function showDownloads() {
  const safe = runID.replace(/[^A-Za-z0-9._-]+/g, "_");
  replace(document.getElementById("downloads"), "Download: ",
    el("a", { href: api + "/events", download: safe + ".jsonl" }, "events (JSONL)"), " · ",
    el("a", { href: api + "/otlp", download: safe + ".otlp.jsonl" }, "OTLP JSON"), " · ",
    el("a", { href: api + "/trace", download: safe + ".trace.json" }, "trace (JSON)"), " · ",
    el("a", { href: api + "/trace?format=svg", download: safe + ".svg" }, "waterfall (SVG)"), " · ",
    el("a", { href: api + "/trace?format=html" }, "static page (HTML)"));
}

async function loadTrace() {
  let trace;
  try {
    trace = await getJSON(api + "/trace");
  } catch (error) {
    replace(status, notice(error.status === 404 ? `The store has no events for run ${runID}.` : String(error.message), true));
    return;
  }
  showFacts(trace);
  showDownloads();
  layout(trace);
  computeVisible();
  waterfall.before(axis);
  waterfall.append(canvas);
  drawAxis();
  draw();
  if (!spans.length) replace(details, el("p", { class: "muted" }, "This run has no spans."));
}

let eventRows = [];
let firstShown = 0;
const timelineBody = el("tbody");
const earlierEvents = document.getElementById("earlier-events");
const laterEvents = document.getElementById("later-events");
const eventsNote = document.getElementById("events-note");

function eventSummary(event) {
  for (const key of ["tool_name", "model_name", "name", "operation_type", "routing_strategy", "agent_name"]) {
    if (typeof event[key] === "string") return event[key];
  }
  return "";
}

function eventRow(line) {
  let event;
  try { event = JSON.parse(line); } catch { event = null; }
  const payload = el("td", { class: "payload mono" }, line.length > 600 ? line.slice(0, 600) + "…" : line);
  if (event === null || typeof event !== "object") {
    return el("tr", { class: "event-line" }, el("td", {}), el("td", {}), el("td", {}), el("td", {}), payload);
  }
  return el("tr", { class: "event-line" },
    el("td", { class: "mono" }, time(event.timestamp)),
    el("td", {}, show(event.event_type)),
    el("td", {}, eventSummary(event)),
    el("td", { class: event.status === "error" || event.status === "failed" ? "error" : "" }, show(event.status)),
    payload);
}

/** Shows the events from `first` on, EVENT_PAGE of them: the page holds one page of rows at a time. */
function showEvents(first) {
  firstShown = Math.max(0, Math.min(first, Math.max(0, eventRows.length - 1)));
  const last = Math.min(eventRows.length, firstShown + EVENT_PAGE);
  timelineBody.replaceChildren(...eventRows.slice(firstShown, last).map(eventRow));
  earlierEvents.hidden = firstShown === 0;
  laterEvents.hidden = last >= eventRows.length;
  eventsNote.textContent = eventRows.length
    ? `events ${count(firstShown + 1)}–${count(last)} of ${count(eventRows.length)}, in store order` : "";
}

async function loadEvents() {
  const timeline = document.getElementById("timeline");
  let text;
  try {
    text = await getText(api + "/events");
  } catch (error) {
    replace(timeline, notice(error.status === 404 ? "No events." : String(error.message), error.status !== 404));
    return;
  }
  eventRows = text.split("\n").filter((line) => line.length);
  replace(timeline, el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["time", "type", "name", "status", "event"].map((h) => el("th", { scope: "col" }, h)))), timelineBody));
  earlierEvents.addEventListener("click", () => showEvents(firstShown - EVENT_PAGE));
  laterEvents.addEventListener("click", () => showEvents(firstShown + EVENT_PAGE));
  showEvents(0);
}

loadTrace();
loadEvents();
