// tf_weightmagic inspector: renders the kernel's WeightReport (stats and histograms only)
// and sends validated action requests back. No network, no build step.

const KERAS_LOSSES = ["mse", "mae", "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"];
const OPTIMIZERS = ["sgd", "adam", "rmsprop", "compiled"];
const PAGE = 200;
const SVG = "http://www.w3.org/2000/svg";

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function num(x) {
  if (x === null || x === undefined) return "–";
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

function int(n) {
  return Number(n).toLocaleString("en-US");
}

function histogram(counts, width, height, testid = "histogram") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("data-testid", testid);
  svg.setAttribute("class", "tfwm-hist");
  const top = Math.max(1, ...counts);
  const bar = width / Math.max(counts.length, 1);
  counts.forEach((c, i) => {
    if (!c) return;
    const rect = document.createElementNS(SVG, "rect");
    const bh = (height * c) / top;
    rect.setAttribute("x", (i * bar).toFixed(2));
    rect.setAttribute("y", (height - bh).toFixed(2));
    rect.setAttribute("width", Math.max(bar - 0.5, 0.5).toFixed(2));
    rect.setAttribute("height", bh.toFixed(2));
    svg.append(rect);
  });
  return svg;
}

function strip(columns) {
  // distribution over time: one column per refresh, one cell per bin, darker = more values
  const svg = document.createElementNS(SVG, "svg");
  const cell = 4;
  svg.setAttribute("width", columns.length * cell);
  svg.setAttribute("height", 16 * 2);
  svg.setAttribute("data-testid", "history-strip");
  columns.forEach((col, x) => {
    [...col.c].forEach((d, b) => {
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", x * cell);
      rect.setAttribute("y", (15 - b) * 2);
      rect.setAttribute("width", cell);
      rect.setAttribute("height", 2);
      rect.setAttribute("fill-opacity", (Number(d) / 9).toFixed(2));
      svg.append(rect);
    });
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${col.t}: ${num(col.lo)} … ${num(col.hi)}`;
    svg.append(title);
  });
  return svg;
}

function heat(map) {
  const canvas = h("canvas", { width: map.cols, height: map.rows, "data-testid": "heatmap", class: "tfwm-heat" });
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(map.cols, map.rows);
  map.values.forEach((v, i) => {
    image.data.set([v, 64, 255 - v, 255], i * 4);
  });
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function badge(text, kind, testid) {
  return h("span", { class: `tfwm-b ${kind || ""}`, "data-testid": testid }, text);
}

const FLAGS = { nan: "NaN", all_nan: "ALL NaN", inf: "Inf", all_zero: "ALL ZERO", replicas_differ: "REPLICAS DIFFER" };

function render({ model, el }) {
  const state = { expanded: new Set(), query: "", shown: PAGE, nextId: 1 };
  const root = h("div", { class: "tfwm-w", "data-testid": "tf-weightmagic" });
  el.append(root);

  function send(message) {
    message.id = state.nextId++;
    model.send(message);
  }

  function children(report) {
    const kids = new Map();
    for (const layer of report.layers) {
      const list = kids.get(layer.parent) || [];
      list.push(layer);
      kids.set(layer.parent, list);
    }
    return kids;
  }

  function variableRow(v, depth) {
    const s = v.stats;
    const history = (model.get("history") || {})[v.path];
    return h("tr", { class: "tfwm-var", "data-testid": "variable-row", "data-path": v.path,
                     onclick: () => send({ action: "select", path: v.path }) },
      h("td", { style: `padding-left:${depth * 14 + 18}px` }, v.path.split("/").pop()),
      h("td", {}, `(${v.shape.join(", ")}${v.shape.length === 1 ? "," : ""})`),
      h("td", {}, v.dtype + (v.compute_dtype ? `→${v.compute_dtype}` : "")),
      h("td", {}, v.trainable ? badge("trainable", "ok") : badge("frozen", "off")),
      h("td", { class: "n" }, int(v.size)),
      h("td", { class: "n" }, s ? num(s.mean) : ""), h("td", { class: "n" }, s ? num(s.std) : ""),
      h("td", { class: "n" }, s ? num(s.min) : ""), h("td", { class: "n" }, s ? num(s.max) : ""),
      h("td", {}, v.histogram ? histogram(v.histogram.counts, 96, 18) : ""),
      h("td", {}, history && history.length > 1 ? strip(history) : ""),
      h("td", {}, v.flags.map((f) => badge(FLAGS[f] || f, "bad", "flag"))),
    );
  }

  function layerRow(layer, hasBody) {
    const open = state.expanded.has(layer.path);
    const toggle = h("input", { type: "checkbox", "data-testid": "trainable-toggle", "data-path": layer.path,
                                checked: layer.trainable, title: "trainable",
                                onclick: (e) => { e.stopPropagation(); send({ action: "set_trainable", path: layer.path, value: e.target.checked }); } });
    return h("tr", { class: "tfwm-layer", "data-testid": "layer-row", "data-path": layer.path,
                     onclick: () => { open ? state.expanded.delete(layer.path) : state.expanded.add(layer.path); draw(); } },
      h("td", { style: `padding-left:${layer.depth * 14}px` }, h("span", { class: "tfwm-caret" }, hasBody ? (open ? "▾ " : "▸ ") : "  "),
        h("b", { "data-testid": "layer-name" }, layer.name), " ", h("span", { class: "tfwm-dim" }, layer.class)),
      h("td", { colspan: 2 }, layer.built ? badge("built", "ok", "badge-built") : badge("not built", "off", "badge-built"),
        layer.pending.length ? h("span", { class: "tfwm-dim" }, " will create " + layer.pending.map((p) => `${p.name} (${p.shape.map((d) => d ?? "?").join(", ")})`).join(", ")) : ""),
      h("td", {}, h("label", { class: "tfwm-toggle" }, toggle, layer.trainable ? badge("trainable", "ok", "badge-trainable") : badge("frozen", "off", "badge-trainable"))),
      h("td", { class: "n", colspan: 5 }, `${int(layer.trainable_params)} trainable · ${int(layer.non_trainable_params)} non-trainable`),
      h("td", { colspan: 3 }, layer.note ? h("span", { class: "tfwm-dim" }, layer.note) : ""),
    );
  }

  function treeRows(report) {
    const kids = children(report);
    const vars = new Map(report.variables.map((v) => [v.path, v]));
    const rows = [];
    const walk = (layer) => {
      const sub = layer.shared_with ? [] : kids.get(layer.path) || [];
      const own = layer.variables.map((p) => vars.get(p)).filter(Boolean);
      rows.push(layerRow(layer, sub.length + own.length > 0));
      if (!state.expanded.has(layer.path)) return;
      own.forEach((v) => rows.push(variableRow(v, layer.depth + 1)));
      sub.forEach(walk);
    };
    (kids.get(null) || []).forEach(walk);
    if (!report.layers.length) report.variables.forEach((v) => rows.push(variableRow(v, 0)));
    return rows;
  }

  function searchRows(report) {
    const q = state.query.toLowerCase();
    return report.variables.filter((v) => v.path.toLowerCase().includes(q)).map((v) => variableRow(v, 0));
  }

  function detailPane() {
    const d = model.get("detail") || {};
    if (!d.path) return h("div", { class: "tfwm-detail tfwm-dim", "data-testid": "detail" }, "Click a variable for details and actions.");
    const s = d.stats;
    const input = (id, value) => h("input", { type: "number", step: "any", value, "data-testid": id, class: "tfwm-num" });
    const constant = input("constant-input", 0), factor = input("scale-input", 0.5), std = input("noise-input", 0.01);
    const act = (message) => () => send(message());
    return h("div", { class: "tfwm-detail", "data-testid": "detail" },
      h("div", {}, h("b", {}, d.path), ` (${d.shape.join(", ")}) ${d.dtype}`),
      h("div", { class: "tfwm-dim" }, `min ${num(s.min)} · max ${num(s.max)} · mean ${num(s.mean)} · std ${num(s.std)} · zeros ${(100 * s.zero_fraction).toFixed(1)}% · NaN ${s.nan} · Inf ${s.inf} · ‖w‖ ${num(s.norm)}`),
      h("div", { class: "tfwm-pictures" },
        h("div", {}, histogram(d.histogram.counts, 320, 72, "detail-histogram"),
          h("div", { class: "tfwm-dim" }, `${num(d.histogram.edges[0])} … ${num(d.histogram.edges[d.histogram.edges.length - 1])}`)),
        d.heatmap ? h("div", {}, heat(d.heatmap), h("div", { class: "tfwm-dim" }, `${d.heatmap.rows}×${d.heatmap.cols} block means (fan-in × fan-out), ${num(d.heatmap.min)} … ${num(d.heatmap.max)}`)) : ""),
      h("div", { class: "tfwm-actions" },
        constant, h("button", { "data-testid": "set-constant", onclick: act(() => ({ action: "set_constant", path: d.path, value: Number(constant.value) })) }, "set to"),
        factor, h("button", { "data-testid": "scale", onclick: act(() => ({ action: "scale", path: d.path, factor: Number(factor.value) })) }, "scale by"),
        std, h("button", { "data-testid": "add-noise", onclick: act(() => ({ action: "add_noise", path: d.path, std: Number(std.value) })) }, "add noise σ"),
        h("button", { "data-testid": "reinit", onclick: act(() => ({ action: "reinit", path: d.path })) }, "re-initialize"),
      ),
    );
  }

  function stepPanel() {
    const names = model.get("names") || { arrays: [], losses: [], optimizers: [] };
    const select = (id, options) => h("select", { "data-testid": id }, options.map((o) => h("option", { value: o }, o)));
    const x = select("step-x", names.arrays), y = select("step-y", names.arrays);
    if (names.arrays.includes("y")) y.value = "y";
    const loss = select("step-loss", [...names.losses, ...KERAS_LOSSES]);
    const optimizer = select("step-optimizer", [...OPTIMIZERS, ...names.optimizers]);
    const lr = h("input", { type: "number", step: "any", value: 0.01, class: "tfwm-num", "data-testid": "step-lr" });
    const steps = h("input", { type: "number", min: 1, value: 1, class: "tfwm-num", "data-testid": "step-steps" });
    return h("div", { class: "tfwm-step" }, "step on x ", x, " y ", y, " loss ", loss, " optimizer ", optimizer, " lr ", lr, " steps ", steps, " ",
      h("button", { "data-testid": "step", onclick: () => send({ action: "step", x: x.value, y: y.value, loss: loss.value, optimizer: optimizer.value,
                                                                 lr: Number(lr.value), steps: Math.round(Number(steps.value)) }) }, "take step"));
  }

  function draw() {
    const report = model.get("report");
    if (!report || !report.layers) return;
    if (state.expanded.size === 0 && report.layers.length) state.expanded.add(report.layers[0].path);
    const search = h("input", { type: "search", placeholder: "search variable paths", value: state.query, "data-testid": "search",
                                oninput: (e) => { state.query = e.target.value; state.shown = PAGE; drawRows(); } });
    const header = h("div", { class: "tfwm-head" },
      h("b", {}, report.class), ` '${report.target}' `, badge(report.build_state, report.build_state === "built" ? "ok" : "off", "badge-state"),
      ` ${int(report.params)} params (${int(report.trainable_params)} trainable, ${int(report.non_trainable_params)} non-trainable) · ${report.total_variables} variables `,
      search,
      h("button", { "data-testid": "undo", onclick: () => send({ action: "undo" }) }, "undo"),
      h("button", { "data-testid": "refresh", onclick: () => send({ action: "refresh" }) }, "refresh"));
    const notes = report.notes.map((n) => h("div", { class: "tfwm-note" }, n));
    const table = h("table", { class: "tfwm-table" });
    const more = h("div");
    function drawRows() {
      const rows = state.query ? searchRows(report) : treeRows(report);
      table.replaceChildren(h("tr", {}, ["layer / variable", "shape", "dtype", "trainable", "size", "mean", "std", "min", "max", "histogram", "over time", ""].map((t) => h("th", {}, t))),
        ...rows.slice(0, state.shown));
      more.replaceChildren(rows.length > state.shown
        ? h("button", { "data-testid": "show-more", onclick: () => { state.shown += PAGE; drawRows(); } }, `show more (${rows.length - state.shown} left)`) : "");
    }
    drawRows();
    const status = model.get("status") || {};
    root.replaceChildren(header, ...notes, h("div", { class: "tfwm-body" }, h("div", { class: "tfwm-tree" }, table, more), detailPane()), stepPanel(),
      h("pre", { class: `tfwm-status ${status.kind || ""}`, "data-testid": "status" }, status.text || ""));
    const focused = root.querySelector("[data-testid=search]");
    if (state.query && focused) { focused.focus(); focused.setSelectionRange(state.query.length, state.query.length); }
  }

  const events = ["change:report", "change:history", "change:detail", "change:status", "change:names"];
  events.forEach((e) => model.on(e, draw));
  draw();
  return () => events.forEach((e) => model.off(e, draw));
}

export default { render };
