// ani-graph player: steps through a frame list over an SVG drawn by render_svg.py.
// It only toggles classes and text: no layout, no kernel round trip per frame.
// Used as an anywidget module (default export) and inlined by the stand-alone page
// (which removes the final export line and calls mount() itself).

// A frame (frames.py) has separate fields: phase, caption, rule, nodes, edges, badges
// ({node: {value|grad|tangent: text}}) and edge_badges ([[u, v, text], ...]). Nothing is parsed.

function mount(el, model) {
  const frames = model.get("frames") || [];
  const last = Math.max(frames.length - 1, 0);

  const root = document.createElement("div");
  root.className = "ag-player";
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "Autograd animation");
  const stage = document.createElement("div");
  stage.className = "ag-stage";
  stage.innerHTML = model.get("svg");
  // the step with its numbers, and under it the op's local rule
  const caption = document.createElement("div");
  caption.className = "ag-caption";
  caption.setAttribute("aria-live", "polite");
  const stepLine = document.createElement("div");
  stepLine.className = "ag-step";
  const ruleLine = document.createElement("div");
  ruleLine.className = "ag-rule";
  caption.append(stepLine, ruleLine);
  const controls = document.createElement("div");
  controls.className = "ag-controls";
  // icons as inline SVG: fonts on some machines lack the media-control glyphs
  const ICONS = {
    prev: "M4 3h2v10H4zM14 3v10L7 8z",
    next: "M10 3h2v10h-2zM2 3v10l7-5z",
    play: "M4 2.5v11l9-5.5z",
    pause: "M4 3h3v10H4zM9 3h3v10H9z",
  };
  const icon = (name) =>
    '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="' + ICONS[name] + '"/></svg>';
  const button = (label, name) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "ag-button";
    b.setAttribute("aria-label", label);
    b.title = label;
    b.innerHTML = icon(name);
    return b;
  };
  const prev = button("Previous step", "prev");
  const play = button("Play", "play");
  const next = button("Next step", "next");
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "0";
  slider.max = String(last);
  slider.step = "1";
  slider.className = "ag-slider";
  slider.setAttribute("aria-label", "Frame");
  const counter = document.createElement("span");
  counter.className = "ag-counter";
  const phase = document.createElement("span");
  phase.className = "ag-phase";
  controls.append(prev, play, next, slider, counter, phase);
  root.append(stage, caption, controls);
  el.appendChild(root);

  // ----- elements by the ids the SVG promises --------------------------------------------
  const svg = stage.querySelector("svg");
  // Projected in a lecture hall, the drawing's natural size is too small: it grows with the
  // room it has (up to 1.8×, and not taller than most of the window). A graph wider than the
  // room shrinks to 0.7× at most; beyond that the stage scrolls and follows the lit step.
  const naturalW = parseFloat(svg.getAttribute("width")) || 600;
  const naturalH = parseFloat(svg.getAttribute("height")) || 400;
  const windowH = (typeof window !== "undefined" && window.innerHeight) || 900;
  const zoom = Math.max(1, Math.min(1.8, (0.7 * windowH) / naturalH));
  root.style.setProperty("--ag-min", Math.round(naturalW * 0.7) + "px");
  root.style.setProperty("--ag-max", Math.round(naturalW * zoom) + "px");
  const nodeEls = new Map();
  svg.querySelectorAll(".ag-node").forEach((g) => nodeEls.set(g.getAttribute("data-node"), g));
  // edges by their two ends; JSON of the pair is a key no node id can break
  const pairKey = (u, v) => JSON.stringify([u, v]);
  const edgeEls = new Map();
  svg.querySelectorAll(".ag-edge").forEach((g) =>
    edgeEls.set(pairKey(g.getAttribute("data-src"), g.getAttribute("data-dst")), g));
  // A slot is one text the frames change: a node's value or gradient badge, or an edge's
  // share. Its key is the JSON of ["node", id, which] or ["edge", u, v].
  const findSlot = (key) => {
    const [what, a, b] = JSON.parse(key);
    if (what === "edge") {
      const g = edgeEls.get(pairKey(a, b));
      const t = g ? g.querySelector(".ag-egrad") : null;
      return t ? { text: t, holder: t } : null;
    }
    const g = nodeEls.get(a);
    if (!g) return null;
    const which = b === "value" ? "val" : b === "tangent" ? "tan" : "grad";
    const t = g.querySelector(".ag-" + which);
    return t ? { text: t, holder: g.querySelector(".ag-badge-" + which) || t } : null;
  };
  const slots = new Map();  // looked up once: a step then only touches the elements it changes
  const slot = (key) => {
    if (!slots.has(key)) slots.set(key, findSlot(key));
    return slots.get(key);
  };

  // ----- per-key history, so seeking touches only what differs ---------------------------
  const history = new Map(); // key -> [[frame, text], ...], frames in increasing order
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
    const h = history.get(key);  // binary search: the last entry at or before frame k
    let lo = 0, hi = h.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (h[mid][0] <= k) lo = mid + 1; else hi = mid; }
    return lo === 0 ? "" : h[lo - 1][1];
  };
  const setSlot = (key, text) => {
    const s = slot(key);
    if (!s) return;
    if (s.text.textContent !== text) s.text.textContent = text;
    s.holder.classList.toggle("ag-empty", text === "");
  };

  // A drawing larger than its stage scrolls inside it (never the notebook around it); the
  // stage scrolls to keep the lit step in view, measured after the step, in the next frame.
  let followRequest = 0;
  const follow = (nodes) => {
    if (!nodes.length || typeof requestAnimationFrame === "undefined") return;
    cancelAnimationFrame(followRequest);
    followRequest = requestAnimationFrame(() => {
      if (stage.scrollWidth <= stage.clientWidth + 1 && stage.scrollHeight <= stage.clientHeight + 1) return;
      const view = stage.getBoundingClientRect();
      let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
      for (const g of nodes) {
        const r = g.getBoundingClientRect();
        left = Math.min(left, r.left); right = Math.max(right, r.right);
        top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
      }
      // centre what is lit; if it is larger than the stage, show its start (left, top)
      const shift = (lo, hi, vlo, vhi) => {
        if (lo >= vlo && hi <= vhi) return 0;
        if (hi - lo <= vhi - vlo) return (lo + hi - vlo - vhi) / 2;
        return lo >= vlo && lo < vhi - 40 ? 0 : lo - vlo - 12;
      };
      const dx = shift(left, right, view.left, view.right);
      const dy = shift(top, bottom, view.top, view.bottom);
      if (dx || dy) stage.scrollBy({ left: dx, top: dy, behavior: "smooth" });
    });
  };

  const PHASES = { forward: "forward: values", backward: "backward: gradients", tangent: "forward mode: tangents" };
  let current = -1;
  // the drawing arrives as frame 0 with its lights on; the player starts from no lights
  let lit = Array.from(svg.querySelectorAll(".ag-lit"));
  let fresh = [];  // badges whose text this frame wrote, highlighted until the next step
  const show = (k) => {
    k = Math.min(Math.max(k | 0, 0), last);
    if (!frames.length) return;
    if (current < 0) {
      for (const key of history.keys()) setSlot(key, textAt(key, k));
    } else if (k !== current) {
      const lo = Math.min(k, current), hi = Math.max(k, current);
      const keys = new Set();
      for (let i = lo + 1; i <= hi; i++) for (const key of touched[i]) keys.add(key);
      for (const key of keys) setSlot(key, textAt(key, k));
    }
    for (const e of lit) e.classList.remove("ag-lit", "ag-flow-fwd", "ag-flow-back", "ag-flow-tan");
    lit = [];
    for (const e of fresh) e.classList.remove("ag-fresh");
    fresh = [];
    for (const key of touched[k]) {
      // a backward pass begins with every value on the drawing: that is context, not news
      if (frames[k].phase === "backward" && key.endsWith(',"value"]')) continue;
      const s = slot(key);
      if (s) { s.holder.classList.add("ag-fresh"); fresh.push(s.holder); }
    }
    const f = frames[k];
    const flow = f.phase === "backward" ? "ag-flow-back" : f.phase === "tangent" ? "ag-flow-tan" : "ag-flow-fwd";
    const litNodes = [];
    for (const n of f.nodes || []) {
      const g = nodeEls.get(n);
      if (g) { g.classList.add("ag-lit", flow); lit.push(g); litNodes.push(g); }
    }
    follow(litNodes);
    for (const [u, v] of f.edges || []) {
      const g = edgeEls.get(pairKey(u, v));
      if (g) { g.classList.add("ag-lit", flow); lit.push(g); }
    }
    root.classList.toggle("ag-backward", f.phase === "backward");
    root.classList.toggle("ag-tangent", f.phase === "tangent");
    stepLine.textContent = f.caption;
    ruleLine.textContent = f.rule || "";
    slider.value = String(k);
    counter.textContent = (k + 1) + " / " + frames.length;
    phase.textContent = PHASES[f.phase] || PHASES.forward;
    current = k;
  };

  // ----- playing ------------------------------------------------------------------------
  let timer = null;
  const setFrame = (k) => {
    show(k);
    if (model.get("frame") !== current) {
      model.set("frame", current);
      model.save_changes();
    }
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.innerHTML = icon("play");
    play.setAttribute("aria-label", "Play");
    play.title = "Play";
  };
  const start = () => {
    stop();
    if (current >= last) setFrame(0);
    play.innerHTML = icon("pause");
    play.setAttribute("aria-label", "Pause");
    play.title = "Pause";
    // Several views of one widget (the same output shown twice) each run a timer. A tick
    // that finds the frame moved by someone else since its own last step yields, so one
    // view leads and the others follow, instead of each adding a step.
    let expected = current;
    timer = setInterval(() => {
      const now = model.get("frame");
      if (now !== expected) { expected = now; return; }
      setFrame(current + 1);
      expected = current;
      if (current >= last) {  // stop on the last frame, ready to start over
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

  play.addEventListener("click", () => setPlaying(timer === null));
  prev.addEventListener("click", () => { setPlaying(false); setFrame(current - 1); });
  next.addEventListener("click", () => { setPlaying(false); setFrame(current + 1); });
  slider.addEventListener("input", () => { setPlaying(false); setFrame(Number(slider.value)); });
  root.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { setPlaying(false); setFrame(current + 1); }
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { setPlaying(false); setFrame(current - 1); }
    else if (ev.key === " " || ev.key === "Spacebar") { setPlaying(timer === null); }
    else if (ev.key === "Home") { setPlaying(false); setFrame(0); }
    else if (ev.key === "End") { setPlaying(false); setFrame(last); }
    else return;
    ev.preventDefault();
  });

  // our own steps come back through the model too: only another view or Python needs a redraw
  model.on("change:frame", () => { if (model.get("frame") !== current) show(model.get("frame")); });
  model.on("change:playing", () => { if (model.get("playing") !== (timer !== null)) setPlaying(model.get("playing")); });
  model.on("change:interval_ms", () => { if (timer !== null) start(); });

  show(model.get("frame") || 0);
  if (model.get("playing")) start();
  return () => stop();
}

function render({ model, el }) {
  return mount(el, model);
}

export default { render };
