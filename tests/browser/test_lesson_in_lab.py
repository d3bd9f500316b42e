"""Lesson 1 opened in JupyterLab 4 in a real browser: it runs, and its animation shows and plays."""

from __future__ import annotations

import shutil
import time

import pytest

from .conftest import ROOT, JupyterServer, artifact, cell_errors, need_browser, run_all_cells

LESSON = "01_computation_graph.ipynb"


@pytest.fixture
def lesson_lab(tmp_path):
    """JupyterLab serving a copy of the lessons, so the run leaves the repository's files alone."""
    need_browser()
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "assets", tmp_path / "assets")
    server = JupyterServer("lab", tmp_path)
    yield server
    server.stop()


def test_lesson_one_runs_in_jupyterlab_and_its_animation_plays(lesson_lab, page):
    page.goto(lesson_lab.url(f"notebooks/{LESSON}"))
    run_all_cells(page)
    assert cell_errors(page) == []

    player = page.locator(".jp-OutputArea-output .ag-player").first
    player.wait_for(timeout=30_000)
    player.scroll_into_view_if_needed()
    assert player.locator("svg.ag-graph").count() == 1
    slider = player.locator("input[type=range]")
    start = int(slider.input_value())
    player.locator("button[aria-label='Play']").click()
    # poll through the locator: JupyterLab may re-render a cell's view while it plays
    deadline = time.time() + 20
    while int(slider.input_value()) <= start and time.time() < deadline:
        page.wait_for_timeout(100)
    page.screenshot(path=artifact("lesson1-jupyterlab.png"))
    assert int(slider.input_value()) > start
    # JupyterLab logs its own unrelated console errors offline; none may come from the player
    assert not [e for e in page.errors if "player" in e or "ag-" in e or "render" in e]
