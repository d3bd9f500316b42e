// ani-graph inspect panel: click a box, or Tab to it and press Enter, to see it in full.
// Loaded before player.js (same scope); the player calls inspectPanels() from mount().
// The data (inspect_data.py) is one JSON object keyed by node id, numbers already rounded
// and heatmap cells already mapped to the palette of style.diverging: nothing is computed here.

function inspectTable(rows, shape) {
  const table = makeElement("table", "ag-inspect-table");
  const cols = rows.reduce((m, r) => Math.max(m, r.length), 0);
  // column numbers, then each row with its number
  if (shape.length >= 2 || rows.length > 1) {
    const head = table.createTHead().insertRow();
    head.append(makeElement("th", "ag-inspect-corner"));
    for (let j = 0; j < cols; j++) { const th = makeElement("th", "", { scope: "col" }); th.textContent = j; head.append(th); }
  }
  const body = table.createTBody();
  rows.forEach((row, i) => {
    const tr = body.insertRow();
    if (shape.length >= 2 || rows.length > 1) {
      const th = makeElement("th", "", { scope: "row" });
      th.textContent = shape.length === 1 ? i * cols : i;
      tr.append(th);
    }
    for (const text of row) { const td = tr.insertCell(); td.textContent = text; }
  });
  return table;
}

function inspectHeat(heat, palette, what) {
  const box = makeElement("div", "ag-inspect-heatbox");
  const size = Math.max(4, Math.min(22, Math.floor(264 / Math.max(heat.cols, heat.rows))));
  const grid = makeElement("div", "ag-heat", { role: "img",
    "aria-label": "heatmap of the " + what + ", " + heat.rows + " by " + heat.cols + ", blue negative, vermillion positive" });
  grid.style.gridTemplateColumns = "repeat(" + heat.cols + ", " + size + "px)";
  grid.style.gridAutoRows = size + "px";
  const cells = document.createDocumentFragment();
  // one letter per cell: "a" is palette[0] (inspect_data.py)
  for (let i = 0; i < heat.cells.length; i++) {
    const c = document.createElement("span");
    c.className = "ag-heat-cell";
    c.style.background = palette[heat.cells.charCodeAt(i) - 97];
    cells.append(c);
  }
  grid.append(cells);
  const legend = makeElement("div", "ag-heat-legend", { "aria-hidden": "true" });
  const mid = palette[(palette.length - 1) / 2];
  const bar = makeElement("span", "ag-heat-bar");
  bar.style.background = "linear-gradient(to right, " + palette[0] + ", " + mid + ", " + palette[palette.length - 1] + ")";
  const low = makeElement("span", "ag-heat-tick"), zero = makeElement("span", "ag-heat-tick"), high = makeElement("span", "ag-heat-tick");
  low.textContent = heat.limit === "0" ? "0" : "\u2212" + heat.limit;
  zero.textContent = "0";
  high.textContent = heat.limit;
  const ticks = makeElement("span", "ag-heat-ticks");
  ticks.append(low, zero, high);
  legend.append(bar, ticks);
  box.append(grid, legend);
  if (heat.note) { const note = makeElement("div", "ag-inspect-note"); note.textContent = heat.note; box.append(note); }
  return box;
}

function inspectBlock(title, block, palette, shape, shown) {
  const sec = makeElement("section", "ag-inspect-block");
  const h = makeElement("h4", "");
  h.textContent = title;
  sec.append(h);
  if (!block) { const p = makeElement("p", "ag-inspect-note"); p.textContent = "none: nothing flows back to it"; sec.append(p); return sec; }
  if (!shown) { const p = makeElement("p", "ag-inspect-note"); p.textContent = "not reached yet at this step"; sec.append(p); return sec; }
  const summary = makeElement("p", "ag-inspect-summary");
  summary.textContent = block.summary;
  sec.append(summary);
  const row = makeElement("div", "ag-inspect-row");
  if (block.table) row.append(inspectTable(block.table, shape));
  if (block.heat) row.append(inspectHeat(block.heat, palette, title.toLowerCase()));
  sec.append(row);
  return sec;
}

function inspectOp(body, entry, reached) {
  const rule = makeElement("p", "ag-inspect-rule");
  rule.textContent = "Local rule: " + entry.rule;
  body.append(rule);
  if (entry.module) { const m = makeElement("p", "ag-inspect-note"); m.textContent = "in module " + entry.module; body.append(m); }
  if (entry.source) {
    const p = makeElement("p", "ag-inspect-note");
    p.textContent = "Its backward, as written:";
    const pre = makeElement("pre", "ag-inspect-source");
    pre.textContent = entry.source;
    body.append(p, pre);
  }
  const h = makeElement("h4", "");
  h.textContent = "With this graph's numbers";
  body.append(h);
  if (!reached || !entry.numbers.length) {
    const p = makeElement("p", "ag-inspect-note");
    p.textContent = entry.after === null || entry.after === undefined ? "no gradient passes through it" :
      entry.numbers.length ? "shown once the backward pass reaches it" : "no input takes a gradient";
    body.append(p);
    return;
  }
  const list = makeElement("ul", "ag-inspect-numbers");
  for (const line of entry.numbers) { const li = document.createElement("li"); li.textContent = line; list.append(li); }
  body.append(list);
}

// what a screen reader says for a box: "tensor W1, 4 by 3", "operation × (mul)" (inspect_data.spoken_shape)
function inspectLabel(entry) {
  if (entry.rule !== undefined) return "operation " + entry.label + " (" + entry.name + ")";
  const s = entry.shape;
  const spoken = !s.length ? "a scalar" : s.length === 1 ? s[0] + " values" : s.join(" by ");
  return "tensor " + entry.name + ", " + spoken;
}

function inspectPanels(ui, model, drawing, steps) {
  let data = null;
  const load = () => data || (data = model.get("inspect") || { palette: [], nodes: {} });
  // recorded training steps: each step has its own panels, picked by the current frame's `step`
  const entryOf = (g) => {
    if (!g) return undefined;
    const d = load(), id = g.getAttribute("data-node");
    const frame = d.steps ? (model.get("frames") || [])[steps.current()] : null;
    const own = frame && typeof frame.step === "number" ? d.steps[frame.step] : null;
    return (own || d.nodes)[id];
  };
  for (const g of ui.svg.querySelectorAll(".ag-node[data-node]")) {
    const entry = entryOf(g);
    if (!entry) continue;
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-haspopup", "dialog");
    g.setAttribute("aria-label", inspectLabel(entry));
  }
  const dialog = makeElement("div", "ag-inspect", { role: "dialog", "aria-modal": "false", tabindex: "-1" });
  dialog.hidden = true;
  ui.root.append(dialog);
  // the node that opened the panel: focus goes back to it
  let from = null;
  const shows = (id, which) => {
    const s = drawing.slot(JSON.stringify(["node", id, which]));
    // no badge to go by: show it
    return !s || s.text.textContent !== "";
  };
  const close = () => {
    if (dialog.hidden) return;
    dialog.hidden = true;
    if (from) from.focus();
  };
  const open = (g) => {
    const entry = entryOf(g);
    if (!entry) return;
    const id = g.getAttribute("data-node");
    // read where the box is before changing anything, so no layout is forced in between
    const box = g.getBoundingClientRect(), room = ui.root.getBoundingClientRect();
    from = g;
    dialog.replaceChildren();
    const head = makeElement("div", "ag-inspect-head");
    const title = makeElement("h3", "ag-inspect-title", { id: "ag-inspect-" + Math.random().toString(36).slice(2) });
    const isOp = entry.rule !== undefined;
    title.textContent = isOp ? entry.label + " (" + entry.name + ")" : entry.name;
    const shut = makeElement("button", "ag-button ag-inspect-close", { type: "button", "aria-label": "Close" });
    shut.textContent = "\u00d7";
    shut.addEventListener("click", close);
    head.append(title, shut);
    dialog.setAttribute("aria-labelledby", title.id);
    const body = makeElement("div", "ag-inspect-body");
    if (isOp) {
      inspectOp(body, entry, entry.after !== null && entry.after !== undefined && steps.current() >= entry.after);
    } else {
      const facts = makeElement("p", "ag-inspect-facts");
      facts.textContent = entry.role + " \u00b7 shape " + (entry.shape.length ? entry.shape.join("\u00d7") : "scalar") +
        " \u00b7 " + (entry.dtype || "float32");
      body.append(facts,
        inspectBlock("Value", entry.value, load().palette, entry.shape, shows(id, "value")),
        inspectBlock("Gradient", entry.grad, load().palette, entry.shape, shows(id, "grad")));
    }
    // a quiz asks about this element (quiz.js)
    const asked = g.getAttribute("data-asked-element");
    if (asked !== null && !isOp && typeof quizMarkPanel === "function") quizMarkPanel(body, Number(asked), entry.shape);
    dialog.append(head, body);
    // the panel takes the side of the drawing away from the box, so both stay in view
    dialog.classList.toggle("ag-inspect-left", box.left + box.width / 2 > room.left + room.width / 2);
    // a narrow player has no side to spare: the panel goes under the controls instead
    dialog.classList.toggle("ag-inspect-under", room.width < 960);
    dialog.hidden = false;
    dialog.focus({ preventScroll: true });
    if (dialog.classList.contains("ag-inspect-under")) dialog.scrollIntoView({ block: "nearest" });
  };
  ui.stage.addEventListener("click", (ev) => {
    const g = ev.target.closest && ev.target.closest(".ag-node[data-node]");
    if (g && !ev.defaultPrevented) open(g);
  });
  ui.stage.addEventListener("keydown", (ev) => {
    const g = ev.target.closest && ev.target.closest(".ag-node[data-node]");
    if (!g || (ev.key !== "Enter" && ev.key !== " ")) return;
    ev.preventDefault();
    // Space opens the panel here; it does not play
    ev.stopPropagation();
    open(g);
  });
  dialog.addEventListener("keydown", (ev) => {
    // keys in the panel are the panel's, not the player's shortcuts
    ev.stopPropagation();
    if (ev.key === "Escape") { ev.preventDefault(); close(); }
  });
  return { open, close };
}
