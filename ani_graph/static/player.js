// ani-graph player: steps through a frame list over an SVG drawn by render_svg.py.
// It only toggles classes and text: no layout, no kernel round trip per frame.
// Used as an anywidget module (default export) and inlined by the stand-alone page
// (which removes the final export line and calls mount() itself).

// A frame (frames.py) has separate fields: phase, caption, rule, nodes, edges, badges
// ({node: {value|grad|tangent: text}}) and edge_badges ([[u, v, text], ...]). Nothing is parsed.

// a small drawing grows up to this much over its natural size
const MAX_ENLARGE = 1.8;
// px kept free under the player when it sizes itself to the room it has
const SLACK = 24;
const ICONS = {
  prev: "M4 3h2v10H4zM14 3v10L7 8z",
  next: "M10 3h2v10h-2zM2 3v10l7-5z",
  play: "M4 2.5v11l9-5.5z",
  pause: "M4 3h3v10H4zM9 3h3v10H9z",
  zoomIn: "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
  zoomOut: "M3 7h10v2H3z",
  fit: "M2 2h5v2H4v3H2zM9 2h5v5h-2V4H9zM2 9h2v3h3v2H2zM12 9h2v5H9v-2h3z",
};

function icon(name) {
  return '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="' +
    ICONS[name] + '"/></svg>';
}

function makeButton(label, name, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "ag-button";
  b.setAttribute("aria-label", label);
  b.title = title || label;
  b.innerHTML = icon(name);
  return b;
}

function makeElement(tag, className, attrs) {
  const e = document.createElement(tag);
  e.className = className;
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

// ----- the player's elements ----------------------------------------------------------------
function buildPlayer(el, svgText, last) {
  const root = makeElement("div", "ag-player", { role: "group", "aria-label": "Autograd animation",
    "aria-keyshortcuts": "ArrowLeft ArrowRight Space Home End + - 0" });
  root.tabIndex = 0;
  const stage = makeElement("div", "ag-stage");
  stage.innerHTML = svgText;
  // the step with its numbers, and under it the op's local rule
  const caption = makeElement("div", "ag-caption", { "aria-live": "polite" });
  const stepLine = makeElement("div", "ag-step");
  const ruleLine = makeElement("div", "ag-rule");
  caption.append(stepLine, ruleLine);
  const controls = makeElement("div", "ag-controls");
  const prev = makeButton("Previous step", "prev");
  const play = makeButton("Play", "play");
  const next = makeButton("Next step", "next");
  const slider = makeElement("input", "ag-slider", { type: "range", min: "0", max: String(last), step: "1" });
  slider.setAttribute("aria-label", "Frame");
  const counter = makeElement("span", "ag-counter");
  const phase = makeElement("span", "ag-phase");
  // zoom: icons as inline SVG, since fonts on some machines lack the glyphs
  const zoom = makeElement("span", "ag-zoom", { role: "group", "aria-label": "Zoom" });
  const zoomOut = makeButton("Zoom out", "zoomOut", "Zoom out (−, or Ctrl + wheel)");
  const fit = makeButton("Fit", "fit", "Show the whole drawing (0)");
  const zoomIn = makeButton("Zoom in", "zoomIn", "Zoom in (+, or Ctrl + wheel); drag to move");
  zoom.append(zoomOut, fit, zoomIn);
  controls.append(prev, play, next, slider, counter, phase, zoom);
  root.append(stage, caption, controls);
  el.appendChild(root);
  const svg = stage.querySelector("svg");
  return { el, root, stage, svg, caption, stepLine, ruleLine, controls, prev, play, next, slider, counter, phase,
    zoomIn, zoomOut, fit };
}

// A caption breaks only at its spaces: each word is kept whole (`∂L/∂x` never splits
// after its slash). The text stays exactly the frame's caption.
function setWords(line, text) {
  if (line.textContent === text) return;
  line.replaceChildren();
  (text || "").split(" ").forEach((word, i) => {
    if (i) line.append(" ");
    // a very long word may still break
    if (word.length > 30) { line.append(word); return; }
    const span = document.createElement("span");
    span.className = "ag-word";
    span.textContent = word;
    line.append(span);
  });
}

// ----- the drawing in blocks ------------------------------------------------------------------
// A big drawing's boxes and edges are thousands of siblings under the <svg>. Chromium walks all
// of a parent's children to restyle or lay out any one of them, so a step that lights five
// boxes costs as much as the whole drawing. Wrapped in plain <g> blocks of about √n each (same
// order, so the picture is the same), a change only walks its block and the list of blocks.
// fewer top-level groups than this stay as they are
const BLOCK_FROM = 128;
function blockDrawing(svg) {
  // consecutive <g> children: only those are wrapped, so nothing changes order
  const runs = [[]];
  for (const child of Array.from(svg.children)) {
    if (child.tagName.toLowerCase() === "g") runs[runs.length - 1].push(child);
    else if (runs[runs.length - 1].length) runs.push([]);
  }
  for (const run of runs) {
    if (run.length < BLOCK_FROM) continue;
    const size = Math.ceil(Math.sqrt(run.length));
    for (let i = 0; i < run.length; i += size) {
      const block = document.createElementNS("http://www.w3.org/2000/svg", "g");
      block.setAttribute("class", "ag-block");
      run[i].before(block);
      block.append(...run.slice(i, i + size));
    }
  }
}

// ----- a crowd of lit boxes: drawn in two layers, the boxes themselves untouched ---------------
// Lighting a box restyles its shape (stroke, width, glow filter): tens of µs each in Chromium,
// so a frame that lights hundreds at once (a fan's inputs and constants) made the step after
// it, which un-lights them all, take 15-40 ms. A crowd (more boxes than MOTION_MAX) is drawn
// instead by copies of the boxes' outlines in two layers: under the boxes, each outline's glow
// alone (a filter that keeps only the shadow `drop-shadow` would cast: the box's own fill lies
// over it, as over its own shadow), and over the boxes, the outline in the lit stroke, unfilled.
// The picture is that of the lit boxes; ending a crowd only hides its two layers.
const SVG_NS = "http://www.w3.org/2000/svg";
// the blur of player.css's drop-shadow per flow; Chromium blurs a drop-shadow with this as the
// Gaussian's deviation (compared pixel by pixel with the lit boxes)
const GLOW_BLUR = { "ag-flow-fwd": 5, "ag-flow-back": 6, "ag-flow-tan": 5 };
// layers built for recent crowds, kept to show again without copying
const CROWDS_KEPT = 8;
let crowdDrawings = 0;
function crowdLayers(svg) {
  const boxes = svg.querySelectorAll(".ag-node");
  if (!boxes.length) return null;
  const [first, last] = [boxes[0], boxes[boxes.length - 1]];
  // ids unique on the page
  const tag = "ag-crowd" + (++crowdDrawings) + Math.random().toString(36).slice(2, 7);
  const defs = document.createElementNS(SVG_NS, "defs");
  defs.innerHTML = Object.entries(GLOW_BLUR).map(([flow, blur]) =>
    `<filter id="${tag}-${flow}" x="-50%" y="-50%" width="200%" height="200%" color-interpolation-filters="sRGB">` +
    `<feGaussianBlur in="SourceAlpha" stdDeviation="${blur}" result="a"/>` +
    `<feFlood style="flood-color: var(--ag-glow-${flow.slice(8)})"/><feComposite in2="a" operator="in"/></filter>`).join("");
  const layer = (kind, flow) => {
    const g = document.createElementNS(SVG_NS, "g");
    g.setAttribute("class", "ag-crowd ag-crowd-" + kind + " ag-lit " + flow);
    g.setAttribute("aria-hidden", "true");
    return g;
  };
  const build = (flow, gs) => {
    // a drawing that never shows a crowd stays as drawn
    if (!defs.isConnected) svg.prepend(defs);
    const under = layer("glow", flow), over = layer("ring", flow);
    for (const g of gs) {
      const shape = g.querySelector(":scope > .ag-shape");
      if (!shape) continue;
      const ring = shape.cloneNode(false);
      ring.setAttribute("data-for", g.getAttribute("data-node"));
      over.append(ring);
      if (!GLOW_BLUR[flow]) continue;
      const glow = ring.cloneNode(false);
      glow.setAttribute("filter", `url(#${tag}-${flow})`);
      under.append(glow);
    }
    return [under, over];
  };
  // key -> [under, over], the latest shown last
  const kept = new Map();
  let shown = null, sweeping = false;
  // a crowd's end only hides its layers (one restyle each); they leave the drawing when the
  // page is idle, not in the step
  const sweep = () => {
    sweeping = false;
    for (const layers of kept.values()) if (layers !== shown) for (const l of layers) l.remove();
  };
  const idle = window.requestIdleCallback ? (fn) => requestIdleCallback(fn, { timeout: 1000 }) : (fn) => setTimeout(fn, 250);
  // show the crowd `gs` lit in `flow` (none: gs null); `key` names it for the cache
  return (flow, gs, key) => {
    const layers = gs ? kept.get(key) || build(flow, gs) : null;
    if (layers === shown) return;
    if (shown) {
      for (const l of shown) l.style.opacity = "0";
      if (!sweeping) { sweeping = true; idle(sweep); }
    }
    shown = layers;
    if (!layers) return;
    kept.delete(key);
    kept.set(key, layers);
    if (kept.size > CROWDS_KEPT) {
      const [oldest] = kept.keys();
      for (const l of kept.get(oldest)) l.remove();
      kept.delete(oldest);
    }
    if (!layers[0].isConnected) { first.before(layers[0]); last.after(layers[1]); }
    for (const l of layers) l.style.opacity = "";
  };
}

// ----- elements by the ids the SVG promises -----------------------------------------------
function indexDrawing(svg) {
  const nodes = new Map();
  svg.querySelectorAll(".ag-node").forEach((g) => nodes.set(g.getAttribute("data-node"), g));
  // edges by their two ends; JSON of the pair is a key no node id can break
  const pairKey = (u, v) => JSON.stringify([u, v]);
  const edges = new Map();
  svg.querySelectorAll(".ag-edge").forEach((g) =>
    edges.set(pairKey(g.getAttribute("data-src"), g.getAttribute("data-dst")), g));
  // A slot is one text the frames change: a node's value or gradient badge, or an edge's
  // share. Its key is the JSON of ["node", id, which] or ["edge", u, v].
  const find = (key) => {
    const [what, a, b] = JSON.parse(key);
    if (what === "edge") {
      const g = edges.get(pairKey(a, b));
      const t = g ? g.querySelector(".ag-egrad") : null;
      return t ? { text: t, holder: t, steps: [] } : null;
    }
    const g = nodes.get(a);
    if (!g) return null;
    const which = b === "value" ? "val" : b === "tangent" ? "tan" : "grad";
    const t = g.querySelector(".ag-" + which);
    if (!t) return null;
    const holder = g.querySelector(".ag-badge-" + which) || t;
    // a heatmap per running sum of a gradient (data-text: the badge text it stands for), and the total's
    const steps = Array.from(holder.querySelectorAll(".ag-heat[data-text]"));
    const total = steps.length ? holder.querySelector(".ag-heat:not([data-text])") : null;
    return { text: t, holder, steps, total };
  };
  // looked up once: a step then only touches the elements it changes
  const slots = new Map();
  const slot = (key) => {
    if (!slots.has(key)) slots.set(key, find(key));
    return slots.get(key);
  };
  return { node: (n) => nodes.get(n), edge: (u, v) => edges.get(pairKey(u, v)), slot };
}

// ----- per-key history, so seeking touches only what differs -------------------------------
function textHistory(frames) {
  // key -> [[frame, text], ...], frames in increasing order
  const history = new Map();
  const touched = frames.map(() => []);
  const remember = (i, key, text) => {
    if (!history.has(key)) history.set(key, []);
    history.get(key).push([i, text]);
    touched[i].push(key);
  };
  frames.forEach((f, i) => {
    for (const [node, texts] of Object.entries(f.badges || {})) {
      for (const [which, text] of Object.entries(texts)) remember(i, JSON.stringify(["node", node, which]), text);
    }
    for (const [u, v, text] of f.edge_badges || []) remember(i, JSON.stringify(["edge", u, v]), text);
  });
  const textAt = (key, k) => {
    // binary search: the last entry at or before frame k
    const h = history.get(key);
    let lo = 0, hi = h.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (h[mid][0] <= k) lo = mid + 1; else hi = mid; }
    return lo === 0 ? "" : h[lo - 1][1];
  };
  return { keys: () => history.keys(), touched, textAt };
}

// ----- the stage: sized to the room it has; zoom and pan move the SVG's viewBox ------------
// The whole drawing shows at first ("fit"): as wide as the output allows, not taller than
// the scrolling area around it leaves under the caption and buttons, and at most
// MAX_ENLARGE times its natural size. Zooming shows part of it in the same space.

const framed = () => { try { return window.self !== window.top; } catch (e) { return true; } };

function roomHeight(el) {
  // An output in a frame of its own (Colab, VS Code) sees only that frame, which grows to
  // fit its content: judge by the screen instead, less the browser's and the notebook's bars.
  if (framed()) return Math.max(320, (screen.availHeight || 800) - 300);
  // a notebook's own scrolling area (JupyterLab, Notebook 7); elsewhere the nearest
  // ancestor that does scroll (an output area that merely fits its content does not count)
  const notebook = el.closest(".jp-WindowedPanel-outer, .jp-Notebook");
  if (notebook && notebook.clientHeight > 0) return Math.min(notebook.clientHeight, window.innerHeight || Infinity);
  for (let p = el.parentElement; p; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowY;
    if ((overflow === "auto" || overflow === "scroll") && p.scrollHeight > p.clientHeight + 1) return p.clientHeight;
  }
  return window.innerHeight || 720;
}

function stageSizer(ui, frames) {
  const box = ui.svg.viewBox.baseVal;
  const W = box.width || 600, H = box.height || 400;
  // px per drawing unit
  const natural = (parseFloat(ui.svg.getAttribute("width")) || W) / W;
  // the few longest texts of a field: the one with most lines is among them
  const longest = (field) => [...new Set(frames.map((f) => f[field] || ""))].sort((a, b) => b.length - a.length).slice(0, 6);
  // the caption keeps the height of its tallest text, so nothing jumps between steps
  const captionHeight = () => {
    const [step, rule] = [ui.stepLine.textContent, ui.ruleLine.textContent];
    const [steps, rules] = [longest("caption"), longest("rule")];
    ui.caption.style.minHeight = "";
    let h = 0;
    for (let i = 0; i < Math.max(steps.length, rules.length); i++) {
      setWords(ui.stepLine, steps[Math.min(i, steps.length - 1)] || "");
      setWords(ui.ruleLine, rules[Math.min(i, rules.length - 1)] || "");
      h = Math.max(h, ui.caption.offsetHeight);
    }
    setWords(ui.stepLine, step);
    setWords(ui.ruleLine, rule);
    ui.caption.style.minHeight = h + "px";
    return h;
  };
  // the drawing's scale in px per unit, or 0 while the player has no room yet
  return () => {
    const width = ui.el.clientWidth;
    if (!width) return 0;
    const gap = parseFloat(getComputedStyle(ui.root).rowGap) || 8;
    // the quiz's panel, when there is one
    const extra = ui.extra ? ui.extra.offsetHeight + gap : 0;
    const below = captionHeight() + ui.controls.offsetHeight + extra + 2 * gap + SLACK;
    const room = Math.max(160, roomHeight(ui.el) - below);
    const scale = Math.min(width / W, room / H, MAX_ENLARGE * natural);
    ui.svg.setAttribute("width", (W * scale).toFixed(1));
    ui.svg.setAttribute("height", (H * scale).toFixed(1));
    ui.root.style.setProperty("--ag-max", Math.round(W * scale) + "px");
    return scale;
  };
}

function zoomPan(ui, frames) {
  const box = ui.svg.viewBox.baseVal;
  const W = box.width || 600, H = box.height || 400;
  const resize = stageSizer(ui, frames);
  // px per unit at fit
  let scale = 0;
  // the part of the drawing shown
  let view = { x: 0, y: 0, w: W, h: H };
  let tween = 0;
  const zoomed = () => view.w < W - 0.5;
  const clamp = (v) => {
    const w = Math.min(W, Math.max(W / maxZoom(), v.w)), h = w * H / W;
    return { x: Math.min(Math.max(v.x, 0), W - w), y: Math.min(Math.max(v.y, 0), H - h), w, h };
  };
  // up to text about 40 px tall
  const maxZoom = () => Math.max(4, scale ? 40 / (11 * scale) : 4);
  const apply = () => {
    ui.svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map((v) => v.toFixed(2)).join(" "));
    ui.root.classList.toggle("ag-zoomed", zoomed());
    // styled here, not through the root (see show)
    ui.stage.classList.toggle("ag-zoomed", zoomed());
  };
  // glide there, unless the reader asked for less motion
  const moveTo = (target, smooth) => {
    cancelAnimationFrame(tween);
    target = clamp(target);
    const still = !smooth || (window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches);
    if (still) { view = target; apply(); return; }
    const from = view, t0 = performance.now();
    const step = (now) => {
      const t = Math.min(1, (now - t0) / 220), e = t * (2 - t);
      view = { x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e,
        w: from.w + (target.w - from.w) * e, h: from.h + (target.h - from.h) * e };
      apply();
      if (t < 1) tween = requestAnimationFrame(step);
    };
    tween = requestAnimationFrame(step);
  };
  // zoom by `factor` keeping the point (px, py) of the stage where it is (the middle by default)
  const zoomBy = (factor, px, py, smooth) => {
    const rect = ui.svg.getBoundingClientRect();
    const fx = px === undefined ? 0.5 : (px - rect.left) / rect.width;
    const fy = py === undefined ? 0.5 : (py - rect.top) / rect.height;
    const w = Math.min(W, Math.max(W / maxZoom(), view.w / factor));
    const h = w * H / W;
    moveTo({ x: view.x + fx * view.w - fx * w, y: view.y + fy * view.h - fy * h, w, h }, smooth);
  };
  // move the drawing with the pointer, by screen pixels
  const panBy = (dxPx, dyPx) => {
    const rect = ui.svg.getBoundingClientRect();
    const k = view.w / (rect.width || 1);
    moveTo({ ...view, x: view.x - dxPx * k, y: view.y - dyPx * k }, false);
  };
  const fit = () => moveTo({ x: 0, y: 0, w: W, h: H }, true);
  // keep what is lit in view: pan to it, and zoom out as far as needed to show all of it
  const follow = (els) => {
    if (!zoomed() || !els.length) return;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const g of els) {
      const b = g.getBBox();
      x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y); x1 = Math.max(x1, b.x + b.width); y1 = Math.max(y1, b.y + b.height);
    }
    const pad = 12;
    if (x0 >= view.x && x1 <= view.x + view.w && y0 >= view.y && y1 <= view.y + view.h) return;
    const w = Math.max(view.w, (x1 - x0 + 2 * pad), (y1 - y0 + 2 * pad) * W / H);
    const h = w * H / W;
    moveTo({ x: (x0 + x1) / 2 - w / 2, y: (y0 + y1) / 2 - h / 2, w, h }, true);
  };
  const layout = () => {
    // the player is as wide as the drawing, so a narrower drawing rewraps the caption, which
    // may leave less room for the drawing: measure again until the width settles
    for (let pass = 0; pass < 4; pass++) {
      const before = ui.root.offsetWidth;
      scale = resize() || scale;
      if (Math.abs(ui.root.offsetWidth - before) < 1) break;
    }
    view = clamp(view);
    apply();
  };
  return { layout, zoomBy, panBy, fit, follow, zoomed, stop: () => cancelAnimationFrame(tween) };
}

// Pointer and wheel: drag pans a zoomed drawing, two fingers pinch, Ctrl/⌘ + wheel zooms
// (a plain wheel keeps scrolling the notebook). Returns a function that detaches it all.
function pointerControls(ui, view) {
  const pointers = new Map();
  let pinch = null, dragged = false;
  const onWheel = (ev) => {
    if (!(ev.ctrlKey || ev.metaKey)) return;
    ev.preventDefault();
    view.zoomBy(Math.exp(-ev.deltaY * 0.0025), ev.clientX, ev.clientY, false);
  };
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  const onDown = (ev) => {
    if (ev.button !== 0) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY, x0: ev.clientX, y0: ev.clientY });
    dragged = false;
    if (pointers.size === 2) pinch = spread();
  };
  const onMove = (ev) => {
    const p = pointers.get(ev.pointerId);
    if (!p) return;
    const [dx, dy] = [ev.clientX - p.x, ev.clientY - p.y];
    p.x = ev.clientX; p.y = ev.clientY;
    if (pinch && pointers.size === 2) {
      const now = spread();
      view.zoomBy(now.d / pinch.d, now.x, now.y, false);
      pinch = now;
    } else if (view.zoomed()) {
      if (!dragged && Math.hypot(ev.clientX - p.x0, ev.clientY - p.y0) < 4) return;
      if (!dragged) ui.stage.setPointerCapture(ev.pointerId);
      dragged = true;
      ui.root.classList.add("ag-dragging");
      ui.stage.classList.add("ag-dragging");
      view.panBy(dx, dy);
    }
  };
  const onUp = (ev) => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    if (!pointers.size) { ui.root.classList.remove("ag-dragging"); ui.stage.classList.remove("ag-dragging"); }
  };
  const onClick = (ev) => { if (dragged) { ev.stopPropagation(); ev.preventDefault(); dragged = false; } };
  const stage = ui.stage;
  const listeners = [["wheel", onWheel, { passive: false }], ["pointerdown", onDown], ["pointermove", onMove],
    ["pointerup", onUp], ["pointercancel", onUp], ["click", onClick, true]];
  for (const [name, fn, opts] of listeners) stage.addEventListener(name, fn, opts);
  return () => { for (const [name, fn, opts] of listeners) stage.removeEventListener(name, fn, opts); };
}

// ----- stepping: what one frame shows ----------------------------------------------------------
function stepper(ui, drawing, frames, view) {
  const texts = textHistory(frames);
  const last = Math.max(frames.length - 1, 0);
  let current = -1;
  // the drawing may arrive with lights on; the player starts from none
  // element -> its flow class
  let lit = new Map(Array.from(ui.svg.querySelectorAll(".ag-lit"), (e) => [e, ""]));
  // badges whose text this frame wrote, highlighted until the next step
  let fresh = new Set();
  const crowds = crowdLayers(ui.svg);
  const setSlot = (key, text) => {
    const s = drawing.slot(key);
    if (!s) return;
    const t = s.text.firstChild;
    // the text node changes in place: a step makes no garbage nodes for a big jump to collect
    if (t && t.nodeType === 3 && !t.nextSibling) { if (t.data !== text) t.data = text; }
    else if (s.text.textContent !== text) s.text.textContent = text;
    s.holder.classList.toggle("ag-empty", text === "");
    if (s.steps.length) {
      const hit = s.steps.find((h) => h.getAttribute("data-text") === text);
      for (const h of s.steps) h.classList.toggle("ag-empty", h !== hit);
      if (s.total) s.total.classList.toggle("ag-empty", Boolean(hit));
    }
  };
  const writeTexts = (k) => {
    if (current < 0) {
      for (const key of texts.keys()) setSlot(key, texts.textAt(key, k));
      return;
    }
    const keys = new Set();
    for (let i = Math.min(k, current) + 1; i <= Math.max(k, current); i++) for (const key of texts.touched[i]) keys.add(key);
    for (const key of keys) setSlot(key, texts.textAt(key, k));
  };
  // Only what changes between two frames is touched: a box lit in both keeps its classes (a
  // class taken off and put back would still restyle it, and restart its glow). What a step
  // lights or writes comes in with a short motion (class ag-motion: the glow rises, the text
  // fades in), unless it is a crowd: hundreds of glows rising at once are no motion a reader
  // can follow, and each would be a running transition the next step has to end.
  const motion = (els) => (els.length <= MOTION_MAX ? ["ag-motion"] : []);
  const light = (k, f) => {
    const nowFresh = new Set();
    for (const key of texts.touched[k]) {
      // a backward pass begins with every value on the drawing: that is context, not news
      if (f.phase === "backward" && key.endsWith(',"value"]')) continue;
      const s = drawing.slot(key);
      if (s) nowFresh.add(s.holder);
    }
    for (const e of fresh) if (!nowFresh.has(e)) e.classList.remove("ag-fresh", "ag-motion");
    const written = [...nowFresh].filter((e) => !fresh.has(e));
    for (const e of written) e.classList.add("ag-fresh", ...motion(written));
    fresh = nowFresh;
    const flow = FLOWS[f.phase] || "ag-flow-fwd";
    const nodes = (f.nodes || []).map(drawing.node).filter(Boolean);
    const edges = (f.edges || []).map(([u, v]) => drawing.edge(u, v)).filter(Boolean);
    // drawn in layers over and under the boxes
    const crowd = crowds && nodes.length > MOTION_MAX;
    if (crowds) crowds(flow, crowd ? nodes : null, crowd ? flow + JSON.stringify(f.nodes) : null);
    const nowLit = new Map([...(crowd ? [] : nodes), ...edges].map((g) => [g, flow]));
    for (const [e, was] of lit) {
      if (nowLit.get(e) !== was) e.classList.remove("ag-lit", "ag-motion", ...Object.values(FLOWS));
    }
    const rising = [...nowLit.keys()].filter((g) => lit.get(g) !== flow);
    for (const g of rising) g.classList.add("ag-lit", flow, ...motion(rising));
    lit = nowLit;
    view.follow(nodes);
  };
  const show = (k) => {
    if (!frames.length) return current;
    k = Math.min(Math.max(k | 0, 0), last);
    if (k !== current) writeTexts(k);
    const f = frames[k];
    light(k, f);
    // the phase's class goes on the root (for the page around it) and on the parts it colours,
    // and no style rule has it above its target: Chromium keeps one list of what a class's
    // change may restyle below it, whichever element it is on, so a rule like
    // `.ag-controls.ag-backward .ag-phase` made the root's change look through every element
    // of the drawing (~10 ms on 3,000 boxes at each change of phase)
    for (const e of [ui.root, ui.caption, ui.controls, ui.slider, ui.phase]) {
      e.classList.toggle("ag-backward", f.phase === "backward");
      e.classList.toggle("ag-tangent", f.phase === "tangent");
      e.classList.toggle("ag-update", f.phase === "update");
    }
    setWords(ui.stepLine, f.caption);
    setWords(ui.ruleLine, f.rule || "");
    ui.slider.value = String(k);
    ui.counter.textContent = (k + 1) + " / " + frames.length;
    ui.phase.textContent = PHASES[f.phase] || PHASES.forward;
    current = k;
    return current;
  };
  return { show, current: () => current, last };
}

// ----- playing, and the model (the widget's traitlets, or the page's plain state) -------------
function playback(ui, model, steps, hooks) {
  let timer = null;
  const setFrame = (k) => {
    // a quiz may stop short and ask
    const now = steps.show(hooks.gate ? hooks.gate(steps.current(), k) : k);
    if (model.get("frame") !== now) {
      model.set("frame", now);
      model.save_changes();
    }
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    // already showing it: a step changes nothing here
    if (ui.play.getAttribute("aria-label") === "Play") return;
    ui.play.innerHTML = icon("play");
    ui.play.setAttribute("aria-label", "Play");
    ui.play.title = "Play";
  };
  const start = () => {
    stop();
    if (steps.current() >= steps.last) setFrame(0);
    ui.play.innerHTML = icon("pause");
    ui.play.setAttribute("aria-label", "Pause");
    ui.play.title = "Pause";
    // Several views of one widget (the same output shown twice) each run a timer. A tick
    // that finds the frame moved by someone else since its own last step yields, so one
    // view leads and the others follow, instead of each adding a step.
    let expected = steps.current();
    timer = setInterval(() => {
      const now = model.get("frame");
      if (now !== expected) { expected = now; return; }
      setFrame(steps.current() + 1);
      expected = steps.current();
      // stop on the last frame, ready to start over
      if (steps.current() >= steps.last) {
        stop();
        model.set("playing", false);
        model.save_changes();
      }
    }, Math.max(16, model.get("interval_ms") || 700));
  };
  const setPlaying = (on) => {
    if (on) start(); else stop();
    if (model.get("playing") !== on) {
      model.set("playing", on);
      model.save_changes();
    }
  };
  const go = (k) => { setPlaying(false); setFrame(k); };
  return { go, setPlaying, playing: () => timer !== null, restart: () => { if (timer !== null) start(); }, stop };
}

function wireControls(ui, model, steps, play, view) {
  ui.play.addEventListener("click", () => play.setPlaying(!play.playing()));
  ui.prev.addEventListener("click", () => play.go(steps.current() - 1));
  ui.next.addEventListener("click", () => play.go(steps.current() + 1));
  ui.slider.addEventListener("input", () => play.go(Number(ui.slider.value)));
  ui.zoomIn.addEventListener("click", () => view.zoomBy(1.5, undefined, undefined, true));
  ui.zoomOut.addEventListener("click", () => view.zoomBy(1 / 1.5, undefined, undefined, true));
  ui.fit.addEventListener("click", () => view.fit());
  const pan = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  ui.root.addEventListener("keydown", (ev) => {
    const k = ev.key;
    // shift + arrows move a zoomed drawing
    if (ev.shiftKey && pan[k]) view.panBy(pan[k][0] * 60, pan[k][1] * 60);
    else if (k === "ArrowRight" || k === "ArrowDown") play.go(steps.current() + 1);
    else if (k === "ArrowLeft" || k === "ArrowUp") play.go(steps.current() - 1);
    else if (k === " " || k === "Spacebar") play.setPlaying(!play.playing());
    else if (k === "Home") play.go(0);
    else if (k === "End") play.go(steps.last);
    else if (k === "+" || k === "=") view.zoomBy(1.5, undefined, undefined, true);
    else if (k === "-" || k === "_") view.zoomBy(1 / 1.5, undefined, undefined, true);
    else if (k === "0") view.fit();
    else return;
    ev.preventDefault();
  });
  // our own steps come back through the model too: only another view or Python needs a redraw
  model.on("change:frame", () => { if (model.get("frame") !== steps.current()) steps.show(model.get("frame")); });
  model.on("change:playing", () => { if (model.get("playing") !== play.playing()) play.setPlaying(model.get("playing")); });
  model.on("change:interval_ms", () => play.restart());
}

const PHASES = { forward: "forward: values", backward: "backward: gradients", tangent: "forward mode: tangents",
  update: "update: parameters" };
const FLOWS = { forward: "ag-flow-fwd", backward: "ag-flow-back", tangent: "ag-flow-tan", update: "ag-flow-upd" };
// more boxes or badges than this, lit or written by one step, appear at once
const MOTION_MAX = 24;

function mount(el, model) {
  const frames = model.get("frames") || [];
  const ui = buildPlayer(el, model.get("svg"), Math.max(frames.length - 1, 0));
  blockDrawing(ui.svg);
  const drawing = indexDrawing(ui.svg);
  const view = zoomPan(ui, frames);
  const steps = stepper(ui, drawing, frames, view);
  // quiz.js and inspect.js, loaded before this file, hook in here
  const hooks = {};
  const play = playback(ui, model, steps, hooks);
  if (typeof quizMode === "function") quizMode(ui, model, steps, play, hooks);
  if (typeof inspectPanels === "function") inspectPanels(ui, model, drawing, steps);
  wireControls(ui, model, steps, play, view);
  const detachPointer = pointerControls(ui, view);
  steps.show(model.get("frame") || 0);
  view.layout();
  // the room changes with the notebook's width and the window: fit again (width changes only)
  let width = -1;
  const refit = () => { if (ui.el.clientWidth !== width) { width = ui.el.clientWidth; view.layout(); } };
  const observer = typeof ResizeObserver !== "undefined" ? new ResizeObserver(refit) : null;
  if (observer) observer.observe(ui.el);
  // a frame resizes to fit us: no loop
  const onWindow = () => { if (!framed()) { width = -1; refit(); } };
  window.addEventListener("resize", onWindow);
  if (model.get("playing")) play.setPlaying(true);
  return () => {
    play.stop();
    view.stop();
    detachPointer();
    if (observer) observer.disconnect();
    window.removeEventListener("resize", onWindow);
  };
}

function render({ model, el }) {
  return mount(el, model);
}

export default { render };
