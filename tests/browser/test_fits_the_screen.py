"""The player fits a classroom screen: at 1280×720 in JupyterLab 4 (file browser closed) the
two-layer net and lesson 2's 2×2 example show whole, node text at least 11 px, with their
caption, without scrolling; at 150% browser zoom a lesson's picture and caption still share
one screen, and no caption breaks inside a word such as `∂L/∂x`.
"""

from __future__ import annotations

import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule, sin_example

from .conftest import JupyterServer, artifact, cell_errors, need_browser, run_all_cells, write_notebook
from .test_saved_notebook import quiet_settings

TWO_LAYER = """\
def two_layer(x, W1, b1, W2, b2, y):
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean()
    return loss

torch.manual_seed(0)
net_inputs = [torch.randn(4, 3), torch.randn(3, 5), torch.zeros(5), torch.randn(5, 2), torch.zeros(2), torch.randn(4, 2)]
"""
LESSON_2 = """\
def f(x):
    out = (3 * (x + 2) ** 2).mean()
    return out
"""
CELLS = [
    "import torch\nfrom ani_graph import TorchGraph\nfrom ani_graph.examples import chain_rule, sin_example",
    TWO_LAYER + "TorchGraph(two_layer, net_inputs).animate()",
    LESSON_2 + "TorchGraph(f, [torch.ones(2, 2)]).animate()",
    "TorchGraph(sin_example, [2, 3, 4]).animate(direction='both')",
    "TorchGraph(chain_rule, [2, 1]).animate()",
]


def graphs() -> dict[str, TorchGraph]:
    """The notebook's graphs, made here by the same code."""
    scope = {"torch": torch}
    exec(TWO_LAYER + LESSON_2, scope)
    return {
        "two-layer": TorchGraph(scope["two_layer"], scope["net_inputs"]),
        "lesson2": TorchGraph(scope["f"], [torch.ones(2, 2)]),
        "sin": TorchGraph(sin_example, [2, 3, 4]),
        "chain": TorchGraph(chain_rule, [2, 1]),
    }


MEASURE = """(player) => {
    const box = (e) => { const r = e.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
    const scroller = player.closest('.jp-WindowedPanel-outer');
    const view = box(scroller);
    view.y1 = Math.min(view.y1, innerHeight);
    const svg = player.querySelector('svg.ag-graph');
    const stage = player.querySelector('.ag-stage');
    // the words and numbers in the boxes (not the = and ∂ keys before them), as drawn on screen
    const texts = [...svg.querySelectorAll('.ag-node text:not(.ag-key)')]
        .filter((t) => t.textContent && !t.closest('.ag-empty'));
    const px = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
    const words = [...player.querySelectorAll('.ag-step .ag-word, .ag-rule .ag-word')];
    return {
        view, player: box(player), caption: box(player.querySelector('.ag-caption')),
        controls: box(player.querySelector('.ag-controls')), svg: box(svg),
        nodes: [...svg.querySelectorAll('.ag-node')].map(box), viewBox: svg.getAttribute('viewBox'),
        fontPx: Math.min(...px), texts: px.length, words: words.length,
        stageScrolls: stage.scrollWidth > stage.clientWidth + 1 || stage.scrollHeight > stage.clientHeight + 1,
        broken: words.filter((w) => new Set([...w.getClientRects()].map((r) => Math.round(r.top))).size > 1)
            .map((w) => w.textContent),
        step: player.querySelector('.ag-step').textContent,
    };
}"""


def within(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["x0"] >= outer["x0"] - slack
        and inner["y0"] >= outer["y0"] - slack
        and inner["x1"] <= outer["x1"] + slack
        and inner["y1"] <= outer["y1"] + slack
    )


@pytest.fixture
def lab(tmp_path):
    need_browser()

    write_notebook(tmp_path / "screen.ipynb", CELLS)
    quiet_settings(tmp_path)
    server = JupyterServer("lab", tmp_path)
    yield server
    server.stop()


def open_and_run(lab, page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(lab.url("screen.ipynb"))
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    page.evaluate("window.jupyterapp.restored.then(() => window.jupyterapp.shell.collapseLeft())")
    run_all_cells(page)
    assert cell_errors(page) == []
    players = page.locator(".jp-OutputArea-output .ag-player")
    players.nth(3).wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the players size themselves to the room they have
    return {name: players.nth(i) for i, name in enumerate(["two-layer", "lesson2", "sin", "chain"])}


def measure(player):
    player.evaluate("e => e.scrollIntoView({block: 'start'})")
    player.page.wait_for_timeout(400)
    return player.evaluate(MEASURE)


def test_at_1280x720_the_two_layer_net_and_lesson_2_show_whole_with_11px_text_and_their_caption(lab, page):
    players = open_and_run(lab, page, 1280, 720)
    expected = graphs()
    for name in ("two-layer", "lesson2"):
        m = measure(players[name])
        page.screenshot(path=artifact(f"after-p5-{name}-lab-1280x720.png"))
        scene = expected[name].scene()
        # the whole drawing: the view is all of it, and every box is inside the picture and the screen
        assert [round(float(v), 1) for v in m["viewBox"].split()] == [
            0,
            0,
            round(scene.width, 1),
            round(scene.height, 1),
        ]
        assert len(m["nodes"]) == len(expected[name].view().boxes)
        assert all(within(n, m["svg"]) and within(n, m["view"]) for n in m["nodes"]), name
        assert m["texts"] > 10 and m["fontPx"] >= 11, (name, m["fontPx"])
        # the caption and the buttons are on the same screen, and nothing scrolls
        assert within(m["caption"], m["view"]) and within(m["controls"], m["view"]), (name, m)
        assert within(m["player"], m["view"]) and not m["stageScrolls"]
        assert m["step"] == expected[name].animate().frames[0]["caption"]


def test_at_150_percent_zoom_picture_and_caption_share_one_screen_and_words_stay_whole(lab, browser):
    # 150% browser zoom on a 1280×720 screen: a CSS viewport of 853×480 at 1.5 device pixels each
    context = browser.new_context(viewport={"width": 853, "height": 480}, device_scale_factor=1.5)
    page = context.new_page()
    try:
        players = open_and_run(lab, page, 853, 480)
        expected = graphs()
        # a small graph (enlarged for a projector), a longer one, and one with long matrix captions
        for name in ("chain", "sin", "lesson2"):
            direction = "both" if name == "sin" else "backward"
            player, frames = players[name], expected[name].animate(direction=direction).frames
            for k in range(len(frames)):  # every step, so the longest captions are seen too
                player.locator("input[type=range]").fill(str(k))
                m = measure(player)
                assert m["step"] == frames[k]["caption"]
                assert within(m["player"], m["view"]), (name, k, m)
                assert m["words"] > 3 and m["broken"] == [], (name, k, m["broken"])
            page.screenshot(path=artifact(f"after-p6-{name}-lab-150pct.png"))
    finally:
        context.close()
