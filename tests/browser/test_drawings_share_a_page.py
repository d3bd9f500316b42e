"""Several drawings on one page (a notebook with many outputs) keep their own look.

Every SVG carries its own `<style>`, and a `<style>` inside an inline SVG applies to the
whole page: a class that meant one paint in one drawing and another paint in the next
would restyle the first. Each drawing's computed colours, alone on a page and beside
other drawings, must be the same.
"""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example

from .conftest import artifact

PROPS = ["fill", "stroke", "stroke-width", "opacity", "fill-opacity", "font-weight", "font-size", "visibility"]

LOOKS = f"""
() => [...document.querySelectorAll("svg.ag-graph")].map((svg) =>
  [...svg.querySelectorAll("*")].filter((e) => !["style", "title", "defs"].includes(e.tagName)).map((e) => {{
    const s = getComputedStyle(e);
    return {PROPS!r}.map((p) => s.getPropertyValue(p)).join("|");
  }}))
"""


def drawings() -> list[str]:
    net = TorchGraph(lambda x, W: torch.tanh(x @ W).sum(), [torch.randn(2, 3), torch.randn(3, 2)])
    return [
        TorchGraph(sin_example, [2, 3, 4]).to_svg(),
        net.to_svg(with_all=True),
        net.to_svg(tensors="heatmap", with_all=True),
        TorchGraph(lambda a, b: (a * b - b) ** 2, [1.5, -2.0]).to_svg(with_all=True),
    ]


def test_each_drawing_looks_the_same_alone_and_beside_others(page):
    svgs = drawings()
    alone = []
    for svg in svgs:
        page.set_content(f"<!doctype html><html><body>{svg}</body></html>")
        alone.append(page.evaluate(LOOKS)[0])
    page.set_content("<!doctype html><html><body>" + "".join(f"<div>{s}</div>" for s in svgs) + "</body></html>")
    page.screenshot(path=artifact("drawings-share-a-page.png"), full_page=True)
    together = page.evaluate(LOOKS)
    assert len(together) == len(svgs)
    for i, (a, t) in enumerate(zip(alone, together)):
        assert len(a) == len(t) > 10
        changed = [k for k, (x, y) in enumerate(zip(a, t)) if x != y]
        assert not changed, (
            f"drawing {i}: {len(changed)} elements restyled by the others, e.g. {a[changed[0]]} → {t[changed[0]]}"
        )
    # and the drawings do differ: otherwise the comparison would prove nothing
    assert len({"".join(sorted(set(a))) for a in alone}) == len(svgs)
    assert page.errors == []
