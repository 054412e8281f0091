// tf_weightmagic inspector: draws the kernel's WeightReport (statistics and histograms only,
// never values) and sends action requests back as custom messages, each with an id. The
// kernel validates every request; this file only builds them. No network, no build step.
//
// Synced from the kernel: report, history, detail, status, names. This view never writes
// state back to the model (the kernel ignores it anyway): reopening a notebook with saved
// widget state cannot act in the kernel; only the requests below, sent on a click, can.

const KERAS_LOSSES = ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mse", "mae", "huber"];
const OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "compiled"];
const PAGE = 200;
const SVG = "http://www.w3.org/2000/svg";
const FLAGS = { nan: "NaN", all_nan: "ALL NaN", inf: "Inf", all_zero: "ALL ZERO", replicas_differ: "REPLICAS DIFFER" };

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== "") node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, value);
  children.forEach((c) => node.append(c));
  return node;
}

function num(x) {
  if (x === null || x === undefined) return "–";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

function int(n) {
  return Number(n).toLocaleString("en-US");
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

function shape(dims) {
  return `(${dims.map((d) => d ?? "?").join(", ")}${dims.length === 1 ? "," : ""})`;
}

// A histogram as SVG bars; a thin mark at zero when zero lies inside the range.
function histogram(hist, width, height, testid) {
  const counts = hist.counts;
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "tfwm-hist", "data-testid": testid });
  const top = Math.max(1, ...counts);
  const bar = width / Math.max(counts.length, 1);
  counts.forEach((c, i) => {
    if (!c) return;
    const bh = Math.max(1, (height * c) / top);
    svg.append(s("rect", { x: (i * bar).toFixed(2), y: (height - bh).toFixed(2), width: Math.max(bar - (bar > 3 ? 1 : 0.3), 0.5).toFixed(2), height: bh.toFixed(2) }));
  });
  const lo = hist.edges[0], hi = hist.edges[hist.edges.length - 1];
  if (lo < 0 && hi > 0) {
    const x = ((0 - lo) / (hi - lo)) * width;
    svg.append(s("line", { x1: x.toFixed(2), x2: x.toFixed(2), y1: 0, y2: height, class: "tfwm-zero" }));
  }
  svg.append(s("title", {}, document.createTextNode(`${num(lo)} … ${num(hi)}, ${counts.length} bins, tallest ${int(top)}`)));
  return svg;
}

// Distribution over time, like TensorBoard's: one column per refresh, all on one value axis
// (the range over the whole strip), darker = more values in that band.
function strip(columns, cell, height, testid) {
  const lo = Math.min(...columns.map((c) => c.lo)), hi = Math.max(...columns.map((c) => c.hi));
  const span = hi - lo || 1;
  const y = (v) => height - ((v - lo) / span) * height;
  const svg = s("svg", { width: columns.length * cell, height, class: "tfwm-strip", "data-testid": testid });
  columns.forEach((col, x) => {
    const bins = col.c.length, step = (col.hi - col.lo) / bins;
    const g = s("g");
    [...col.c].forEach((d, b) => {
      if (d === "0") return;
      const top = hi === lo ? 0 : y(col.lo + (b + 1) * step), bottom = hi === lo ? height : y(col.lo + b * step);
      g.append(s("rect", { x: x * cell, y: top.toFixed(2), width: cell, height: Math.max(1, bottom - top).toFixed(2), "fill-opacity": (0.12 + (0.88 * Number(d)) / 9).toFixed(2) }));
    });
    g.append(s("title", {}, document.createTextNode(`${col.t}: ${num(col.lo)} … ${num(col.hi)}`)));
    svg.append(g);
  });
  svg.append(s("title", {}, document.createTextNode(`${columns[0].t} → ${columns[columns.length - 1].t}, values ${num(lo)} … ${num(hi)}`)));
  return svg;
}

// A ≤ 32×32 block-mean view of a kernel, diverging colours: blue < 0 < red, white at zero.
function heat(map) {
  const canvas = h("canvas", { width: map.cols, height: map.rows, "data-testid": "heatmap", class: "tfwm-heat" });
  const zoom = Math.max(1, Math.floor(160 / Math.max(map.rows, map.cols)));
  canvas.style.width = `${map.cols * zoom}px`;
  canvas.style.height = `${map.rows * zoom}px`;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(map.cols, map.rows);
  const cells = Int8Array.from(atob(map.cells), (c) => c.charCodeAt(0));  // -128: a block holding NaN/Inf
  cells.forEach((v, i) => {
    let rgb;
    if (v === -128) rgb = [255, 0, 255];
    else {
      const t = Math.min(1, Math.abs(v) / 127);
      rgb = v < 0 ? [255 - 196 * t, 255 - 179 * t, 255 - 63 * t] : [255 - 75 * t, 255 - 251 * t, 255 - 217 * t];
    }
    image.data.set([...rgb.map(Math.round), 255], i * 4);
  });
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function badge(text, kind, testid, title) {
  return h("span", { class: `tfwm-b ${kind || ""}`, "data-testid": testid, title }, text);
}

function render({ model, el }) {
  const state = {
    expanded: new Set(), opened: false, closed: null, query: "", shown: PAGE, nextId: 1, pending: null,
    form: { constant: 0, factor: 0.5, std: 0.01, x: null, y: null, loss: null, optimizer: "sgd", lr: 0.01, steps: 1 },
  };
  const root = h("div", { class: "tfwm-w", "data-testid": "tf-weightmagic" });
  const head = h("div", { class: "tfwm-head" });
  const notes = h("div", { class: "tfwm-notes" });
  const tree = h("div", { class: "tfwm-tree", "data-testid": "tree" });
  const detail = h("div", { class: "tfwm-detail", "data-testid": "detail" });
  const stepPanel = h("div", { class: "tfwm-step", "data-testid": "step-panel" });
  const status = h("pre", { class: "tfwm-status", "data-testid": "status" });
  root.append(head, notes, h("div", { class: "tfwm-body" }, tree, detail), stepPanel, status);
  el.append(root);

  function send(message) {
    message.id = state.nextId++;
    if (message.action !== "select") {
      state.pending = { id: message.id, action: message.action };
      drawStatus();
    }
    model.send(message);
  }

  const search = h("input", { type: "search", placeholder: "search variable paths…", "data-testid": "search",
                              oninput: (e) => { state.query = e.target.value; state.shown = PAGE; drawTree(); } });

  // ----- header: target, build state, totals like %weights, search, buttons ------------------
  function drawHead() {
    const r = model.get("report") || {};
    const allPaths = (r.layers || []).map((l) => l.path);
    head.replaceChildren(
      h("span", { class: "tfwm-title" }, h("b", {}, r.target), " ", h("span", { class: "tfwm-dim" }, r.class)),
      badge(r.build_state, r.build_state === "built" ? "ok" : "off", "badge-state"),
      h("span", { class: "tfwm-totals", "data-testid": "totals" },
        `${int(r.params)} params (${int(r.trainable_params)} trainable, ${int(r.non_trainable_params)} non-trainable) · ${bytes(r.bytes)} · ${r.total_variables} variable${r.total_variables === 1 ? "" : "s"}`),
      h("span", { class: "tfwm-spacer" }),
      h("span", { class: "tfwm-tools" },
        search,
        h("button", { title: "expand every layer", "data-testid": "expand-all", onclick: () => { allPaths.forEach((p) => state.expanded.add(p)); drawTree(); } }, "expand all"),
        h("button", { title: "collapse every layer", "data-testid": "collapse-all", onclick: () => { state.expanded.clear(); drawTree(); } }, "collapse"),
        h("button", { title: "take back the last edit (the same journal as %setweights --undo)", "data-testid": "undo", onclick: () => send({ action: "undo" }) }, "↶ undo"),
        h("button", { title: "read the weights again", "data-testid": "refresh", onclick: () => send({ action: "refresh" }) }, "⟳ refresh")),
    );
    notes.replaceChildren(...(r.notes || []).map((n) => h("div", { class: "tfwm-note" }, n)));
  }

  // ----- the tree: layers (lazy: only expanded ones are drawn) and their variables -------------
  let treeCache = { report: null };
  function index(report) {
    if (treeCache.report === report) return treeCache;
    const kids = new Map();
    for (const layer of report.layers) {
      if (!kids.has(layer.parent)) kids.set(layer.parent, []);
      kids.get(layer.parent).push(layer);
    }
    treeCache = { report, kids, vars: new Map(report.variables.map((v) => [v.path, v])) };
    return treeCache;
  }

  function variableRow(v, depth, history, full) {
    const st = v.stats;
    const selected = shownDetail().path === v.path;
    const columns = history[v.path];
    return h("tr", { class: `tfwm-var${v.flags.length ? " tfwm-flagged" : ""}${selected ? " tfwm-selected" : ""}`, "data-testid": "variable-row", "data-path": v.path,
                     title: `${v.path}: click for details and actions`, onclick: () => select(v.path) },
      h("td", { style: `padding-left:${depth * 14 + 20}px` }, full ? v.path : v.path.split("/").pop(),
        v.flags.map((f) => badge(FLAGS[f] || f, "bad", "flag"))),
      h("td", {}, shape(v.shape)),
      h("td", { class: "tfwm-dim" }, v.dtype + (v.compute_dtype ? ` → ${v.compute_dtype}` : "")),
      h("td", {}, v.trainable ? badge("trainable", "ok", "badge-var-trainable") : badge("frozen", "off", "badge-var-trainable")),
      h("td", { class: "n" }, int(v.size)),
      h("td", { class: "n" }, st ? num(st.mean) : ""), h("td", { class: "n" }, st ? num(st.std) : ""),
      h("td", { class: "n" }, st ? num(st.min) : ""), h("td", { class: "n" }, st ? num(st.max) : ""),
      h("td", {}, v.histogram ? histogram(v.histogram, 100, 20, "histogram") : ""),
      state.hasHistory ? h("td", {}, columns && columns.length > 1 ? strip(columns, 4, 20, "history-strip") : "") : null,
    );
  }

  function layerRow(layer, hasBody) {
    const open = state.expanded.has(layer.path);
    const toggle = h("input", { type: "checkbox", "data-testid": "trainable-toggle", "data-path": layer.path, checked: layer.trainable,
                                title: `${layer.path}.trainable (like %setweights ${layer.name} --trainable ${layer.trainable ? "false" : "true"})`,
                                onclick: (e) => { e.stopPropagation(); send({ action: "set_trainable", path: layer.path, value: e.target.checked }); } });
    const params = layer.trainable_params + layer.non_trainable_params;
    const pending = layer.pending.length ? ` will create ${layer.pending.map((p) => `${p.name} ${shape(p.shape)}`).join(", ")}` : "";
    return h("tr", { class: "tfwm-layer", "data-testid": "layer-row", "data-path": layer.path, "aria-expanded": hasBody ? String(open) : undefined,
                     onclick: () => { if (!hasBody) return; open ? state.expanded.delete(layer.path) : state.expanded.add(layer.path); drawTree(); } },
      h("td", { style: `padding-left:${layer.depth * 14}px` },
        h("span", { class: "tfwm-caret" }, hasBody ? (open ? "▾" : "▸") : ""),
        h("b", { "data-testid": "layer-name" }, layer.name), " ", h("span", { class: "tfwm-dim" }, layer.class),
        layer.shared_with ? h("span", { class: "tfwm-dim" }, ` (shared with ${layer.shared_with})`) : ""),
      h("td", { colspan: 2 }, layer.built ? badge("built", "ok", "badge-built") : badge("not built", "off", "badge-built", layer.note || ""),
        pending ? h("span", { class: "tfwm-dim" }, pending) : ""),
      h("td", {}, h("label", { class: "tfwm-toggle", onclick: (e) => e.stopPropagation() }, toggle,
        layer.trainable ? badge("trainable", "ok", "badge-trainable") : badge("frozen", "off", "badge-trainable"))),
      h("td", { class: "n", colspan: 5 }, `${int(layer.trainable_params)} trainable · ${int(layer.non_trainable_params)} non-trainable`),
      h("td", { colspan: state.hasHistory ? 2 : 1 },
        params ? h("button", { class: "tfwm-small", "data-testid": "layer-reinit", "data-path": layer.path, title: `re-initialize ${layer.path} with its own initializers (%setweights ${layer.name} --init)`,
                               onclick: (e) => { e.stopPropagation(); send({ action: "reinit", path: layer.path }); } }, "re-init") : ""),
    );
  }

  function treeRows(report, history) {
    const { kids, vars } = index(report);
    const rows = [];
    const walk = (layer) => {
      const sub = layer.shared_with ? [] : kids.get(layer.path) || [];
      const own = layer.variables.map((p) => vars.get(p)).filter(Boolean);
      rows.push(() => layerRow(layer, sub.length + own.length > 0));
      if (!state.expanded.has(layer.path)) return;
      own.forEach((v) => rows.push(() => variableRow(v, layer.depth + 1, history, false)));
      sub.forEach(walk);
    };
    (kids.get(null) || []).forEach(walk);
    if (!report.layers.length) report.variables.forEach((v) => rows.push(() => variableRow(v, 0, history, true)));
    return rows;
  }

  function drawTree() {
    const report = model.get("report");
    if (!report || !report.layers) return;
    const history = model.get("history") || {};
    state.hasHistory = Object.keys(history).length > 0;
    if (!state.opened && report.layers.length) {
      state.opened = true;
      (index(report).kids.get(null) || []).forEach((l) => state.expanded.add(l.path));
    }
    const q = state.query.toLowerCase();
    const rows = q ? report.variables.filter((v) => v.path.toLowerCase().includes(q)).map((v) => () => variableRow(v, 0, history, true))
                   : treeRows(report, history);
    const heads = ["layer / variable", "shape", "dtype", "trainable", "size", "mean", "std", "min", "max", "histogram", state.hasHistory ? "over time" : null];
    const table = h("table", { class: "tfwm-table" }, h("thead", {}, h("tr", {}, heads.filter((t) => t !== null).map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.slice(0, state.shown).map((make) => make())));
    const scroll = tree.scrollTop;
    tree.replaceChildren(table,
      q && !rows.length ? h("div", { class: "tfwm-dim tfwm-empty" }, `no variable path contains "${state.query}"`) : "",
      rows.length > state.shown ? h("button", { "data-testid": "show-more", onclick: () => { state.shown += PAGE; drawTree(); } },
        `show ${Math.min(PAGE, rows.length - state.shown)} more (${int(rows.length - state.shown)} left)`) : "");
    tree.scrollTop = scroll;
  }

  // ----- detail pane: one variable, bigger histogram, history, heatmap, actions ---------------
  function shownDetail() {
    const d = model.get("detail") || {};
    return d.path && d.path !== state.closed ? d : {};
  }

  function select(path) {
    state.closed = null;
    if ((model.get("detail") || {}).path === path) { drawDetail(); drawTree(); }
    send({ action: "select", path });
  }

  function drawDetail() {
    const d = shownDetail();
    if (!d.path) {
      detail.replaceChildren(h("div", { class: "tfwm-dim" }, "Click a variable for its detail and actions: set to a constant, scale, add noise, re-initialize."));
      return;
    }
    const st = d.stats;
    const input = (key, testid, title) => h("input", { type: "number", step: "any", value: state.form[key], "data-testid": testid, class: "tfwm-num", title,
                                                    oninput: (e) => { state.form[key] = e.target.value; } });
    const value = (key) => Number(state.form[key]);
    const columns = (model.get("history") || {})[d.path];
    const lo = d.histogram.edges[0], hi = d.histogram.edges[d.histogram.edges.length - 1];
    detail.replaceChildren(
      h("div", { class: "tfwm-detail-head" }, h("b", {}, d.path), ` ${shape(d.shape)} ${d.dtype} · ${int(d.size)} values · ${bytes(d.bytes)} `,
        d.trainable ? badge("trainable", "ok") : badge("frozen", "off"), (d.flags || []).map((f) => badge(FLAGS[f] || f, "bad", "flag")),
        h("button", { class: "tfwm-small tfwm-close", title: "close", onclick: () => { state.closed = d.path; drawDetail(); drawTree(); } }, "×")),
      h("div", { class: "tfwm-stats", "data-testid": "detail-stats" },
        [["min", st.min], ["max", st.max], ["mean", st.mean], ["std", st.std], ["‖w‖", st.norm]].map(([k, v]) => h("span", {}, h("i", {}, k), " ", num(v))),
        h("span", {}, h("i", {}, "zeros"), ` ${(100 * st.zero_fraction).toFixed(1)}%`), h("span", {}, h("i", {}, "NaN"), ` ${int(st.nan)}`), h("span", {}, h("i", {}, "Inf"), ` ${int(st.inf)}`)),
      h("div", { class: "tfwm-pictures" },
        h("figure", {}, histogram(d.histogram, 320, 80, "detail-histogram"),
          h("figcaption", {}, h("span", {}, num(lo)), h("span", {}, `${d.histogram.counts.length} bins`), h("span", {}, num(hi)))),
        columns && columns.length > 1 ? h("figure", {}, strip(columns, Math.max(4, Math.min(40, Math.floor(240 / columns.length))), 80, "detail-history"),
          h("figcaption", {}, h("span", {}, columns[0].t), h("span", {}, "distribution over time"), h("span", {}, columns[columns.length - 1].t))) : "",
        d.heatmap ? h("figure", {}, heat(d.heatmap),
          h("figcaption", { title: `each cell: the mean of a block of up to ${d.heatmap.block.join("×")} values` },
            `${d.heatmap.rows}×${d.heatmap.cols} block means (fan-in × fan-out), blue ${num(-d.heatmap.scale)} … red ${num(d.heatmap.scale)}`)) : ""),
      h("div", { class: "tfwm-actions" },
        h("span", { class: "tfwm-group" }, h("button", { "data-testid": "set-constant", onclick: () => send({ action: "set_constant", path: d.path, value: value("constant") }) }, "set to"), input("constant", "constant-input", "constant value")),
        h("span", { class: "tfwm-group" }, h("button", { "data-testid": "scale", onclick: () => send({ action: "scale", path: d.path, factor: value("factor") }) }, "scale by"), input("factor", "scale-input", "factor")),
        h("span", { class: "tfwm-group" }, h("button", { "data-testid": "add-noise", onclick: () => send({ action: "add_noise", path: d.path, std: value("std") }) }, "add noise σ"), input("std", "noise-input", "standard deviation of the Gaussian noise")),
        h("button", { "data-testid": "reinit", title: "the owning layer's configured initializer", onclick: () => send({ action: "reinit", path: d.path }) }, "re-initialize"),
      ),
    );
  }

  // ----- the gradient-step panel: names from the notebook, looked up (never evaluated) in the kernel --
  function drawStep() {
    const names = model.get("names") || { arrays: [], losses: [], optimizers: [] };
    const f = state.form;
    const pick = (key, preferred, options) => {
      if (!options.includes(f[key])) f[key] = preferred.find((p) => options.includes(p)) ?? options[0] ?? "";
    };
    const losses = [...(names.compiled_loss ? ["compiled"] : []), ...names.losses, ...KERAS_LOSSES.filter((l) => !names.losses.includes(l))];
    const optimizers = [...OPTIMIZERS.filter((o) => o !== "compiled" || names.compiled_optimizer), ...names.optimizers];
    pick("x", ["x", "x_batch", "x_train", "xs"], names.arrays);
    pick("y", ["y", "y_batch", "y_train", "ys"], names.arrays);
    pick("loss", [], losses);
    pick("optimizer", ["sgd"], optimizers);
    const select = (key, testid, options) => h("select", { "data-testid": testid, onchange: (e) => { f[key] = e.target.value; } },
      options.map((o) => h("option", { value: o, selected: o === f[key] }, o)));
    const number = (key, testid, attrs) => h("input", { type: "number", class: "tfwm-num", value: f[key], "data-testid": testid, ...attrs, oninput: (e) => { f[key] = e.target.value; } });
    stepPanel.replaceChildren(
      h("b", {}, "gradient step"),
      h("label", {}, "x ", select("x", "step-x", names.arrays)), h("label", {}, "y ", select("y", "step-y", names.arrays)),
      h("label", {}, "loss ", select("loss", "step-loss", losses)), h("label", {}, "optimizer ", select("optimizer", "step-optimizer", optimizers)),
      h("label", {}, "lr ", number("lr", "step-lr", { step: "any", min: 0 })), h("label", {}, "steps ", number("steps", "step-steps", { step: 1, min: 1 })),
      h("button", { "data-testid": "step", title: "like %setweights TARGET --step; undo takes it back",
                    onclick: () => send({ action: "step", x: f.x, y: f.y, loss: f.loss, optimizer: f.optimizer, lr: Number(f.lr), steps: Math.round(Number(f.steps)) }) }, "take step"),
      names.arrays.length ? "" : h("span", { class: "tfwm-dim" }, " no arrays in the notebook yet: define x and y, then refresh"),
    );
  }

  function drawStatus() {
    const st = model.get("status") || {};
    if (state.pending && st.id === state.pending.id) state.pending = null;
    status.className = `tfwm-status ${state.pending ? "pending" : st.kind || ""}`;
    status.textContent = state.pending ? `… ${state.pending.action.replace("_", " ")}` : st.text || "";
  }

  function drawAll() { drawHead(); drawTree(); drawDetail(); drawStep(); drawStatus(); }
  const handlers = {
    "change:report": () => { drawHead(); drawTree(); },
    "change:history": () => { drawTree(); drawDetail(); },
    "change:detail": () => { drawDetail(); drawTree(); },
    "change:names": drawStep,
    "change:status": drawStatus,
  };
  Object.entries(handlers).forEach(([event, fn]) => model.on(event, fn));
  drawAll();
  return () => Object.entries(handlers).forEach(([event, fn]) => model.off(event, fn));
}

export default { render };
