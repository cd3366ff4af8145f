// The live page: polls /api/series (only the samples newer than the last one it has), /status and /checkpoints,
// and draws the series with uPlot. Read-only without a token; the control buttons appear once one is typed.
"use strict";

const refreshMilliseconds = 2000;
const checkpointRefreshMilliseconds = 10000;
const maxPoints = 20000;
const colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#65a30d", "#4b5563"];

const points = [];
let lastTime = null;

const number = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const fixed4 = value => (value == null ? "n/a" : value.toFixed(4));
const bytes = value => (value == null ? "" : value >= 1e9 ? `${(value / 1e9).toFixed(2)} GB` : `${(value / 1e6).toFixed(1)} MB`);
const duration = seconds => {
  if (seconds == null || !isFinite(seconds)) return "n/a";
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
};

// Each chart: its series as (label, value of a point), and the axis each one uses.
function hiddenLayers(key, label) {
  const widest = points.reduce((n, p) => Math.max(n, p.value[key].length), 0);
  return Array.from({ length: widest }, (_, i) => ({ label: `${label} ${i + 1}`, value: p => p.value[key][i] ?? null }));
}

function deadLetterKinds() {
  const kinds = [...new Set(points.flatMap(p => Object.keys(p.value.deadLettered)))].sort();
  return kinds.map(kind => ({ label: kind, value: p => p.value.deadLettered[kind] ?? 0 }));
}

function ratePerSecond(p, i) {
  if (i === 0) return null;
  const previous = points[i - 1];
  const seconds = (p.t - previous.t) / 1000;
  return seconds > 0 && p.value.eventsTrained >= previous.value.eventsTrained ? (p.value.eventsTrained - previous.value.eventsTrained) / seconds : null;
}

const charts = {
  quality: { series: () => [
    { label: "progressive AUC", value: p => p.value.auc },
    { label: "progressive NE", value: p => p.value.ne },
    { label: "offline eval AUC", value: p => p.value.offlineEvalAuc },
  ] },
  loss: { series: () => [{ label: "progressive log loss", value: p => p.value.logLoss }] },
  rate: { series: () => [
    { label: "samples/s (trainer)", value: p => p.value.samplesPerSecond },
    { label: "events trained/s", value: ratePerSecond },
  ] },
  lag: { series: () => [
    { label: "lag (messages)", value: p => p.value.lag },
    { label: "freshness (s)", value: p => p.value.freshnessSeconds, scale: "s" },
  ] },
  widths: { stepped: true, series: () => [...hiddenLayers("bottomWidths", "bottom"), ...hiddenLayers("topWidths", "top")] },
  deadLetters: { element: "chart-dead-letters", series: deadLetterKinds },
  memory: { series: () => [
    { label: "working set", value: p => p.value.workingSetBytes },
    { label: "managed heap", value: p => p.value.managedHeapBytes },
  ], format: bytes },
};

// Stretches of the widths chart where some hidden layer is narrower than the widest it has been: AMGP's pruned phases.
function prunedPhases() {
  const full = layers => layers.reduce((max, p) => p.map((w, i) => Math.max(w, max[i] ?? 0)), []);
  const fullBottom = full(points.map(p => p.value.bottomWidths));
  const fullTop = full(points.map(p => p.value.topWidths));
  const phases = [];
  let current = null;
  for (const p of points) {
    const pruned = p.value.bottomWidths.some((w, i) => w < fullBottom[i]) || p.value.topWidths.some((w, i) => w < fullTop[i]);
    if (pruned && current === null) current = { from: p.t, to: p.t, bottom: p.value.bottomWidths, top: p.value.topWidths };
    else if (pruned) current.to = p.t;
    else if (current !== null) { phases.push(current); current = null; }
  }
  if (current !== null) phases.push(current);
  return phases;
}

function shadePrunedPhases(u) {
  const context = u.ctx;
  context.save();
  context.fillStyle = "rgba(234, 88, 12, 0.12)";
  for (const phase of prunedPhases()) {
    const left = u.valToPos(phase.from / 1000, "x", true);
    const right = u.valToPos(phase.to / 1000, "x", true);
    context.fillRect(left, u.bbox.top, Math.max(right - left, 2), u.bbox.height);
  }
  context.restore();
}

// uPlot merges options over its defaults, so a key present as undefined would erase a default.
const defined = object => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));

function build(name, chart) {
  const element = document.getElementById(chart.element ?? `chart-${name}`);
  const series = chart.series();
  const options = {
    width: Math.max(element.clientWidth, 300),
    height: 220,
    scales: { x: { time: true } },
    axes: [
      {},
      defined({ size: 70, values: chart.format ? (u, ticks) => ticks.map(chart.format) : undefined }),
      ...(series.some(s => s.scale === "s") ? [{ scale: "s", side: 1, size: 60, grid: { show: false } }] : []),
    ],
    series: [{}, ...series.map((s, i) => defined({
      label: s.label,
      scale: s.scale,
      stroke: colors[i % colors.length],
      width: 1.5,
      paths: chart.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
      value: chart.format ? (u, v) => chart.format(v) : undefined,
    }))],
    hooks: name === "widths" ? { drawClear: [shadePrunedPhases] } : {},
  };
  chart.labels = series.map(s => s.label).join("|");
  chart.plot?.destroy();
  chart.plot = new uPlot(options, columns(series), element);
}

function columns(series) {
  return [points.map(p => p.t / 1000), ...series.map(s => points.map((p, i) => s.value(p, i) ?? null))];
}

function draw() {
  for (const [name, chart] of Object.entries(charts)) {
    const series = chart.series();
    if (chart.plot === undefined || chart.labels !== series.map(s => s.label).join("|")) build(name, chart);
    else chart.plot.setData(columns(series));
    const element = chart.plot.root.parentElement;
    // Read by the browser test and handy when inspecting the page: how many samples the chart holds.
    element.dataset.points = String(series.some(s => points.some((p, i) => s.value(p, i) != null)) ? points.length : 0);
  }
  const phases = prunedPhases();
  const time = t => new Date(t).toISOString().substring(11, 19);
  document.getElementById("phases").textContent = phases.length === 0
    ? "No pruned phase in this window."
    : `Pruned phases (shaded): ${phases.map(p => `${time(p.from)}–${time(p.to)} bottom [${p.bottom.join(", ")}] top [${p.top.join(", ")}]`).join("; ")}`;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function refreshSeries() {
  const series = await getJson(lastTime === null ? "/api/series" : `/api/series?since=${lastTime}`);
  if (series.points.length === 0) return;
  points.push(...series.points);
  if (points.length > maxPoints) points.splice(0, points.length - maxPoints);
  lastTime = points[points.length - 1].t;
  draw();
}

async function refreshStatus() {
  const s = await getJson("/status");
  const offline = s.phase === "offline";
  document.getElementById("phase").textContent = s.phase + (s.paused ? " (paused)" : "") + (s.failureReason ? `: ${s.failureReason}` : "");
  document.getElementById("samples").textContent = offline && s.offline.plannedSamples > 0
    ? `${number.format(s.training.samples)} / ${number.format(s.offline.plannedSamples)}`
    : number.format(s.training.samples);
  document.getElementById("rate").textContent = `${number.format(s.training.samplesPerSecond)} /s`;
  document.getElementById("eta-item").hidden = !offline;
  document.getElementById("eta").textContent = duration(s.offline.etaSeconds);
  const gpu = s.model.gpu ? ` (${s.model.gpu.name}, ${bytes(s.model.gpu.usedBytes)} of ${bytes(s.model.gpu.totalBytes)} used)` : "";
  document.getElementById("device").textContent = `${s.model.device}${gpu}`;
  document.getElementById("last-checkpoint").textContent = s.checkpoints.lastId
    ? `${s.checkpoints.lastId}, ${duration(s.checkpoints.ageSeconds)} ago`
    : "none yet";
}

// The model-quality figures of a manifest; its FLOP counters are for the benchmarks.
const shownMetric = /(auc|\.ne|logloss)$/;

async function refreshCheckpoints() {
  const list = await getJson("/checkpoints");
  const body = document.querySelector("#checkpoints tbody");
  body.replaceChildren(...list.sort((a, b) => Date.parse(b.createdUtc) - Date.parse(a.createdUtc)).slice(0, 12).map(c => {
    const row = document.createElement("tr");
    const metrics = Object.entries(c.metrics ?? {}).filter(([k]) => shownMetric.test(k)).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
    for (const cell of [c.id + (c.pinned ? " (pinned)" : "") + (c.valid ? "" : " (invalid)"), c.createdUtc.substring(0, 19).replace("T", " "),
      c.phase ?? "", c.step == null ? "" : number.format(c.step), bytes(c.bytes), metrics]) {
      const td = document.createElement("td");
      td.textContent = cell;
      row.appendChild(td);
    }
    return row;
  }));
}

// Polls quietly: a daemon that is restarting or unreachable for a moment must not flood the console.
function every(milliseconds, refresh) {
  const run = () => refresh().catch(() => {}).finally(() => setTimeout(run, milliseconds));
  run();
}

function setUpControls() {
  const token = document.getElementById("token");
  const buttons = document.getElementById("buttons");
  const result = document.getElementById("control-result");
  token.addEventListener("input", () => { buttons.hidden = token.value.trim() === ""; });
  for (const [id, path] of [["pause", "/pause"], ["resume", "/resume"], ["checkpoint", "/checkpoints"]]) {
    document.getElementById(id).addEventListener("click", async () => {
      result.textContent = "…";
      const response = await fetch(path, { method: "POST", headers: { Authorization: `Bearer ${token.value.trim()}` } });
      const body = await response.json().catch(() => ({}));
      result.textContent = response.ok ? `${id}: done${body.id ? ` (${body.id})` : ""}` : `${id}: ${body.detail ?? response.status}`;
      refreshStatus().catch(() => {});
    });
  }
}

setUpControls();
every(refreshMilliseconds, refreshSeries);
every(refreshMilliseconds, refreshStatus);
every(checkpointRefreshMilliseconds, refreshCheckpoints);
window.addEventListener("resize", () => {
  for (const chart of Object.values(charts)) chart.plot?.setSize({ width: Math.max(chart.plot.root.parentElement.clientWidth, 300), height: 220 });
});
