"""In JupyterLab 4 and Notebook 7: a bare animation shows the HTML player, `anim.widget` the live
widget; Play plays, and Python and the browser share the frame."""

import time

import nbformat
import pytest

from .conftest import KERNEL, JupyterServer, artifact, cell_errors, need_browser, run_all_cells, write_notebook

CELLS = [
    "import torch\nfrom ani_graph import TorchGraph",
    "g0 = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])\ng0",
    "def func_mult(a, b):\n    y = a * b\n    return y\n\ng = TorchGraph(func_mult, [2, 3], [2])\nanim = g.animate(direction='both', interval_ms=150)\nanim",
    "anim.widget",
]


@pytest.fixture(params=["lab", "notebook"])
def server(request, tmp_path):
    need_browser()
    write_notebook(tmp_path / "animate.ipynb", CELLS)
    srv = JupyterServer(request.param, tmp_path)
    yield srv
    srv.stop()


def test_animate_shows_the_html_player_and_the_widget_plays_and_shares_the_frame(server, page):
    page.goto(server.url("animate.ipynb"))
    run_all_cells(page)
    assert cell_errors(page) == []
    # a bare graph shows its static drawing (SVG, with a PNG in the same output)
    static = page.locator(
        ".jp-OutputArea-output[data-mime-type='image/svg+xml'] img, .jp-OutputArea-output svg.ag-graph"
    ).first
    static.wait_for(timeout=30_000)
    assert static.bounding_box()["width"] > 200
    # a bare animation is the HTML player (it needs no kernel); `anim.widget` is a widget view
    html_player = page.locator(".jp-OutputArea-output[data-mime-type='text/html'] .ag-player").first
    html_player.wait_for(timeout=30_000)
    player = page.locator(".jp-OutputArea-output:not([data-mime-type='text/html']) .ag-player").first
    player.wait_for(timeout=30_000)
    assert (
        page.locator(
            ".jp-OutputArea-output:has(.ag-player) .widget-subarea, .jp-OutputArea-output:has(.ag-player) .lm-Widget"
        ).count()
        >= 1
    )
    slider = player.locator("input[type=range]")
    assert slider.input_value() == "0"
    player.locator("button[aria-label='Play']").click()
    deadline = time.time() + 20  # poll the locator: a cell's view may be re-rendered
    while int(slider.input_value()) < 3 and time.time() < deadline:
        page.wait_for_timeout(100)
    assert int(slider.input_value()) >= 3
    caption = player.locator(".ag-caption").inner_text()
    assert caption.startswith(("y =", "Backward", "∂L/∂"))
    page.screenshot(path=artifact(f"widget-{server.app}.png"))

    # it stops on the last frame; then Python drives both views, and reads back where the widget is
    player.locator("button[aria-label='Play']").wait_for(timeout=20_000)
    assert slider.input_value() == slider.get_attribute("max")
    assert run_code(page, "assert anim.frame == -1") == "error"  # the check can fail
    assert run_code(page, f"assert anim.frame == {slider.input_value()}, anim.frame") == "ok"
    assert run_code(page, "anim.frame = 1") == "ok"
    page.wait_for_function(
        """() => [...document.querySelectorAll('.ag-player input[type=range]')].filter(s => s.value === '1').length == 2""",
        timeout=10_000,
    )  # the widget, and the HTML player redrawn through its display id
    player.locator("button[aria-label='Next step']").click()
    deadline = time.time() + 10
    while run_code(page, "assert anim.frame == 2, anim.frame") != "ok" and time.time() < deadline:
        page.wait_for_timeout(200)
    assert run_code(page, "assert anim.frame == 2, anim.frame") == "ok"


def test_widget_follows_jupyterlab_dark_theme(page, tmp_path):
    need_browser()
    nb = nbformat.v4.new_notebook()
    cell = "g = TorchGraph(lambda a, b: a * b, [2, 3], [2])\nanim = g.animate(direction='both')\nanim.frame = 3\nanim"
    nb.cells = [nbformat.v4.new_code_cell(CELLS[0]), nbformat.v4.new_code_cell(cell)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "dark.ipynb")
    server = JupyterServer("lab", tmp_path)
    try:
        page.goto(server.url("dark.ipynb"))
        run_all_cells(page)
        player = page.locator(".jp-OutputArea-output .ag-player").first
        player.wait_for(timeout=30_000)
        # it opened on frame 3: only that frame's lights are on, none left over from the drawing's frame 0
        assert player.locator("input[type=range]").input_value() == "3"
        assert player.locator(".ag-node.ag-lit").count() == 2  # the × op and a
        light_text = player.locator(".ag-step").evaluate("e => getComputedStyle(e).color")
        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        page.wait_for_timeout(500)
        dark_text = player.locator(".ag-step").evaluate("e => getComputedStyle(e).color")
        assert luminance(light_text) < 0.3 < 0.6 < luminance(dark_text)
        card = player.locator("svg.ag-graph .ag-card").evaluate("e => getComputedStyle(e).fill")
        assert luminance(card) < 0.3  # the drawing's card turned dark too
        player.scroll_into_view_if_needed()
        page.screenshot(path=artifact("widget-lab-dark.png"))
    finally:
        server.stop()


def test_two_views_of_one_widget_play_in_step_at_the_set_speed(page, tmp_path):
    need_browser()
    nb = nbformat.v4.new_notebook()
    build = (
        "def chain(x):\n    for _ in range(12):\n        x = x * 1.1\n    return x\n\n"
        "anim = TorchGraph(chain, [1.0]).animate(direction='both', interval_ms=250)\nanim.widget"
    )
    nb.cells = [
        nbformat.v4.new_code_cell(c) for c in (CELLS[0], build, "anim.widget  # the same widget, a second view")
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "twice.ipynb")
    server = JupyterServer("lab", tmp_path)
    try:
        page.goto(server.url("twice.ipynb"))
        run_all_cells(page)
        players = page.locator(".jp-OutputArea-output .ag-player")
        players.nth(1).wait_for(timeout=30_000)
        players.nth(0).locator("button[aria-label='Play']").click()
        page.wait_for_timeout(2_000)
        players.nth(0).locator("button[aria-label='Pause']").click()
        page.wait_for_timeout(300)
        first, second = (int(players.nth(i).locator("input[type=range]").input_value()) for i in (0, 1))
        assert first == second  # both views show the same frame
        assert 4 <= first <= 11  # 2 s at 250 ms a step is 8 steps; two timers adding up would make ~16
    finally:
        server.stop()


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def run_code(page, code: str) -> str:
    """Run code in the notebook's kernel, outside any cell; the reply's status ("ok" or "error")."""
    return page.evaluate(
        f"""async (code) => {{
            const reply = await {KERNEL}.requestExecute({{ code, store_history: false }}).done;
            return reply.content.status;
        }}""",
        code,
    )
