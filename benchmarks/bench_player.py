"""The player in Chromium: time per frame step on a ~500-node graph, and page sizes.

    python benchmarks/bench_player.py

A step is timed from the click on "Next step" until the browser has recomputed style
and layout for it (forced by reading the drawing's size), over every frame of the
animation, five rounds; the table shows medians. Needs Debian's chromium.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import torch

from ani_graph import TorchGraph

CHROMIUM = "/usr/bin/chromium"


def fan(branches: int) -> TorchGraph:
    """A wide graph: `branches` parallel sin·2 paths from one input, summed."""

    def f(x):
        parts = [torch.sin(x[i]) * 2 for i in range(branches)]
        return torch.stack(parts).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


STEP_JS = """
() => {
  const next = document.querySelector("button[aria-label='Next step']");
  const svg = document.querySelector("svg.ag-graph");
  const slider = document.querySelector(".ag-player input[type=range]");
  const times = [];
  slider.value = "0"; slider.dispatchEvent(new Event("input"));
  svg.getBoundingClientRect();
  const last = Number(slider.max);
  for (let i = 0; i < last; i++) {
    const t0 = performance.now();
    next.click();
    svg.getBoundingClientRect();  // style and layout for the change, not just the handler
    document.body.offsetHeight;
    times.push(performance.now() - t0);
  }
  return times;
}
"""


def table() -> str:
    """Measure, and return the results as a Markdown table."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"needs a browser at {CHROMIUM}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for branches in (15, 80):
            g = fan(branches)
            anim = g.animate(direction="both", max_nodes=2000)
            path = anim.save(Path(tmp) / f"fan{branches}.html")
            page.goto(path.as_uri())
            page.wait_for_selector(".ag-player")
            samples = []
            for _ in range(5):
                samples += page.evaluate(STEP_JS)
            drawn = page.locator(".ag-node").count()
            rows.append(
                (
                    g.nx.number_of_nodes(),
                    drawn,
                    len(anim.frames),
                    statistics.median(samples),
                    max(samples),
                    path.stat().st_size,
                )
            )
        browser.close()
    lines = [
        "| graph nodes | drawn | frames | median step | slowest step | to_html() size |",
        "|---|---|---|---|---|---|",
    ]
    for nodes, drawn, frames, med, worst, size in rows:
        lines.append(f"| {nodes} | {drawn} | {frames} | {med:.2f} ms | {worst:.2f} ms | {size / 1024:.0f} KB |")
    return "\n".join(lines)


def main():
    try:
        print(table())
    except RuntimeError as err:
        sys.exit(str(err))


if __name__ == "__main__":
    main()
