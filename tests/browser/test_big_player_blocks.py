"""A big drawing in the player: its boxes and edges are wrapped in blocks (for speed), and nothing
else changes: every box and edge is there once, in the drawing's own order, and stepping still
lights, writes and colours by phase."""

import re

import torch

from ani_graph import TorchGraph


def fan(branches: int) -> TorchGraph:
    def f(x):
        return torch.stack([torch.sin(x[i]) * 2 for i in range(branches)]).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


def drawn_order(svg: str) -> list[str]:
    """The node ids and edge ends of the SVG string, in the order it draws them."""
    marks = re.finditer(r'<g class="ag-(node|edge)[^"]*" data-(?:node="([^"]+)"|src="([^"]+)" data-dst="([^"]+)")', svg)
    return [m.group(2) if m.group(1) == "node" else f"{m.group(3)}->{m.group(4)}" for m in marks]


ORDER_JS = """() => [...document.querySelectorAll("svg.ag-graph .ag-node, svg.ag-graph .ag-edge")].map((g) =>
  g.classList.contains("ag-node") ? g.getAttribute("data-node") : g.getAttribute("data-src") + "->" + g.getAttribute("data-dst"))"""


def test_big_drawing_is_blocked_in_its_own_order_and_still_steps(page, tmp_path):
    g = fan(30)
    anim = g.animate(direction="both")
    path = anim.save(tmp_path / "fan.html")
    page.goto(path.as_uri())
    page.wait_for_selector(".ag-player")

    order = drawn_order(anim._svg())
    assert len(order) == len(set(order)) > 128
    assert page.evaluate(ORDER_JS) == order  # every box and edge once, drawn in the same order
    blocks = page.locator("svg.ag-graph > g.ag-block")
    sizes = page.evaluate(
        '() => [...document.querySelectorAll("svg.ag-graph > g.ag-block")].map((b) => b.children.length)'
    )
    # (and a lit crowd's two layers, see test_player_crowd.py)
    extra = page.locator("svg.ag-graph .ag-cluster").count() + page.locator("svg.ag-graph .ag-crowd").count()
    assert sum(sizes) == len(order) + extra
    assert blocks.count() > 1 and max(sizes) < len(order) / 2
    assert page.locator("svg.ag-graph > .ag-node, svg.ag-graph > .ag-edge").count() == 0

    # stepping reaches the boxes inside the blocks; the phase colours the caption and the controls
    last = len(anim.frames) - 1
    page.locator(".ag-player input[type=range]").fill(str(last))
    frame = anim.frames[last]
    assert frame["phase"] == "backward"
    for node in frame["nodes"]:
        assert "ag-lit" in page.locator(f"[data-node='{node}']").get_attribute("class")
    x = g.node_id("x")
    for part in (".ag-player", ".ag-player .ag-caption", ".ag-player .ag-controls"):
        assert "ag-backward" in page.locator(part).first.get_attribute("class")
    page.locator(".ag-player input[type=range]").fill("0")
    for part in (".ag-player", ".ag-player .ag-caption", ".ag-player .ag-controls"):
        assert "ag-backward" not in page.locator(part).first.get_attribute("class")
    assert page.locator(f"[data-node='{x}']").count() == 1


def test_small_drawing_is_left_as_drawn(page, tmp_path):
    anim = fan(3).animate()
    page.goto(anim.save(tmp_path / "small.html").as_uri())
    page.wait_for_selector(".ag-player")
    assert page.locator("svg.ag-graph g.ag-block").count() == 0
    assert page.evaluate(ORDER_JS) == drawn_order(anim._svg())
