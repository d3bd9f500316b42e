"""Forward mode in a real browser: a tangent animation plays on the stand-alone page and in JupyterLab."""

import time

import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example

from .conftest import JupyterServer, artifact, cell_errors, need_browser, run_all_cells, write_notebook


def test_a_tangent_animation_plays_on_the_standalone_page(page, tmp_path):
    g = TorchGraph(sin_example, [2, 3, 4])
    anim = g.animate("tangent", wrt={"x": 1.0}, interval_ms=80)
    page.goto(anim.save(tmp_path / "tangent.html").as_uri())
    player = page.locator(".ag-player")
    caption, slider = player.locator(".ag-step"), player.locator("input[type=range]")
    assert caption.text_content() == anim.frames[0]["caption"]
    assert player.locator(".ag-phase").text_content() == "forward mode: tangents"
    assert "ag-tangent" in player.get_attribute("class")
    x, y = g.node_id("x"), g.node_id("y")
    assert page.locator(f"[data-node='{x}'] .ag-tan").text_content() == "1"
    assert "ag-empty" in page.locator(f"[data-node='{y}'] .ag-badge-tan").get_attribute("class")

    # step by step: each caption in turn, and the lit op glows in the tangent colour
    for k in range(1, len(anim.frames)):
        player.locator("button[aria-label='Next step']").click()
        assert caption.text_content() == anim.frames[k]["caption"]
        assert slider.input_value() == str(k)
    sin_step = next(i for i, f in enumerate(anim.frames) if y in f["badges"])
    slider.fill(str(sin_step))
    op = anim.frames[sin_step]["nodes"][0]
    assert "ag-flow-tan" in page.locator(f"[data-node='{op}']").get_attribute("class")
    dy = 3 * torch.cos(torch.tensor(10.0))
    assert page.locator(f"[data-node='{y}'] .ag-tan").text_content() == anim.frames[sin_step]["badges"][y]["tangent"]
    assert float(page.locator(f"[data-node='{y}'] .ag-tan").text_content().replace("−", "-")) == round(float(dy), 3)
    glow = page.locator(f"[data-node='{op}'] .ag-shape").evaluate("e => getComputedStyle(e).stroke")
    assert glow == "rgb(0, 158, 115)"  # style.PHASE_COLOURS["tangent"]
    page.wait_for_timeout(300)
    page.screenshot(path=artifact("standalone-tangent.png"))

    # Play runs to the last frame, which counts the passes
    slider.fill("0")
    player.locator("button[aria-label='Play']").click()
    page.wait_for_function(
        "(v) => document.querySelector('.ag-player input[type=range]').value === String(v)",
        arg=len(anim.frames) - 1,
        timeout=10_000,
    )
    assert "3 forward passes, one per input element, but 1 reverse pass" in caption.text_content()
    page.wait_for_timeout(300)
    page.screenshot(path=artifact("standalone-tangent-last.png"))
    assert page.errors == []


CELLS = [
    "import torch\nfrom ani_graph import TorchGraph",
    "def two_in_three_out(x, y):\n    out = torch.stack([x * y, torch.sin(x), x + y * y])\n    return out\n\n"
    "g = TorchGraph(two_in_three_out, [1.0, 2.0], [[1.0, 1.0, 1.0]])\n"
    "anim = g.animate('tangent', wrt={'x': 1.0, 'y': 0.5}, interval_ms=150)\nanim",
]


def test_a_tangent_animation_plays_in_jupyterlab(page, tmp_path):
    need_browser()
    write_notebook(tmp_path / "tangent.ipynb", CELLS)
    server = JupyterServer("lab", tmp_path)
    try:
        page.goto(server.url("tangent.ipynb"))
        run_all_cells(page)
        assert cell_errors(page) == []
        player = page.locator(".jp-OutputArea-output .ag-player").first
        player.wait_for(timeout=30_000)
        player.scroll_into_view_if_needed()
        slider = player.locator("input[type=range]")
        assert player.locator(".ag-phase").inner_text() == "forward mode: tangents"
        player.locator("button[aria-label='Play']").click()
        last = int(slider.get_attribute("max"))
        deadline = time.time() + 30  # poll through the locator: JupyterLab may re-render the view
        while int(slider.input_value()) < last and time.time() < deadline:
            page.wait_for_timeout(100)
        assert int(slider.input_value()) == last
        caption = player.locator(".ag-step").inner_text()
        assert "The full 3×2 Jacobian needs 2 forward passes" in caption and "3 reverse passes" in caption
        assert player.locator(".ag-badge-tan:not(.ag-empty)").count() == 7  # x, y, v1..v4 and out
        page.wait_for_timeout(300)
        page.screenshot(path=artifact("widget-lab-tangent.png"))
        assert not [e for e in page.errors if "player" in e or "ag-" in e or "render" in e]
    finally:
        server.stop()
