"""Animations survive save and reopen: a student runs a lesson-like notebook, saves it, shuts
the kernel down and opens it again (JupyterLab 4 and Notebook 7); every animation shows its
drawing and steps through its frames, with no kernel and no "model not found". A notebook
executed elsewhere (untrusted, its scripts and inline SVG stripped) still shows each drawing.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule, sin_example

from .conftest import JupyterServer, artifact, cell_errors, need_browser, run_all_cells

CELLS = [
    ("markdown", "# Lesson: watching the chain rule\nRun every cell, then step through the animations."),
    ("code", "import torch\nfrom ani_graph import TorchGraph\nfrom ani_graph.examples import chain_rule, sin_example"),
    ("code", "g = TorchGraph(sin_example, [2, 3, 4])\ng.animate(direction='both')"),
    ("markdown", "The gradient of `b` arrives along two paths and adds up."),
    ("code", "anim = TorchGraph(chain_rule, [2, 1]).animate()\nanim.frame = 2\nanim"),
]


def expected_frames() -> list[list[dict]]:
    """The frames of the notebook's animations, made here the same way, in output order."""
    return [
        TorchGraph(sin_example, [2, 3, 4]).animate(direction="both").frames,
        TorchGraph(chain_rule, [2, 1]).animate().frames,
    ]


def write_notebook(folder, name="lesson.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in CELLS
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / name)
    return folder / name


def quiet_settings(folder):
    """No news pop-up over the screenshots."""
    where = folder / "settings" / "@jupyterlab" / "apputils-extension"
    where.mkdir(parents=True, exist_ok=True)
    (where / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))


def saved_outputs(path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def step_through(player, frames, start: int):
    """The player shows its drawing, starts where it should and steps with its buttons."""
    assert player.locator("svg.ag-graph .ag-node").count() > 0
    assert player.locator("svg.ag-graph").bounding_box()["width"] > 300
    slider = player.locator("input[type=range][aria-label='Frame']")
    assert slider.input_value() == str(start)
    assert player.locator(".ag-step").text_content() == frames[start]["caption"]
    player.locator("button[aria-label='Next step']").click()
    assert slider.input_value() == str(start + 1)
    assert player.locator(".ag-step").text_content() == frames[start + 1]["caption"]
    player.locator("button[aria-label='Previous step']").click()
    assert slider.input_value() == str(start)
    player.locator("button[aria-label='Play']").click()
    deadline = time.time() + 20
    while int(slider.input_value()) < len(frames) - 1 and time.time() < deadline:
        player.page.wait_for_timeout(100)
    assert slider.input_value() == str(len(frames) - 1)


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_animations_survive_save_shutdown_and_reopen(app, page, tmp_path):
    need_browser()
    path = write_notebook(tmp_path)
    quiet_settings(tmp_path)
    server = JupyterServer(app, tmp_path)
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(server.url("lesson.ipynb"))
        run_all_cells(page)
        assert cell_errors(page) == []
        page.locator(".jp-OutputArea-output .ag-player").nth(1).wait_for(timeout=30_000)
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.time() + 30
        while not any("text/html" in o.get("data", {}) for o in saved_outputs(path)) and time.time() < deadline:
            time.sleep(0.3)
        # what was saved plays on its own: an HTML player and a picture, no widget model to lose
        kinds = [set(o.get("data", {})) for o in saved_outputs(path) if o.get("output_type") != "stream"]
        assert kinds[-2:] == [{"text/html", "image/png", "text/plain"}] * 2
        page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        page.wait_for_timeout(1_000)

        page.goto(server.url("lesson.ipynb"))  # reopened: a new kernel, no cell run
        players = page.locator(".jp-OutputArea-output .ag-player")
        players.nth(1).wait_for(timeout=60_000)
        assert players.count() == 2
        for player, frames, start in zip([players.nth(0), players.nth(1)], expected_frames(), [0, 2]):
            player.scroll_into_view_if_needed()
            step_through(player, frames, start)
        players.nth(1).scroll_into_view_if_needed()
        page.screenshot(path=artifact(f"after-p1-reopened-{app}.png"))
        assert "model not found" not in page.locator("body").inner_text()
        assert not [e for e in page.errors if "player" in e or "ag-" in e]
    finally:
        server.stop()


def test_a_notebook_executed_elsewhere_shows_each_drawing_and_says_how_to_play_it(page, tmp_path):
    """Executed by nbclient, the notebook is untrusted: JupyterLab strips scripts and inline SVG."""
    need_browser()
    from nbclient import NotebookClient

    path = write_notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    nbformat.write(nb, path)
    quiet_settings(tmp_path)
    server = JupyterServer("lab", tmp_path)
    try:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(server.url("lesson.ipynb"))
        stills = page.locator(".jp-OutputArea-output img.ag-still")
        stills.nth(1).wait_for(timeout=60_000)
        assert stills.count() == 2
        for i in range(2):
            stills.nth(i).scroll_into_view_if_needed()
            page.wait_for_function("e => e.complete && e.naturalWidth > 300", arg=stills.nth(i).element_handle())
            assert stills.nth(i).bounding_box()["width"] > 300
        assert page.locator(".jp-OutputArea-output .ag-player").count() == 0  # no script ran
        assert page.locator("text=A still picture: run this cell").count() == 2
        assert "model not found" not in page.locator("body").inner_text()
        page.screenshot(path=artifact("after-p1-untrusted-lab.png"))
    finally:
        server.stop()
