/* fentanet web app: plain JavaScript, no build step. Talks to the JSON API of
   fentanet.web.app; every figure comes from the server as plotly JSON. */
"use strict";

const state = { info: null, current: null, summary: null, selected: null, kinds: null,
                scenarios: [], polling: {}, adhoc: [],
                uncertain: [], ensOffset: 0 };
const ENSEMBLES_PAGE = 200;  // the server's default limit of api/ensembles
const $ = (sel) => document.querySelector(sel);
const PLOT_CONFIG = { responsive: true, displaylogo: false, scrollZoom: true };
const FLOW_UNIT = "kg per year";  // flows and capacities (docs/reports-and-web.md)

// ------------------------------------------------------------------ helpers
function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}
function fmt(v, digits = 3) {
  if (v === null || v === undefined || v === "") return "";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === "inf" || v === "-inf") return v === "inf" ? "∞" : "-∞";  // open-ended bounds
  if (typeof v !== "number") return String(v);
  if (!isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-4) return v.toPrecision(digits);
  if (Number.isInteger(v) || a >= 10 ** digits) return Math.round(v).toLocaleString("en-US");
  const decimals = Math.max(digits - Math.floor(Math.log10(a)) - 1, 0);
  return v.toLocaleString("en-US", { minimumFractionDigits: decimals,
                                     maximumFractionDigits: decimals });
}
function toast(message, kind = "error") {
  const t = $("#toast");
  // an error stays until its time is up: a later note ("opened ...") does not hide it
  if (kind === "info" && !t.hidden && !t.classList.contains("info")) return;
  t.textContent = message;
  t.className = "toast" + (kind === "info" ? " info" : "");
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, kind === "info" ? 3000 : 7000);
}
function status(text) { $("#status").textContent = text || ""; }

async function api(path, options = {}) {
  const opts = { headers: {}, ...options };
  if (opts.json !== undefined) {
    opts.method = opts.method || "POST";
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(opts.json);
    delete opts.json;
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const msg = (data && data.error) || `${res.status} ${res.statusText}`;
    throw new Error(msg);
  }
  return data;
}
async function guarded(button, fn) {
  if (button) button.disabled = true;
  try { return await fn(); }
  catch (e) { toast(e.message); }
  finally { if (button) button.disabled = false; }
}
function table(rows, columns, opts = {}) {
  if (!rows || !rows.length) return '<p class="note">nothing to show</p>';
  columns = columns || Object.keys(rows[0]);
  const fmts = opts.formats || {};
  const isText = (c) => rows.every((r) => r[c] === null || typeof r[c] !== "number");
  const text = Object.fromEntries(columns.map((c) => [c, isText(c)]));
  const head = columns.map((c) => `<th class="${text[c] ? "t" : ""}">${
    esc((opts.labels || {})[c] || c)}</th>`).join("");
  const body = rows.map((r) => "<tr>" + columns.map((c) => {
    const v = r[c];
    const s = fmts[c] ? fmts[c](v, r) : Array.isArray(v) ? v.join(", ") : fmt(v);
    return `<td class="${text[c] ? "t" : ""}">${opts.html && opts.html.includes(c) ? s
      : esc(s)}</td>`;
  }).join("") + "</tr>").join("");
  return `<div class="tablewrap"><table class="data"${opts.id ? ` id="${esc(opts.id)}"` : ""}>` +
         `<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
function yearsText(years) {  // an ensemble's horizons: "1.5 years", "1 and 2 years"
  const shown = years.map((y) => String(+y.toFixed(3)));  // 0.75, not 0.750
  const list = shown.length > 1 ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`
    : shown[0];
  return `${list} year${shown.length === 1 && years[0] === 1 ? "" : "s"}`;
}
function metric(label, value, detail = "") {
  return `<div class="metric"><div class="l">${esc(label)}</div><div class="v">${
    esc(value)}</div>${detail ? `<div class="d">${esc(detail)}</div>` : ""}</div>`;
}
function chip(id, cls = "") {
  return `<span class="chip ${cls}" data-actor="${esc(id)}">${esc(id)}</span>`;
}
function fileUrl(rel, inline = false) {
  return "files/" + rel.split("/").map(encodeURIComponent).join("/") + (inline ? "?inline=1" : "");
}
async function plot(el, fig) {
  el.removeAttribute("data-rendered");
  await Plotly.react(el, fig.data, fig.layout, PLOT_CONFIG);
  el.setAttribute("data-rendered", "1");
  return el;
}

// ------------------------------------------------------------------ tabs
function showTab(name) {
  document.querySelectorAll("nav.tabs button").forEach((b) =>
    b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((t) =>
    t.classList.toggle("active", t.id === `tab-${name}`));
  $("#layout").classList.toggle("wide", name === "strategies" || name === "files");
  if (name === "files") loadFiles();
  if (name === "strategies") loadEnsembles();
  window.dispatchEvent(new Event("resize"));  // let plotly fit the now visible plots
}

// ------------------------------------------------------------------ networks
async function loadInfo() {
  state.info = await api("api/info");
  const ds = $("#dataset");
  ds.innerHTML = state.info.datasets.map((d) =>
    `<option value="${esc(d.name)}" ${d.available ? "" : "disabled"}>${esc(d.name)}${
      d.available ? "" : " (not on this machine)"}</option>`).join("");
  const first = state.info.datasets.find((d) => d.name === "caviar" && d.available) ||
                state.info.datasets.find((d) => d.available);
  if (first) ds.value = first.name; else $("#open-dataset").disabled = true;
  $("#upload-hint").textContent += ` Up to ${fmt(state.info.limits.upload_bytes / 1e6)} MB.`;
  $("#workdir").textContent = `(${state.info.workdir})`;
  $("#adhoc-kind").innerHTML = state.info.interventions.map((k) =>
    `<option value="${esc(k)}">${esc(k.replaceAll("_", " "))}</option>`).join("");
  state.scenarios = await api("api/scenarios");
  const sc = $("#cmp-scenario");
  sc.innerHTML = state.scenarios.map((s) => `<option value="${esc(s.name)}">${esc(s.name)}${
    s.actors ? ` (${fmt(s.actors)} actors)` : ""}</option>`).join("");
  sc.value = state.scenarios.some((s) => s.name === "toy") ? "toy" : state.scenarios[0].name;
  scenarioChanged();
  const nets = await api("api/networks");
  fillNetworks(nets);
  if (nets.length) await setCurrent(nets[nets.length - 1]);
  status(`fentanet ${state.info.version}`);
}
function fillNetworks(nets, current) {
  const sel = $("#networks");
  sel.innerHTML = nets.length ? nets.map((n) => `<option value="${esc(n.id)}">${esc(n.label)} (${
    fmt(n.actors)} actors)</option>`).join("") : '<option value="">none yet</option>';
  if (current) sel.value = current;
}
async function opened(summary) {
  fillNetworks(await api("api/networks"), summary.id);
  await setCurrent(summary);
  toast(`opened ${summary.label}: ${fmt(summary.actors)} actors, ${fmt(summary.links)} links`,
        "info");
}
async function setCurrent(summary) {
  state.current = summary.id;
  $("#networks").value = summary.id;  // the list says which network is drawn
  state.summary = summary;
  state.selected = null;
  state.kinds = null;
  $("#search").value = "";
  $("#search-results").innerHTML = "";
  $("#actor").innerHTML = '<span class="muted">Click an actor in the drawing, or search for ' +
                          "one.</span>";
  const s = summary;
  const kinds = Object.entries(s.actor_kinds).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
  $("#net-summary").innerHTML =
    metric("network", s.label, s.origin) + metric("actors", fmt(s.actors), s.typed ? kinds
      : "untyped case data") + metric("links", fmt(s.links), s.directed ? "directed"
      : "undirected") + metric("components", fmt(s.components), `largest ${fmt(
      s.largest_component)}`) + metric("density", fmt(s.density)) +
    metric("neighbours", fmt(s.degree.mean), `mean per actor; max ${fmt(s.degree.max)}`);
  const kf = $("#kind-filter");
  kf.innerHTML = s.typed ? Object.keys(s.actor_kinds).map((k) =>
    `<label><input type="checkbox" value="${esc(k)}" checked> ${esc(k)}</label>`).join("") : "";
  await drawGraph();
  loadAnalysis();
}
function viewParams() {
  const p = new URLSearchParams();
  p.set("color_by", $("#color-by").value);
  const boxes = [...document.querySelectorAll("#kind-filter input")];
  const on = boxes.filter((b) => b.checked).map((b) => b.value);
  if (boxes.length && on.length && on.length < boxes.length) p.set("kinds", on.join(","));
  const radius = +$("#radius").value;
  if (radius > 0 && state.selected) { p.set("ego", state.selected); p.set("radius", radius); }
  if (state.selected) p.set("selected", state.selected);
  return p;
}
async function drawGraph() {
  if (!state.current) return false;
  const el = $("#graph");
  status("drawing the network…");
  try {
    const fig = await api(`api/networks/${state.current}/figure?${viewParams()}`);
    el.querySelector(".graph-error")?.remove();
    await plot(el, fig);
    if (!el.dataset.bound) {
      el.on("plotly_click", (ev) => {
        const pt = ev.points && ev.points[0];
        if (pt && pt.customdata !== undefined) selectActor(String(pt.customdata));
      });
      el.dataset.bound = "1";
    }
    el.dataset.actors = String(fig.layout.meta ? fig.layout.meta.actors : "");
  } catch (e) {
    // never leave another network's (or another view's) drawing under this one's name
    Plotly.purge(el);  // its click handler goes with it
    el.removeAttribute("data-rendered");
    delete el.dataset.bound;
    el.dataset.actors = "";
    el.innerHTML = `<p class="note graph-error">Cannot draw this network: ${esc(e.message)}</p>`;
    toast(e.message);
    status("");
    return false;
  }
  status("");
  return true;
}

// ------------------------------------------------------------------ explore
let searchTimer = null;
function searchChanged() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    if (!state.current) return;
    const q = $("#search").value.trim();
    if (!q) { $("#search-results").innerHTML = ""; return; }
    try {
      const hits = await api(`api/networks/${state.current}/search?q=${encodeURIComponent(q)}`);
      $("#search-results").innerHTML = hits.length ? hits.map((h) =>
        `<li data-actor="${esc(h.id)}"><span>${esc(h.id)}</span><span class="k">${esc(h.kind)},` +
        ` links ${fmt(h.degree)}</span></li>`).join("") : '<li class="muted">no match</li>';
    } catch (e) { toast(e.message); }
  }, 180);
}
async function selectActor(id) {
  if (!state.current) return;
  state.selected = id;
  try {
    const a = await api(`api/networks/${state.current}/actor?id=${encodeURIComponent(id)}`);
    const rows = [["kind", a.kind], ["links", fmt(a.degree)],
                  ["neighbours", fmt(a.neighbour_count)]];
    if (a.in_degree !== undefined) rows.push(["in / out", `${a.in_degree} / ${a.out_degree}`]);
    if (a.community !== undefined) rows.push(["community", a.community]);
    for (const [k, v] of Object.entries(a.centrality || {})) rows.push([k, fmt(v)]);
    for (const [k, v] of Object.entries(a.attributes || {})) {
      if (!["kind", "uid"].includes(k)) rows.push([k, fmt(v)]);
    }
    const tags = (a.marked || []).map((m) => `<span class="tag">${esc(m)}</span>`).join("");
    $("#actor").innerHTML = `<div class="name" id="actor-name">${esc(a.id)}${tags}</div>` +
      `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>` +
      `<div class="note">neighbours</div><div>${a.neighbours.map((n) =>
        chip(n.id)).join("")}${a.more_neighbours ? `<span class="note"> and ${
        a.more_neighbours} more</span>` : ""}</div>`;
  } catch (e) { toast(e.message); return; }
  await drawGraph();
}

// ------------------------------------------------------------------ jobs
function showProgress(el, job) {
  el.hidden = false;
  el.classList.toggle("failed", job.status === "failed" || job.status === "cancelled");
  el.classList.toggle("done", job.status === "done");
  el.querySelector(".fill").style.width = `${Math.round(100 * (job.status === "done" ? 1
    : job.progress))}%`;
  const secs = job.seconds ? ` · ${fmt(job.seconds)} s` : "";
  el.querySelector(".msg").textContent = job.status === "failed" ? `failed: ${job.error}`
    : `${job.status === "done" ? "done" : job.message}${secs}`;
  const stop = el.querySelector(".cancel-job");
  if (stop) {
    stop.dataset.job = job.id;
    stop.hidden = !["queued", "running"].includes(job.status) || job.cancelling;
  }
}
async function cancelJob(id, button) {
  await guarded(button, async () => {
    const job = await api(`api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
    toast(job.message, "info");
  });
}
async function poll(jobId, progressEl, onDone) {
  clearTimeout(state.polling[progressEl.id]);
  const tick = async () => {
    let job;
    try { job = await api(`api/jobs/${jobId}`); }
    catch (e) { toast(e.message); return; }
    showProgress(progressEl, job);
    if (job.status === "done") { await onDone(job.result); return; }
    if (job.status === "failed") { toast(job.error || job.message); return; }
    if (job.status === "cancelled") { toast(job.message, "info"); return; }
    state.polling[progressEl.id] = setTimeout(tick, 400);
  };
  await tick();
}

// ------------------------------------------------------------------ analysis
async function runAnalysis() {
  if (!state.current) { toast("open a network first"); return; }
  const body = { k: +$("#an-k").value, top: +$("#an-top").value, seed: +$("#an-seed").value };
  if ($("#an-steps").value) body.steps = +$("#an-steps").value;
  await guarded($("#run-analysis"), async () => {
    const job = await api(`api/networks/${state.current}/analyze`, { json: body });
    $("#analysis-results").innerHTML = "";
    await poll(job.id, $("#an-progress"), showAnalysis);
  });
}
async function loadAnalysis() {
  $("#analysis-results").innerHTML = '<p class="note">No analysis of this network yet.</p>';
  $("#an-progress").hidden = true;
  try {
    const job = await api(`api/networks/${state.current}/analysis`);
    if (job.status === "none") return;
    if (job.status === "done") { showProgress($("#an-progress"), job); await showAnalysis(
      job.result, false); }
    else if (job.status === "queued" || job.status === "running") await poll(job.id,
      $("#an-progress"), showAnalysis);
    else if (job.status === "failed") {  // its error, not "no analysis yet"
      $("#analysis-results").innerHTML = "";
      showProgress($("#an-progress"), job);
    }
  } catch (e) { /* not analysed yet */ }
}
async function showAnalysis(r, redraw = true) {
  const out = $("#analysis-results");
  const kp = r.key_players.map((k) => `<div><b>${k.objective === "fragmentation"
    ? `Remove ${k.k}: most fragmentation` : `Watch ${k.k}: widest reach`}</b> <span class="note">${
    k.objective === "fragmentation" ? `F = ${fmt(k.score)}` : `${fmt(100 * k.score)}% of the ` +
    "others within 2 steps"}</span><ol class="kp" id="kp-${esc(k.objective)}">${k.actors.map(
    (a) => `<li>${chip(a, "kp")}</li>`).join("")}</ol></div>`).join("");
  const tops = Object.entries(r.top);
  const topRows = [];
  const n = Math.max(...tops.map(([, v]) => v.length));
  for (let i = 0; i < n; i++) {
    const row = { rank: i + 1 };
    for (const [m, v] of tops) row[m] = v[i] ? `${v[i].actor} (${fmt(v[i].value)})` : "";
    topRows.push(row);
  }
  let supply = "";
  if (r.flow) {
    supply = `<h4>Supply bottleneck</h4><p id="max-flow">Maximum flow ${fmt(r.flow.value)} ` +
      `${FLOW_UNIT} from ${r.flow.sources} sources to ${r.flow.sinks} markets.</p>` +
      table(r.flow.cut, ["element", "id", "capacity"], { labels: {
        capacity: `capacity (${FLOW_UNIT})` } });
    if (r.interdiction) {
      const i = r.interdiction;
      // the budget is in the actors' (or links') cost units, not a count of them
      supply += `<p id="interdiction">${i.optimal ? "Optimal" : "Best"} interdiction for a ` +
        `budget of ${fmt(i.budget)} cost units (${esc(i.target)}): ` +
        `remove ${i.removed.map((x) => chip(x, "kp")).join("") || "nothing"} (cost ${
        fmt(i.cost_used)}) — flow ${
        fmt(i.flow_before)} → ${fmt(i.flow_after)} ${FLOW_UNIT}${i.optimal ? " (proven optimal)"
          : " (the best found within the time limit, not proven optimal)"}.</p>`;
    }
  }
  out.innerHTML =
    `<div class="links"><a class="button" id="analysis-report" target="_blank" href="${
      fileUrl(r.report, true)}">Open the full report</a><a class="button" id="analysis-download"
      href="${fileUrl(r.download)}">Download the tables (zip)</a></div>` +
    `<div class="grid2 narrow-first"><div class="card"><h3>Key players (Borgatti 2006)</h3>${kp}` +
    `<p class="note">Click an actor to inspect it on the Network tab.</p></div>` +
    `<div class="card"><h3>Top actors</h3>${table(topRows, null, { id: "top-actors" })}</div></div>` +
    `<div class="plotcard"><div id="analysis-graph" class="plot" style="height:620px"></div></div>` +
    `<div class="grid2"><div class="card"><h3>Communities</h3><p class="note">${
      r.communities ? `${r.communities.n} by ${esc(r.communities.method)}, modularity ${
      fmt(r.communities.quality)}` : ""}</p>${r.communities ? table(r.communities.table, null,
      { id: "communities" }) : ""}</div><div class="card"><h3>Brokers</h3>${table(r.brokers,
      null, { id: "brokers" })}</div></div>` +
    (supply ? `<div class="card">${supply}</div>` : "") +
    `<div class="plotcard"><div id="resilience-graph" class="plot" style="height:400px"></div>` +
    `</div><div class="card"><h3>Resilience</h3>${table(r.resilience_summary, null, {
      id: "resilience", labels: { lcc: "largest component after", flow: "flow after",
      removals_to_half: "removals to halve it", robustness: "robustness R" },
      formats: { removals_to_half: (v) => v === null ? "never" : fmt(v) } })}</div>` +
    (r.notes.length ? `<p class="note">${r.notes.map(esc).join("<br>")}</p>` : "");
  await plot($("#analysis-graph"), r.figures.network);
  $("#analysis-graph").on("plotly_click", (ev) => {
    const pt = ev.points && ev.points[0];
    if (pt && pt.customdata !== undefined) { showTab("network"); selectActor(String(pt.customdata)); }
  });
  await plot($("#resilience-graph"), r.figures.resilience);
  if (redraw) await drawGraph();  // the main drawing now marks the key players
}

// ------------------------------------------------------------------ strategies
function scenarioChanged() {
  const s = state.scenarios.find((x) => x.name === $("#cmp-scenario").value);
  if (!s) return;
  $("#cmp-description").textContent = s.description || "";
  // past the latest start of its strategies (at most its horizon): a shorter one would
  // compare strategies that start at or after the end (all zeros)
  $("#cmp-years").value = s.default_years;
  // each strategy: a tick, and an intensity and a start that replace its interventions'
  $("#cmp-strategies").innerHTML = Object.entries(s.strategies).map(([name, ivs], i) =>
    `<div class="strategy" data-strategy="${esc(name)}">` +
    `<label title="${esc(ivs.map((v) => `${v.kind} ${v.intensity} from ${v.start}`).join(", "))}">` +
    `<input type="checkbox" value="${esc(name)}" ${i < 3 ? "checked" : ""}> ${esc(name)}` +
    ` <span class="iv">${esc(ivs.map((v) => v.kind.replaceAll("_", " ")).join(", "))}</span>` +
    "</label>" +
    `<label class="s-field">intensity <input type="number" class="s-intensity" min="0" ` +
    `step="0.1" placeholder="${esc(ivs.length === 1 ? ivs[0].intensity : "its own")}" ` +
    `aria-label="${esc(name)} intensity" title="intensity (empty: its own)"></label>` +
    `<label class="s-field">start (years) <input type="number" class="s-start" min="0" ` +
    `step="0.25" placeholder="${esc(ivs.length === 1 ? ivs[0].start : "its own")}" ` +
    `aria-label="${esc(name)} start (years)" title="start in years (empty: its own)"></label>` +
    "</div>").join("");
}
// ad-hoc variants: each a name and its interventions (kind, intensity, start)
function addAdhoc() {
  const name = $("#adhoc-name").value.trim() || `variant-${state.adhoc.length + 1}`;
  const iv = { kind: $("#adhoc-kind").value, intensity: +$("#adhoc-intensity").value,
               start: +$("#adhoc-start").value };
  let v = state.adhoc.find((x) => x.name === name);
  if (!v) { v = { name, interventions: [] }; state.adhoc.push(v); }
  v.interventions.push(iv);
  showAdhoc();
}
function showAdhoc() {
  $("#adhoc-list").innerHTML = state.adhoc.map((v, i) =>
    `<li>${esc(v.name)}: ${esc(v.interventions.map((x) =>
      `${x.kind.replaceAll("_", " ")} ${x.intensity} from ${x.start} y`).join(", "))}` +
    `<button data-remove="${i}" title="remove">×</button></li>`).join("");
}
// uncertain parameters: each a scenario field and its range, drawn per seed
function addUncertain() {
  const name = $("#unc-name").value.trim();
  const low = $("#unc-low").value, high = $("#unc-high").value;
  if (!name || low === "" || high === "") {
    toast("give the parameter, its low and its high value"); return;
  }
  state.uncertain = state.uncertain.filter((u) => u.name !== name);
  state.uncertain.push({ name, low: +low, high: +high });
  showUncertain();
}
function showUncertain() {
  $("#unc-list").innerHTML = state.uncertain.map((u, i) =>
    `<li>${esc(u.name)}: ${fmt(u.low)} to ${fmt(u.high)}` +
    `<button data-remove-unc="${i}" title="remove">×</button></li>`).join("");
}
async function loadEnsembles(move = 0) {
  try {
    let offset = Math.max(0, state.ensOffset + move * ENSEMBLES_PAGE);
    let res, list;
    for (let tries = 0; tries < 3; tries++) {
      res = await fetch(`api/ensembles?offset=${offset}&limit=${ENSEMBLES_PAGE}`);
      list = null;
      try { list = await res.json(); } catch (e) { list = null; }
      if (!res.ok) throw new Error((list && list.error) || `${res.status} ${res.statusText}`);
      const known = +(res.headers.get("x-total-count") || list.length);
      // past the end (ensembles deleted meanwhile): the last page there is
      if (list.length || offset === 0 || known === 0) break;
      offset = Math.floor((known - 1) / ENSEMBLES_PAGE) * ENSEMBLES_PAGE;
    }
    const total = +(res.headers.get("x-total-count") || list.length);
    state.ensOffset = offset;
    const sel = $("#ens-list");
    const was = sel.value;
    sel.innerHTML = list.length ? list.map((e) => `<option value="${esc(e.ensemble)}">${
      esc(`${e.scenario}: ${e.variants.join(", ")} · ${e.seeds} seed${e.seeds === 1 ? "" : "s"}` +
          (e.years && e.years.length ? ` · ${yearsText(e.years)}` : "") +
          (e.sweep && e.sweep.length ? ` · sweep of ${e.sweep.join(", ")}` : "") +
          (e.uncertain.length ? ` · uncertain ${e.uncertain.join(", ")}` : "") +
          ` · ${e.ensemble}`)}</option>`).join("")
      : '<option value="">none yet</option>';
    if (list.some((e) => e.ensemble === was)) sel.value = was;
    $("#ens-page").textContent = total > list.length
      ? `${offset + 1}-${offset + list.length} of ${total}, newest first` : "";
    $("#ens-newer").hidden = $("#ens-older").hidden = total <= ENSEMBLES_PAGE;
    $("#ens-newer").disabled = offset === 0;
    $("#ens-older").disabled = offset + list.length >= total;
  } catch (e) { toast(e.message); }
}
async function showStored() {
  const id = $("#ens-list").value;
  if (!id) { toast("no ensemble chosen"); return; }
  await guarded($("#ens-show"), async () => showCompare(await api(`api/ensembles/${
    encodeURIComponent(id)}`)));
}
function compareVariants() {
  const strategies = [], variants = [];
  for (const row of document.querySelectorAll("#cmp-strategies .strategy")) {
    if (!row.querySelector("input[type=checkbox]").checked) continue;
    const name = row.dataset.strategy;
    const intensity = row.querySelector(".s-intensity").value;
    const start = row.querySelector(".s-start").value;
    if (intensity === "" && start === "") { strategies.push(name); continue; }
    const v = { name, strategy: name };
    if (intensity !== "") v.intensity = +intensity;
    if (start !== "") v.start = +start;
    variants.push(v);
  }
  return { strategies, variants: [...variants, ...state.adhoc] };
}
async function runCompare() {
  const body = { scenario: $("#cmp-scenario").value, ...compareVariants(),
                 runs: +$("#cmp-runs").value, seed: +$("#cmp-seed").value };
  if ($("#cmp-years").value) body.years = +$("#cmp-years").value;
  if (state.uncertain.length) body.uncertain = state.uncertain;
  await guarded($("#run-compare"), async () => {
    const job = await api("api/compare", { json: body });
    $("#compare-results").innerHTML = "";
    await poll(job.id, $("#cmp-progress"), showCompare);
  });
}
async function showCompare(r) {
  const wanted = ["deaths averted", "overdose deaths averted", "supply reduction %",
                  "cost per death averted"];
  const rows = r.comparison.filter((x) => wanted.includes(x.outcome));
  const figs = Object.keys(r.figures);
  const out = $("#compare-results");
  const unc = r.uncertain;
  out.innerHTML =
    (r.report ? `<div class="links"><a class="button" id="compare-report" target="_blank" href="${
      fileUrl(r.report, true)}">Open the full report</a><a class="button" id="compare-download"
      href="${fileUrl(r.download)}">Download the results (zip)</a></div>` : "") +
    `<p class="note" id="compare-note">${esc(r.scenario)}: ${r.variants.length} strategies × ${
      r.seeds.length} seed${r.seeds.length === 1 ? "" : "s"} (common random numbers)${r.years && r.years.length
      ? ` over ${esc(yearsText(r.years))}` : ""}${r.failed ? `, ${r.failed} runs failed` : ""
      }; ensemble ${esc(r.ensemble)}.</p>` +
    (r.warnings && r.warnings.length ? `<div class="card warn" id="compare-warnings"><h3>` +
      `Warnings</h3><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>` : "") +
    `<div class="grid2">${figs.map((k) => `<div class="plotcard"><div class="plot" id="cmp-${
      esc(k)}" style="height:380px"></div></div>`).join("")}</div>` +
    (r.definitions && r.definitions.length ? `<div class="card"><h3>What each strategy ` +
      `runs</h3>${table(r.definitions, null, { id: "definitions" })}<p class="note">Each ` +
      "strategy's interventions beyond the baseline's, as its runs recorded them.</p></div>"
      : "") +
    `<div class="card"><h3>Strategies side by side</h3>${table(r.side_by_side, null, {
      id: "side-by-side" })}</div>` +
    `<div class="card"><h3>Against the baseline</h3>${table(rows, ["variant",
      ...(r.sweep || []), "outcome", "mean", "ci_low", "ci_high", "seeds"], {
      id: "comparison", labels: { ci_low:
      "95% CI low", ci_high: "95% CI high" } })}<p class="note">Mean over seeds of the paired ` +
    "difference with the baseline, with its 95% interval.</p></div>" +
    (unc ? `<div class="card" id="uncertainty"><h3>Parameter uncertainty</h3>${
      table(unc.ranges, null, { id: "uncertain-ranges" })}<p class="note">Each seed ran with ` +
      "its own draw of these parameters, the same for every strategy: the spread over seeds " +
      "carries their uncertainty, and each comparison is still paired. The scatters above " +
      `show each strategy's deaths averted per seed against the value drawn.</p>${
      table(unc.drawn, null, { id: "uncertain-drawn" })}<p class="note">The values drawn ` +
      "for each seed.</p></div>" : "");
  for (const k of figs) await plot($(`#cmp-${k}`), r.figures[k]);
  loadEnsembles();
}

// ------------------------------------------------------------------ files
async function loadFiles() {
  try {
    const files = await api("api/files");
    $("#files").innerHTML = table(files, ["folder", "name", "bytes", "modified", "open"], {
      id: "file-list", html: ["open"], labels: { bytes: "size" }, formats: {
        modified: (v) => new Date(v * 1000).toLocaleString(),
        bytes: (v) => v >= 1e6 ? `${fmt(v / 1e6)} MB` : v >= 1e3 ? `${fmt(v / 1e3)} kB`
          : `${v} B`,  // 12 bytes read "0.0120 kB"
        open: (v, row) => (row.folder === "reports" && row.name.endsWith(".html") ? `<a target="_blank" href="${
          fileUrl(row.path, true)}">view</a> · ` : "") + `<a href="${fileUrl(row.path)}">` +
          "download</a>" } });
    const jobs = await api("api/jobs");
    $("#jobs").innerHTML = table(jobs, ["title", "kind", "status", "seconds", "error", "id"], {
      id: "job-list", html: ["id"], labels: { id: "action", error: "error or note" }, formats: {
        status: (v, row) => row.cancelling ? "cancelling" : v,
        error: (v, row) => v || (row.status === "cancelled" ? row.message : ""),
        id: (v, row) => ["queued", "running"].includes(row.status) && !row.cancelling
          ? `<button class="cancel-job" data-job="${esc(v)}">Cancel</button>` : "" } });
  } catch (e) { toast(e.message); }
}

// ------------------------------------------------------------------ wiring
function wire() {
  document.querySelectorAll("nav.tabs button").forEach((b) =>
    b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("#open-dataset").addEventListener("click", (e) => guarded(e.target, async () =>
    opened(await api("api/networks/open", { json: { dataset: $("#dataset").value } }))));
  $("#upload").addEventListener("click", (e) => guarded(e.target, async () => {
    const f = $("#upload-file").files[0];
    if (!f) throw new Error("choose a file to upload first");
    const form = new FormData();
    form.append("file", f);
    await opened(await api("api/networks/upload", { method: "POST", body: form }));
  }));
  $("#generate").addEventListener("click", (e) => guarded(e.target, async () =>
    opened(await api("api/networks/generate", { json: { actors: +$("#gen-actors").value,
                                                        seed: +$("#gen-seed").value } }))));
  $("#networks").addEventListener("change", async (e) => {
    if (!e.target.value) return;
    await guarded(null, async () => setCurrent(await api(`api/networks/${e.target.value}`)));
  });
  $("#search").addEventListener("input", searchChanged);
  $("#search").addEventListener("keydown", (e) => {
    const first = $("#search-results li[data-actor]");
    if (e.key === "Enter" && first) selectActor(first.dataset.actor);
  });
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-actor]");
    if (!el) return;
    if (!$("#tab-network").classList.contains("active")) showTab("network");
    selectActor(el.dataset.actor);
  });
  $("#color-by").addEventListener("change", drawGraph);
  $("#radius").addEventListener("change", drawGraph);
  $("#kind-filter").addEventListener("change", drawGraph);
  $("#run-analysis").addEventListener("click", runAnalysis);
  $("#cmp-scenario").addEventListener("change", scenarioChanged);
  $("#run-compare").addEventListener("click", runCompare);
  $("#adhoc-add").addEventListener("click", addAdhoc);
  $("#unc-add").addEventListener("click", addUncertain);
  $("#unc-list").addEventListener("click", (e) => {
    const b = e.target.closest("[data-remove-unc]");
    if (b) { state.uncertain.splice(+b.dataset.removeUnc, 1); showUncertain(); }
  });
  $("#ens-show").addEventListener("click", showStored);
  document.addEventListener("click", async (e) => {  // every job's Cancel button
    const b = e.target.closest(".cancel-job");
    if (!b || !b.dataset.job) return;
    await cancelJob(b.dataset.job, b);
    if ($("#tab-files").classList.contains("active")) loadFiles();
  });
  $("#ens-newer").addEventListener("click", () => loadEnsembles(-1));
  $("#ens-older").addEventListener("click", () => loadEnsembles(1));
  $("#adhoc-list").addEventListener("click", (e) => {
    const b = e.target.closest("[data-remove]");
    if (b) { state.adhoc.splice(+b.dataset.remove, 1); showAdhoc(); }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wire();
  loadInfo().catch((e) => toast(e.message));
});
