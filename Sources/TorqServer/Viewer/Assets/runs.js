// /: the runs, newest first, from /api/runs (limit, before, agent, status, q),
// a page at a time; on the first page, runs that start while the page is open
// appear (the page listens to /api/tail and asks again).
import { el, replace, getJSON, notice, duration, count, time, runPath } from "./common.js";

const LIMIT = 50;
const form = document.getElementById("filters");
const list = document.getElementById("runs");
const live = document.getElementById("live");
const newer = document.getElementById("newer");
const older = document.getElementById("older");
const pageNote = document.getElementById("page-note");

let cursors = [null];  // the `before` of each page seen, the current one last
let nextBefore = null;
let shownRuns = new Set();
let listing = true;    // false once the server answered that it lists no runs

const params = new URLSearchParams(location.search);
for (const name of ["q", "agent", "status"]) form.elements[name].value = params.get(name) ?? "";

function filters() {
  const query = new URLSearchParams();
  for (const name of ["q", "agent", "status"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  return query;
}

/** The time of the "started before" field as RFC 3339, or null. */
function startedBefore() {
  const value = form.elements.before.value;
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function table(runs) {
  const headers = [["run", ""], ["agent", ""], ["status", ""], ["start", ""], ["duration", "num"], ["events", "num"],
    ["tokens in", "num"], ["tokens out", "num"], ["tool calls", "num"], ["errors", "num"]];
  return el("table", { class: "grid" },
    el("caption", { class: "visually-hidden" }, "Runs, newest first"),
    el("thead", {}, el("tr", {}, headers.map(([h, c]) => el("th", { scope: "col", class: c }, h)))),
    el("tbody", {}, runs.map((run) => el("tr", {},
      el("td", { class: "mono" }, el("a", { href: runPath(String(run.run_id)) }, String(run.run_id))),
      el("td", {}, run.agent ?? ""),
      el("td", { class: run.status === "failed" || run.status === "error" ? "error" : "" }, run.status ?? ""),
      el("td", { class: "mono" }, time(run.start)),
      el("td", { class: "num" }, run.end ? duration(run.duration_ms) : "running"),
      el("td", { class: "num" }, count(run.events)),
      el("td", { class: "num" }, count(run.input_tokens)),
      el("td", { class: "num" }, count(run.output_tokens)),
      el("td", { class: "num" }, count(run.tool_calls)),
      el("td", { class: run.errors ? "num error" : "num" }, count(run.errors))))));
}

async function load() {
  const query = filters();
  history.replaceState(null, "", query.toString() ? "?" + query : "/");
  query.set("limit", String(LIMIT));
  const before = cursors[cursors.length - 1] ?? startedBefore();
  if (before) query.set("before", before);
  let answer;
  try {
    answer = await getJSON("/api/runs?" + query);
  } catch (error) {
    if (error.status === 404) {
      listing = false;
      replace(list, notice("This server does not list runs (GET /api/runs answered 404). Open a run by its id below, or watch the events live on the Tail page."));
      newer.disabled = older.disabled = true;
      live.textContent = "";
    } else {
      replace(list, notice(String(error.message), true));
    }
    return;
  }
  const runs = Array.isArray(answer.runs) ? answer.runs : [];
  shownRuns = new Set(runs.map((run) => String(run.run_id)));
  nextBefore = answer.next_before ?? null;
  replace(list, runs.length ? table(runs) : notice("No runs match."));
  newer.disabled = cursors.length <= 1;
  older.disabled = nextBefore === null;
  pageNote.textContent = `page ${cursors.length}`;
}

form.addEventListener("submit", (event) => { event.preventDefault(); cursors = [null]; load(); });
form.addEventListener("reset", () => { setTimeout(() => { cursors = [null]; load(); }, 0); });
older.addEventListener("click", () => { if (nextBefore !== null) { cursors.push(nextBefore); load(); } });
newer.addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); load(); } });

document.getElementById("open-run").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = event.target.elements.run.value.trim();
  if (id) location.href = runPath(id);
});

// New runs: on the first page, an event of a run not shown (or a run's own
// record, whose status may have changed) asks for the page again, at most every 2 s.
let refreshTimer = null;
function followLive() {
  const source = new EventSource("/api/tail");
  source.onopen = () => { if (listing) live.textContent = "New runs appear here as they start."; };
  source.onerror = () => { if (listing) live.textContent = "Not following new runs (the live stream is closed)."; };
  source.onmessage = (message) => {
    if (!listing || cursors.length > 1 || refreshTimer !== null) return;
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (typeof event.run_id !== "string") return;
    if (shownRuns.has(event.run_id) && event.event_type !== "agent_run") return;
    refreshTimer = setTimeout(() => { refreshTimer = null; if (cursors.length === 1) load(); }, 2000);
  };
}

load().then(() => { if (listing) followLive(); });
