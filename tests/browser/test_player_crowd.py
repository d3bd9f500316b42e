"""A crowd of lit boxes (a frame that lights more than 24) is drawn in two layers of copies of the
boxes' outlines: the glows under every box, the lit strokes over them. The boxes themselves are not
touched, the picture is the one the boxes lit by their own classes make, the next step hides the
layers, and an idle page takes hidden layers out of the drawing."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from ani_graph import TorchGraph

from .conftest import ARTIFACTS

LAYERS_JS = """() => {
  const svg = document.querySelector("svg.ag-graph");
  const all = [...svg.querySelectorAll("*")];
  const boxes = [...svg.querySelectorAll(".ag-node")];
  return [...svg.querySelectorAll(".ag-crowd")].map((l) => ({
    kind: l.classList.contains("ag-crowd-glow") ? "glow" : "ring",
    shown: getComputedStyle(l).opacity !== "0",
    pointer: getComputedStyle(l).pointerEvents,
    nodes: [...l.children].map((c) => c.getAttribute("data-for")).sort(),
    fill: l.children.length ? getComputedStyle(l.children[0]).fill : "",
    // drawn after every edge and before every box (glow), or after every box (ring)
    beforeBoxes: all.indexOf(l) < all.indexOf(boxes[0]),
    afterBoxes: all.indexOf(l) > all.indexOf(boxes[boxes.length - 1]),
    afterEdges: [...svg.querySelectorAll(".ag-edge")].every((e) => all.indexOf(e) < all.indexOf(l)),
  }));
}"""

# the same frame drawn the old way: the crowd's layers hidden, its boxes lit by their own classes
BY_CLASSES_JS = """(ids) => {
  for (const l of document.querySelectorAll("svg.ag-graph .ag-crowd")) l.style.display = "none";
  for (const id of ids) document.querySelector(`[data-node="${id}"]`).classList.add("ag-lit", "ag-flow-fwd");
}"""


def fan(branches: int) -> TorchGraph:
    def f(x):
        return torch.stack([torch.sin(x[i]) * 2 for i in range(branches)]).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


def test_a_crowd_is_drawn_in_two_layers_and_leaves_when_the_page_is_idle(page, tmp_path):
    anim = fan(40).animate(direction="both")
    page.goto(anim.save(tmp_path / "fan.html").as_uri())
    page.wait_for_selector(".ag-player")
    slider = page.locator(".ag-player input[type=range]")
    slider.fill("0")
    crowd = sorted(anim.frames[0]["nodes"])
    assert len(crowd) > 24
    glow, ring = sorted(page.evaluate(LAYERS_JS), key=lambda layer: layer["kind"])
    assert glow["kind"] == "glow" and ring["kind"] == "ring"
    assert glow["nodes"] == ring["nodes"] == crowd and glow["shown"] and ring["shown"]
    assert glow["beforeBoxes"] and glow["afterEdges"] and ring["afterBoxes"]
    assert glow["pointer"] == ring["pointer"] == "none"  # a click still reaches the box under it
    assert ring["fill"] == "none"
    assert page.locator("svg.ag-graph .ag-node.ag-lit").count() == 0
    assert page.locator("svg.ag-graph [data-node]").count() == page.locator("svg.ag-graph .ag-node").count()

    page.locator("button[aria-label='Next step']").click()  # two boxes: lit by their own classes
    lit = page.locator("svg.ag-graph .ag-node.ag-lit").evaluate_all("(gs) => gs.map((g) => g.dataset.node)")
    assert sorted(lit) == sorted(anim.frames[1]["nodes"])
    assert not any(layer["shown"] for layer in page.evaluate(LAYERS_JS))
    page.wait_for_function("() => !document.querySelector('svg.ag-graph .ag-crowd')")  # idle: taken out

    page.locator("button[aria-label='Previous step']").click()  # back: the crowd shows again
    layers = page.evaluate(LAYERS_JS)
    assert len(layers) == 2 and all(layer["shown"] and layer["nodes"] == crowd for layer in layers)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_crowd_looks_like_its_boxes_lit_one_by_one(browser, tmp_path, scheme):
    anim = fan(40).animate(direction="both")
    path = anim.save(tmp_path / "fan.html")
    page = browser.new_page(viewport={"width": 1280, "height": 720}, color_scheme=scheme, reduced_motion="reduce")
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(".ag-player")
        page.locator(".ag-player input[type=range]").fill("0")
        for _ in range(3):  # big enough to see each outline and glow
            page.locator("button[aria-label='Zoom in']").click()
        page.wait_for_timeout(600)
        stage = page.locator(".ag-player .ag-stage")
        crowd = stage.screenshot()
        page.evaluate(BY_CLASSES_JS, [])
        page.wait_for_timeout(300)
        unlit = stage.screenshot()
        page.evaluate(BY_CLASSES_JS, anim.frames[0]["nodes"])
        page.wait_for_timeout(300)
        boxes = stage.screenshot()
    finally:
        page.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"crowd-{scheme}.png").write_bytes(crowd)
    (ARTIFACTS / f"crowd-by-classes-{scheme}.png").write_bytes(boxes)
    a, b = pixels(crowd), pixels(boxes)
    assert a.shape == b.shape
    assert (np.abs(a - pixels(unlit)).max(axis=2) > 40).sum() > 2000  # the crowd does glow
    # and as the boxes lit one by one do: only anti-aliased rims of the outlines differ, by a few levels
    diff = np.abs(a - b).max(axis=2)
    assert (diff > 8).sum() <= 0.01 * diff.size
    assert diff.max() <= 48
