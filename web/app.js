// maskwatch's page: a photo or the camera in, each face boxed and labelled;
// the benchmark history and the model card. Plain browser JavaScript, no build
// step; it talks only to the server that serves it.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = { with_mask: "#22aa55", without_mask: "#dc322f", mask_weared_incorrect: "#f09614" };
const NAMES = { with_mask: "mask", without_mask: "no mask", mask_weared_incorrect: "mask worn incorrectly" };

// ---- the API ----------------------------------------------------------------
function authHeaders() {
  const t = sessionStorage.getItem("maskwatch-token");
  return t ? { Authorization: "Bearer " + t } : {};
}

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  if (res.status === 401) $("token-form").hidden = false;
  const body = res.headers.get("Content-Type")?.startsWith("application/json") ? await res.json() : null;
  if (!res.ok) throw new Error(body?.error ? `${body.error.message} (${res.status} ${body.error.code})` : `HTTP ${res.status}`);
  return body;
}

function predict(blob, boxes) {
  const q = boxes ? "?boxes=" + encodeURIComponent(boxes) : "";
  return api("/v1/predict" + q, { method: "POST", body: blob, headers: { "Content-Type": blob.type || "image/jpeg" } });
}

// ---- drawing boxes ------------------------------------------------------------
function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawFaces(svg, width, height, faces) {
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const unit = Math.max(width, height) / 100;
  for (const f of faces) {
    const [x0, y0, x1, y1] = f.box;
    const colour = COLOURS[f.label] || "#268bd2";
    const text = `${NAMES[f.label] || f.label} ${(f.confidence * 100).toFixed(0)}%`;
    const size = Math.max(2.4 * unit, 11);
    const g = el("g", { class: "face" });
    g.append(el("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, stroke: colour,
                          "stroke-width": Math.max(unit * 0.5, 2), fill: "none", rx: unit * 0.4 }));
    const labelY = y0 - size * 1.5 >= 0 ? y0 - size * 1.5 : y0;  // above the box, or inside its top
    g.append(el("rect", { x: x0, y: labelY, width: text.length * size * 0.6 + size * 0.6, height: size * 1.5,
                          fill: colour, rx: unit * 0.4 }));
    g.append(el("text", { x: x0 + size * 0.3, y: labelY + size * 1.1, "font-size": size, fill: "#fff",
                          class: "face-label" }, text));
    svg.append(g);
  }
}

function listFaces(faces) {
  $("faces").replaceChildren(...faces.map((f, i) => {
    const li = document.createElement("li");
    li.className = "face-item";
    li.style.setProperty("--c", COLOURS[f.label] || "#268bd2");
    const score = (f.confidence * 100).toFixed(1);
    li.textContent = `Face ${i + 1}: ${NAMES[f.label] || f.label}, ${score}% sure`;
    return li;
  }));
}

// ---- a photo ------------------------------------------------------------------
async function showPhoto(file) {
  if (!/^image\/(jpeg|png)$/.test(file.type)) {
    $("photo-status").textContent = `${file.type || "this file"} is not a JPEG or PNG photo`;
    return;
  }
  const url = URL.createObjectURL(file);
  $("photo").src = url;
  await $("photo").decode().catch(() => {});
  $("stage").hidden = false;
  $("photo-status").textContent = "Looking at the faces…";
  try {
    const r = await predict(file, $("boxes").value.trim());
    drawFaces($("overlay"), r.image.width, r.image.height, r.faces);
    listFaces(r.faces);
    const n = r.faces.length;
    $("photo-status").textContent = `${n} face${n === 1 ? "" : "s"} in ${r.timings_ms.total.toFixed(0)} ms` +
      (r.whole_image ? " (the whole photo as one face)" : r.detected ? " (found by the face detector)" : "");
  } catch (e) {
    $("overlay").replaceChildren();
    listFaces([]);
    $("photo-status").textContent = "Could not classify: " + e.message;
  }
}

function setUpPhoto() {
  const drop = $("drop"), file = $("file");
  drop.addEventListener("click", () => file.click());
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); file.click(); }
  });
  file.addEventListener("change", () => file.files[0] && showPhoto(file.files[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) showPhoto(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    const item = [...e.clipboardData.items].find((i) => i.type.startsWith("image/"));
    if (item) { selectTab("photo"); showPhoto(item.getAsFile()); }
  });
}

// ---- the camera ---------------------------------------------------------------
const camera = { stream: null, frames: 0, since: 0 };

async function cameraLoop() {
  const video = $("video"), canvas = document.createElement("canvas");
  while (camera.stream) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width) { await new Promise((r) => setTimeout(r, 100)); continue; }
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.8));
    try {
      const r = await predict(blob, "");  // the next frame goes once this one is answered
      if (!camera.stream) break;
      drawFaces($("camera-overlay"), r.image.width, r.image.height, r.faces);
      camera.frames++;
      const fps = camera.frames / ((performance.now() - camera.since) / 1000);
      const f = r.faces[0];
      $("camera-status").textContent = `${fps.toFixed(1)} frames/s` + (f ? ` · ${NAMES[f.label] || f.label}` : "");
    } catch (e) {
      $("camera-status").textContent = e.message;
      await new Promise((r) => setTimeout(r, 1000));  // a 503 asks to wait
    }
  }
}

async function toggleCamera() {
  const button = $("camera-toggle");
  if (camera.stream) {
    camera.stream.getTracks().forEach((t) => t.stop());
    camera.stream = null;
    button.textContent = "Start camera";
    $("camera-overlay").replaceChildren();
    return;
  }
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
  } catch (e) {
    $("camera-status").textContent = "No camera: " + e.message;
    return;
  }
  $("video").srcObject = camera.stream;
  await $("video").play();
  button.textContent = "Stop camera";
  camera.frames = 0;
  camera.since = performance.now();
  cameraLoop();
}

// ---- charts -------------------------------------------------------------------
const CHART = { w: 480, h: 260, left: 52, right: 16, top: 14, bottom: 40 };

function scale(lo, hi, a, b) {
  if (hi === lo) { lo -= 0.5; hi += 0.5; }  // one value: centred
  return (v) => a + ((v - lo) / (hi - lo)) * (b - a);
}

function ticks(lo, hi, n = 4) {
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

// A chart of points {x, y, label}; `line` joins them in x order.
function chart(points, { xLabel, yLabel, xFormat, yFormat, line, yMin, yMax }) {
  const c = CHART;
  const svg = el("svg", { viewBox: `0 0 ${c.w} ${c.h}`, role: "img", class: "plot" });
  svg.append(el("title", {}, `${yLabel} against ${xLabel}`));
  if (!points.length) {
    svg.append(el("text", { x: c.w / 2, y: c.h / 2, "text-anchor": "middle", class: "muted" }, "no records yet"));
    return svg;
  }
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [yMin ?? Math.min(0, ...ys), yMax ?? (Math.max(...ys) * 1.1 || 1)];
  const sx = scale(x0, x1, c.left, c.w - c.right), sy = scale(y0, y1, c.h - c.bottom, c.top);
  for (const t of ticks(y0, y1)) {
    svg.append(el("line", { x1: c.left, x2: c.w - c.right, y1: sy(t), y2: sy(t), class: "gridline" }));
    svg.append(el("text", { x: c.left - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, yFormat(t)));
  }
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  for (const t of distinct.length <= 6 ? distinct : ticks(x0, x1)) {
    svg.append(el("text", { x: sx(t), y: c.h - c.bottom + 16, "text-anchor": "middle", class: "tick" }, xFormat(t)));
  }
  svg.append(el("text", { x: (c.left + c.w - c.right) / 2, y: c.h - 6, "text-anchor": "middle", class: "axis" }, xLabel));
  const yMid = (c.top + c.h - c.bottom) / 2;
  svg.append(el("text", { x: 14, y: yMid, "text-anchor": "middle", transform: `rotate(-90 14 ${yMid})`, class: "axis" },
                yLabel));
  if (line) {
    const sorted = [...points].sort((a, b) => a.x - b.x);
    svg.append(el("polyline", { points: sorted.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), class: "line" }));
  }
  for (const p of points) {
    const dot = el("circle", { cx: sx(p.x), cy: sy(p.y), r: 4.5, class: "dot" });
    dot.append(el("title", {}, p.label));
    svg.append(dot);
  }
  return svg;
}

function drawBenchmarks(records) {
  const seconds = records.map((r) => ({ x: r.set_size, y: r.seconds,
    label: `${r.set_size} images: ${r.seconds.toFixed(2)} s (${r.started_at})` }));
  $("chart-seconds").replaceChildren(chart(seconds, { xLabel: "images in the set", yLabel: "seconds",
    xFormat: (v) => v.toFixed(0), yFormat: (v) => v.toFixed(1) }));
  // One point per run: its sets' accuracy, weighted by their faces.
  const runs = new Map();
  for (const r of records.filter((r) => typeof r.accuracy === "number" && r.objects > 0)) {
    const run = runs.get(r.run_id) || { x: Date.parse(r.started_at), right: 0, faces: 0 };
    run.right += r.accuracy * r.objects;
    run.faces += r.objects;
    runs.set(r.run_id, run);
  }
  const accuracy = [...runs.entries()].map(([id, r]) => ({ x: r.x, y: r.right / r.faces,
    label: `run ${id}, ${new Date(r.x).toISOString()}: ${((r.right / r.faces) * 100).toFixed(1)}%` }));
  $("chart-accuracy").replaceChildren(chart(accuracy, { xLabel: "run time (UTC)", yLabel: "accuracy", line: true,
    yMin: 0, yMax: 1, xFormat: (v) => new Date(v).toISOString().slice(5, 16).replace("T", " "),
    yFormat: (v) => (v * 100).toFixed(0) + "%" }));
}

// ---- the model card -------------------------------------------------------------
function table(head, rows) {
  const t = document.createElement("table");
  t.innerHTML = `<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>`;
  const body = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    r.forEach((v, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      td.textContent = v;
      tr.append(td);
    });
    body.append(tr);
  }
  t.append(body);
  return t;
}

const pct = (v) => (typeof v === "number" ? (v * 100).toFixed(1) + "%" : "–");

function drawModelCard(models) {
  const m = models.loaded, card = $("model-card");
  $("model-badge").textContent = `${m.arch} · ${m.id.slice(0, 8)}`;
  const facts = document.createElement("dl");
  for (const [k, v] of [["id", m.id], ["architecture", `${m.arch}, ${m.input_size} px input`],
    ["created", m.created_at], ["engine", models.engine], ["validation accuracy", pct(m.metrics?.val_accuracy)],
    ["validation macro-F1", pct(m.metrics?.val_macro_f1)]]) {
    facts.append(Object.assign(document.createElement("dt"), { textContent: k }),
                 Object.assign(document.createElement("dd"), { textContent: v }));
  }
  const parts = [facts];
  const history = m.history || [];
  if (history.length) {
    const h3 = Object.assign(document.createElement("h3"), { textContent: "Training curve (validation accuracy)" });
    parts.push(h3, chart(history.map((e) => ({ x: e.epoch, y: e.val_accuracy, label: `epoch ${e.epoch}` })),
      { xLabel: "epoch", yLabel: "accuracy", line: true, yMin: 0, yMax: 1, xFormat: (v) => v.toFixed(0),
        yFormat: (v) => (v * 100).toFixed(0) + "%" }));
  }
  const evaluation = m.evaluations?.test || m.evaluations?.val;
  if (evaluation?.per_class) {
    parts.push(Object.assign(document.createElement("h3"), { textContent: "Per class (evaluate)" }));
    parts.push(table(["class", "precision", "recall", "F1", "faces"], Object.entries(evaluation.per_class)
      .map(([k, v]) => [NAMES[k] || k, pct(v.precision), pct(v.recall), pct(v.f1), v.support])));
  }
  if (evaluation?.confusion) {
    parts.push(Object.assign(document.createElement("h3"), { textContent: "Confusion matrix (rows: truth)" }));
    const labels = evaluation.labels || m.labels;
    parts.push(table(["", ...labels.map((l) => NAMES[l] || l)],
      evaluation.confusion.map((row, i) => [NAMES[labels[i]] || labels[i], ...row])));
  }
  card.replaceChildren(...parts);
}

async function loadDashboard() {
  try {
    const [bench, models] = await Promise.all([api("/v1/benchmarks"), api("/v1/models")]);
    drawBenchmarks(bench.records);
    drawModelCard(models);
  } catch (e) {
    $("bench-status").textContent = e.message;
  }
}

async function runBenchmark() {
  $("bench-run").disabled = true;
  try {
    let run = await api("/v1/benchmarks", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    while (run.status === "running") {
      $("bench-status").textContent = `benchmark ${run.id} running…`;
      await new Promise((r) => setTimeout(r, 1000));
      run = await api("/v1/benchmarks/runs/" + run.id);
    }
    $("bench-status").textContent = run.status === "done" ? `benchmark ${run.id} done` : run.error;
    loadDashboard();
  } catch (e) {
    $("bench-status").textContent = e.message;
  } finally {
    $("bench-run").disabled = false;
  }
}

// ---- tabs (arrow keys move between them) ----------------------------------------
function selectTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const on = tab.id === "tab-" + name;
    tab.setAttribute("aria-selected", on);
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
  if (name === "dashboard") loadDashboard();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next.id.slice(4));
    });
  });
}

function setUpToken() {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("maskwatch-token", $("token").value);
    $("token-form").hidden = true;
    api("/v1/models").then(drawModelCard).catch(() => {});
  });
}

setUpTabs();
setUpPhoto();
setUpToken();
$("camera-toggle").addEventListener("click", toggleCamera);
$("bench-run").addEventListener("click", runBenchmark);
api("/v1/models").then(drawModelCard).catch(() => {});
