"""The player in Chromium: time per frame step and per inspect panel opened on ~100- to 3,000-node graphs, and page sizes.

    python benchmarks/bench_player.py

A step is timed from the click on "Next step" until the browser has recomputed style
and layout for it (forced by reading the drawing's size), over the first 600 frames of the
animation (all of them on the smaller pages), five rounds; the table shows medians. A seek
is a slider jump between the first and the last frame (every badge changes). A panel is
timed from the click on a box until its dialog is laid out, for every box of the drawing
(then Esc closes it). Needs Debian's chromium. Exits with status 1 when a budget below is
exceeded.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ani_graph import TorchGraph

CHROMIUM = "/usr/bin/chromium"
STEP_BUDGET_MS = 4.0  # median step on the 3,000-node graph
SLOWEST_STEP_BUDGET_MS = 16.0  # the slowest step there: within one frame at 60 Hz
PANEL_BUDGET_MS = 16.0  # 95th percentile of opening an inspect panel there
STEPS_PER_ROUND = 600  # frames stepped through per round, from the first (all of them on the smaller pages)
HTML_BUDGET_KB = 150  # to_html() of the ~100-node graph, all frames (direction "both")


def fan(branches: int) -> TorchGraph:
    """A wide graph of 7·branches + 5 nodes: `branches` parallel sin·2 paths from one input, summed."""

    def f(x):
        parts = [torch.sin(x[i]) * 2 for i in range(branches)]
        return torch.stack(parts).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


STEP_JS = """
(limit) => {
  const next = document.querySelector("button[aria-label='Next step']");
  const svg = document.querySelector("svg.ag-graph");
  const slider = document.querySelector(".ag-player input[type=range]");
  const seek = (k) => { slider.value = String(k); slider.dispatchEvent(new Event("input")); };
  const steps = [], seeks = [];
  seek(0);
  svg.getBoundingClientRect();
  const last = Number(slider.max);
  for (let i = 0; i < Math.min(last, limit); i++) {
    const t0 = performance.now();
    next.click();
    svg.getBoundingClientRect();  // style and layout for the change, not just the handler
    document.body.offsetHeight;
    steps.push(performance.now() - t0);
  }
  for (const k of [0, last, 0, last]) {
    const t0 = performance.now();
    seek(k);
    svg.getBoundingClientRect();
    seeks.push(performance.now() - t0);
  }
  return [steps, seeks];
}
"""


PANEL_JS = """
() => {
  const times = [];
  const nodes = [...document.querySelectorAll(".ag-node[tabindex]")];
  document.body.offsetHeight;  // the last seek's layout is not the first panel's
  for (const g of nodes) {
    const t0 = performance.now();
    g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    const dialog = document.querySelector(".ag-inspect");
    dialog.getBoundingClientRect();  // laid out, not just built
    document.body.offsetHeight;
    times.push(performance.now() - t0);
    dialog.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  }
  return times;
}
"""


@dataclass
class Row:
    nodes: int
    drawn: int
    frames: int
    step_median: float
    step_p95: float
    step_max: float
    seek_median: float
    html_kb: float
    panel_median: float = 0.0
    panel_p95: float = 0.0


def measure(branch_counts=(14, 71, 428), rounds: int = 5) -> list[Row]:
    """Build each fan graph's page, open it in Chromium and time its steps."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"needs a browser at {CHROMIUM}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for branches in branch_counts:
            g = fan(branches)
            anim = g.animate(direction="both", max_nodes=max(2000, g.nx.number_of_nodes()))
            path = anim.save(Path(tmp) / f"fan{branches}.html")
            page.goto(path.as_uri())
            page.wait_for_selector(".ag-player")
            steps, seeks = [], []
            for _ in range(rounds):
                s, k = page.evaluate(STEP_JS, STEPS_PER_ROUND)
                steps += s
                seeks += k
            steps.sort()
            panels = sorted(page.evaluate(PANEL_JS))
            rows.append(
                Row(
                    nodes=g.nx.number_of_nodes(),
                    drawn=page.locator(".ag-node").count(),
                    frames=len(anim.frames),
                    step_median=statistics.median(steps),
                    step_p95=steps[int(0.95 * (len(steps) - 1))],
                    step_max=steps[-1],
                    seek_median=statistics.median(seeks),
                    html_kb=path.stat().st_size / 1024,
                    panel_median=statistics.median(panels),
                    panel_p95=panels[int(0.95 * (len(panels) - 1))],
                )
            )
        browser.close()
    return rows


def checks(rows: list[Row]) -> list[tuple[str, bool]]:
    """The budgets: a step on the largest graph, the page of the smallest."""
    big, small = max(rows, key=lambda r: r.nodes), min(rows, key=lambda r: r.nodes)
    return [
        (
            f"median step, {big.nodes} nodes: {big.step_median:.2f} ms (budget {STEP_BUDGET_MS:g} ms)",
            big.step_median <= STEP_BUDGET_MS,
        ),
        (
            f"slowest step, {big.nodes} nodes: {big.step_max:.2f} ms (budget {SLOWEST_STEP_BUDGET_MS:g} ms)",
            big.step_max <= SLOWEST_STEP_BUDGET_MS,
        ),
        (
            f"inspect panel, {big.nodes} nodes: 95th pct {big.panel_p95:.2f} ms (budget {PANEL_BUDGET_MS:g} ms)",
            big.panel_p95 <= PANEL_BUDGET_MS,
        ),
        (
            f"to_html(), {small.nodes} nodes, {small.frames} frames: {small.html_kb:.0f} KB (budget {HTML_BUDGET_KB} KB)",
            small.html_kb <= HTML_BUDGET_KB,
        ),
    ]


def table(rows: list[Row] | None = None) -> str:
    """Measure (unless given rows), and return the results as Markdown: a table and the budget checks."""
    rows = measure() if rows is None else rows
    lines = [
        "| graph nodes | drawn | frames | median step | 95th pct step | slowest step | median seek (first↔last) "
        "| to_html() size | median panel | 95th pct panel |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.nodes} | {r.drawn} | {r.frames} | {r.step_median:.2f} ms | {r.step_p95:.2f} ms | {r.step_max:.2f} ms "
            f"| {r.seek_median:.2f} ms | {r.html_kb:.0f} KB | {r.panel_median:.2f} ms | {r.panel_p95:.2f} ms |"
        )
    lines.append("")
    lines += [f"- {'ok' if ok else 'OVER BUDGET'}: {text}" for text, ok in checks(rows)]
    return "\n".join(lines)


def main():
    try:
        rows = measure()
    except RuntimeError as err:
        sys.exit(str(err))
    print(table(rows))
    if not all(ok for _, ok in checks(rows)):
        sys.exit(1)


if __name__ == "__main__":
    main()
