// /tail: the events written from now on, through /api/tail (server-sent events).
// The page keeps at most MAX_ROWS rows: the oldest go first.
import { el, time, show, runPath } from "./common.js";

const MAX_ROWS = 1000;
const log = document.getElementById("log");
const state = document.getElementById("state");
const form = document.getElementById("filters");
const pauseButton = document.getElementById("pause");
const params = new URLSearchParams(location.search);
form.elements.run.value = params.get("run") ?? "";
form.elements.type.value = params.get("type") ?? "";

const table = el("table", { class: "grid" },
  el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "time"), el("th", { scope: "col" }, "type"),
    el("th", { scope: "col" }, "run"), el("th", { scope: "col" }, "event"))));
const body = el("tbody");
table.append(body);
log.append(table);

let source = null;
let paused = false;
let held = [];       // events that arrived while paused, at most MAX_ROWS
let received = 0;
let dropped = 0;     // held events dropped while paused, over the bound

function row(event) {
  const runID = event.run_id;
  const rest = { ...event };
  for (const key of ["timestamp", "event_type", "run_id"]) delete rest[key];
  return el("tr", { class: "event-line" },
    el("td", { class: "mono" }, time(event.timestamp)),
    el("td", {}, show(event.event_type)),
    el("td", { class: "mono" }, typeof runID === "string" ? el("a", { href: runPath(runID) }, runID) : show(runID)),
    el("td", { class: "payload mono" }, JSON.stringify(rest)));
}

function render(events) {
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  const fragment = document.createDocumentFragment();
  for (const event of events.slice(-MAX_ROWS)) fragment.append(row(event));
  body.append(fragment);
  while (body.childElementCount > MAX_ROWS) body.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function describe(text) {
  const filters = [form.elements.run.value && `run ${form.elements.run.value}`, form.elements.type.value && `type ${form.elements.type.value}`].filter(Boolean);
  state.textContent = `${text} · ${received} received${filters.length ? " · " + filters.join(", ") : ""}` +
    (paused ? ` · paused, ${held.length} held${dropped ? `, ${dropped} dropped` : ""}` : "") + ` · showing the last ${MAX_ROWS} at most`;
}

function connect() {
  if (source) source.close();
  const query = new URLSearchParams();
  if (form.elements.run.value) query.set("run", form.elements.run.value);
  if (form.elements.type.value) query.set("type", form.elements.type.value);
  history.replaceState(null, "", query.toString() ? "?" + query : location.pathname);
  source = new EventSource("/api/tail" + (query.toString() ? "?" + query : ""));
  describe("Connecting…");
  source.onopen = () => describe("Live");
  source.onerror = () => describe(source.readyState === EventSource.CLOSED ? "Disconnected (reload to retry)" : "Reconnecting…");
  let pending = [];
  let scheduled = false;
  source.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { event = { unparsable: message.data }; }
    received += 1;
    if (paused) {
      held.push(event);
      if (held.length > MAX_ROWS) { dropped += held.length - MAX_ROWS; held = held.slice(-MAX_ROWS); }
    } else {
      // Drawn ten times a second at most; a timer, not an animation frame, so that
      // a page in a background tab (no frames) still keeps only MAX_ROWS.
      pending.push(event);
      if (pending.length > MAX_ROWS) pending = pending.slice(-MAX_ROWS);
      if (!scheduled) {
        scheduled = true;
        setTimeout(() => { scheduled = false; render(pending); pending = []; describe("Live"); }, 100);
      }
    }
  };
}

form.addEventListener("submit", (e) => { e.preventDefault(); connect(); });
pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.textContent = paused ? "Resume" : "Pause";
  pauseButton.setAttribute("aria-pressed", String(paused));
  if (!paused) { render(held); held = []; dropped = 0; }
  describe(source && source.readyState === EventSource.OPEN ? "Live" : "Connecting…");
});
document.getElementById("clear").addEventListener("click", () => { body.replaceChildren(); held = []; dropped = 0; });
connect();
