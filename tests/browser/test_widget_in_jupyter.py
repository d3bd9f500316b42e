"""The widget in JupyterLab 4 and Notebook 7: a notebook builds a graph, animate() shows, Play plays."""

import time

import nbformat
import pytest

from .conftest import KERNEL, JupyterServer, artifact, cell_errors, need_browser, run_all_cells

CELLS = [
    "import torch\nfrom ani_graph import TorchGraph",
    "g0 = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])\ng0",
    "def func_mult(a, b):\n    y = a * b\n    return y\n\ng = TorchGraph(func_mult, [2, 3], [2])\nanim = g.animate(direction='both', interval_ms=150)\nanim",
]


@pytest.fixture(params=["lab", "notebook"])
def server(request, tmp_path):
    need_browser()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "animate.ipynb")
    srv = JupyterServer(request.param, tmp_path)
    yield srv
    srv.stop()


def test_animate_shows_a_widget_that_plays(server, page):
    page.goto(server.url("animate.ipynb"))
    run_all_cells(page)
    assert cell_errors(page) == []
    # a bare graph shows its static drawing (SVG, with a PNG in the same output)
    static = page.locator(
        ".jp-OutputArea-output[data-mime-type='image/svg+xml'] img, .jp-OutputArea-output svg.ag-graph"
    ).first
    static.wait_for(timeout=30_000)
    assert static.bounding_box()["width"] > 200
    player = page.locator(".jp-OutputArea-output .ag-player").first
    player.wait_for(timeout=30_000)
    # the widget rendered (not the HTML fallback): it sits in a widget view
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

    # it stops on the last frame; then Python drives it, and reads back where the browser is
    player.locator("button[aria-label='Play']").wait_for(timeout=20_000)
    assert slider.input_value() == slider.get_attribute("max")
    assert run_code(page, "assert anim.frame == -1") == "error"  # the check can fail
    assert run_code(page, f"assert anim.frame == {slider.input_value()}, anim.frame") == "ok"
    assert run_code(page, "anim.frame = 1") == "ok"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ag-player input[type=range]')].some(s => s.value === '1')",
        timeout=10_000,
    )
    player.locator("button[aria-label='Next step']").click()
    deadline = time.time() + 10
    while run_code(page, "assert anim.frame == 2, anim.frame") != "ok" and time.time() < deadline:
        page.wait_for_timeout(200)
    assert run_code(page, "assert anim.frame == 2, anim.frame") == "ok"


def run_code(page, code: str) -> str:
    """Run code in the notebook's kernel, outside any cell; the reply's status ("ok" or "error")."""
    return page.evaluate(
        f"""async (code) => {{
            const reply = await {KERNEL}.requestExecute({{ code, store_history: false }}).done;
            return reply.content.status;
        }}""",
        code,
    )
