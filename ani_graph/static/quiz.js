// ani-graph quiz: predict, then reveal. Loaded before player.js (same scope); the player
// calls quizMode() from mount() when the model carries a quiz (quiz.py builds the questions).
// Before a frame that reveals a number, stepping stops on the frame before it and asks.
// Right (within the tolerance), revealed, or wrong twice: the frame plays. Answers stay on
// the page, and in the widget's `quiz_results` for the kernel; nothing else is sent anywhere.

const QUIZ_MINUS = /\u2212/g;

function quizParse(text) {
  const cleaned = String(text).replace(QUIZ_MINUS, "-").replace(/[[\]]/g, "").trim();
  if (!cleaned) return null;
  const parts = cleaned.split(",").map((p) => p.trim());
  // the same numbers Python's float() reads: no trailing words, no empty parts
  if (parts.some((p) => !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(p))) return null;
  return parts.map(Number);
}

function quizRight(given, answer, tolerance, floor) {
  if (!given || given.length !== answer.length) return false;
  return given.every((a, i) => Math.abs(a - answer[i]) <= tolerance * Math.max(Math.abs(answer[i]), floor));
}

function quizPercent(tolerance) {
  const p = tolerance * 100;
  return (p >= 1 ? String(+p.toFixed(2)) : String(+p.toPrecision(2))) + "%";
}

// how many elements a box's tensor has, from the inspect data (0: not known)
function quizCount(model, node) {
  const entry = ((model.get("inspect") || {}).nodes || {})[node];
  return entry && entry.shape ? entry.shape.reduce((a, b) => a * b, 1) : 0;
}

// A question about one element of a bigger tensor marks that element: its cell in the box's
// heatmaps (those with a cell per element, not a downsampled view), and, through the box's
// data-asked-element, its number and cell in the inspect panel (inspect.js). null unmarks.
function quizMarkElement(g, element, count) {
  for (const c of g.querySelectorAll(".ag-cell.ag-asked-cell")) c.classList.remove("ag-asked-cell");
  if (element === null) { g.removeAttribute("data-asked-element"); return; }
  g.setAttribute("data-asked-element", String(element));
  for (const grid of g.querySelectorAll(".ag-heat")) {
    const cells = grid.querySelectorAll(".ag-cell");
    if (cells.length === count && element < count) cells[element].classList.add("ag-asked-cell");
  }
}

// in the inspect panel (inspect.js) of the box asked about: the element's number in each table (rows hold the flat order, see
// inspect_data._table) and its cell in each heatmap that has a cell per element
function quizMarkPanel(body, element, shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  for (const table of body.querySelectorAll(".ag-inspect-table")) {
    const rows = table.tBodies[0].rows, cols = rows.length ? rows[0].querySelectorAll("td").length : 0;
    const row = cols ? rows[Math.floor(element / cols)] : null;
    const td = row ? row.querySelectorAll("td")[element % cols] : null;
    if (td) td.classList.add("ag-inspect-asked");
  }
  for (const grid of body.querySelectorAll(".ag-heat")) {
    const cells = grid.querySelectorAll(".ag-heat-cell");
    if (cells.length === count && element < count) cells[element].classList.add("ag-inspect-asked");
  }
}

function quizPanel(ui, data) {
  const panel = makeElement("div", "ag-quiz", { role: "group", "aria-label": "Quiz" });
  const ask = makeElement("div", "ag-quiz-ask");
  const prompt = makeElement("label", "ag-quiz-prompt");
  const input = makeElement("input", "ag-quiz-input", { type: "text", "aria-label": "Your answer",
    autocomplete: "off", spellcheck: "false", inputmode: "decimal" });
  const check = makeElement("button", "ag-button ag-quiz-check", { type: "button" });
  check.textContent = "Check";
  const reveal = makeElement("button", "ag-button ag-quiz-reveal", { type: "button" });
  reveal.textContent = "Reveal";
  const tol = makeElement("span", "ag-quiz-tol");
  tol.textContent = "within " + quizPercent(data.tolerance) + " (relative)";
  const form = makeElement("span", "ag-quiz-form");
  ask.append(prompt, input, check, reveal, tol, form);
  ask.hidden = true;
  const status = makeElement("div", "ag-quiz-status", { role: "status", "aria-live": "polite" });
  const score = makeElement("div", "ag-quiz-score", { "aria-live": "polite" });
  panel.append(ask, status, score);
  ui.caption.after(panel);
  // the stage leaves room for it
  ui.extra = panel;
  return { panel, ask, prompt, input, check, reveal, form, status, score };
}

function quizMode(ui, model, steps, play, hooks) {
  const data = model.get("quiz");
  if (!data || !data.questions || !data.questions.length) return null;
  const questions = data.questions;
  const q = quizPanel(ui, data);
  // question index -> {step, node, prompt, answer, correct, tries}
  const results = new Map();
  let open = -1, tries = 0, resume = false, lastTyped = null, asked = null;
  const intro = questions.length + (questions.length === 1 ? " question" : " questions") +
    ": before each number is revealed, type what you predict (Enter checks).";
  q.status.textContent = "Quiz: " + intro;

  const save = () => {
    const list = [...results.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    model.set("quiz_results", list);
    model.save_changes();
  };
  const showScore = () => {
    if (results.size < questions.length) return;
    const first = [...results.values()].filter((r) => r.correct && r.tries === 1).length;
    q.score.textContent = first + " of " + questions.length + " right first time";
  };
  const ask = (i) => {
    const item = questions[i];
    open = i;
    tries = 0;
    lastTyped = null;
    q.prompt.textContent = item.prompt + " =";
    const n = item.answer.length;
    q.form.textContent = item.element !== null ? "one element of " + item.name :
      n > 1 ? n + " numbers, comma-separated" : "";
    q.input.value = "";
    q.ask.hidden = false;
    q.status.textContent = "Predict " + item.prompt + ", then press Enter.";
    // styled on the caption (quiz.css)
    for (const e of [ui.root, ui.caption]) e.classList.add("ag-asking");
    asked = ui.svg.querySelector('.ag-node[data-node="' + CSS.escape(item.node) + '"]');
    if (asked) asked.classList.add("ag-asked");
    if (asked && item.element !== null) quizMarkElement(asked, item.element, quizCount(model, item.node));
    if (ui.root.contains(document.activeElement)) q.input.focus();
  };
  const finish = (correct, message) => {
    const item = questions[open];
    results.set(open, { step: item.frame, node: item.name, prompt: item.prompt, answer: lastTyped,
      correct, tries });
    const hadFocus = q.ask.contains(document.activeElement);
    open = -1;
    q.ask.hidden = true;
    for (const e of [ui.root, ui.caption]) e.classList.remove("ag-asking");
    if (asked) { asked.classList.remove("ag-asked"); quizMarkElement(asked, null, 0); }
    save();
    // the step plays: its caption and badges show the number
    play.go(item.frame);
    q.status.textContent = message;
    showScore();
    if (hadFocus) ui.root.focus();
    if (resume) { resume = false; if (steps.current() < steps.last) play.setPlaying(true); }
  };
  const checkAnswer = () => {
    if (open < 0) return;
    const item = questions[open];
    const given = quizParse(q.input.value);
    const want = item.answer.length;
    if (!given || given.length !== want) {
      q.status.textContent = want === 1 ? "Type one number, e.g. −0.5 or 2e-3." :
        "Type " + want + " numbers separated by commas.";
      return;
    }
    tries += 1;
    lastTyped = given;
    if (quizRight(given, item.answer, data.tolerance, data.floor)) {
      finish(true, "\u2713 Right: " + item.prompt + " = " + item.shown + ".");
    } else if (tries === 1) {
      q.status.textContent = "\u2717 Not quite. Hint: " + item.hint + ".";
      q.input.select();
    } else {
      finish(false, "The answer is " + item.prompt + " = " + item.shown + ".");
    }
  };
  q.input.addEventListener("keydown", (ev) => {
    // typing is not a player shortcut (space, arrows, +, −, 0)
    ev.stopPropagation();
    if (ev.key === "Enter") { ev.preventDefault(); checkAnswer(); }
  });
  q.check.addEventListener("click", checkAnswer);
  q.reveal.addEventListener("click", () => {
    if (open >= 0) finish(false, "Revealed: " + questions[open].prompt + " = " + questions[open].shown + ".");
  });
  // stepping forward past an unanswered question stops on the frame before it and asks
  hooks.gate = (from, to) => {
    // still asking
    if (open >= 0) return Math.max(Math.min(to, questions[open].frame - 1), Math.min(to, from));
    for (let i = 0; i < questions.length; i++) {
      const f = questions[i].frame;
      if (!results.has(i) && f > from && f <= to) {
        resume = resume || play.playing();
        if (play.playing()) play.setPlaying(false);
        ask(i);
        return f - 1;
      }
    }
    return to;
  };
  return { results: () => [...results.values()] };
}
