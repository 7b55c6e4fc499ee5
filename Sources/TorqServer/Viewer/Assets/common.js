// Helpers shared by the viewer's pages. Every value from the store reaches the
// page through textContent or an attribute set by setAttribute, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

/** An HTML element: `attrs` as attributes (never event handlers: use addEventListener), then children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element, like el(). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attrs);
  append(node, children);
  return node;
}

function setAttributes(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) throw new Error("no inline handlers: " + name);
    node.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** GET `path` as JSON; throws an Error with the status and the server's message. */
export async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) throw await httpError(path, response);
  return response.json();
}

/** GET `path` as text. */
export async function getText(path) {
  const response = await fetch(path);
  if (!response.ok) throw await httpError(path, response);
  return response.text();
}

async function httpError(path, response) {
  let text = "";
  try { text = (await response.text()).trim(); } catch { /* the message is optional */ }
  const error = new Error(`GET ${path}: ${response.status}${text ? " — " + text.slice(0, 300) : ""}`);
  error.status = response.status;
  return error;
}

/** A notice box (role=alert for errors). */
export function notice(message, isError = false) {
  return el("div", { class: isError ? "notice error" : "notice", role: isError ? "alert" : "status" }, message);
}

/** Milliseconds as text: 850 ms, 1.25 s, 2 min 5 s. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms === 0) return "0 ms";
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

const grouping = new Intl.NumberFormat("en-US");
/** An integer with thousands separators. */
export function count(n) {
  return n === null || n === undefined ? "—" : grouping.format(n);
}

/** A rate in [0, 1] as a percentage. */
export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate < 0.01 && rate > 0 ? 2 : 1)}%`;
}

/** An RFC 3339 time as local time text (the original when it does not parse). */
export function time(text) {
  if (!text) return "—";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return date.toLocaleString(undefined, { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
}

/** The run page's path for `runID`. */
export function runPath(runID) {
  return "/runs/" + encodeURIComponent(runID);
}

/** A value from a JSON event as one line of text. */
export function show(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
