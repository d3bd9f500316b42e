"""Every picture in every lesson shows in JupyterLab, even with the lessons opened on their own
(as Colab or a Jupyter started inside notebooks/ sees them): the pictures travel as cell attachments."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from .conftest import ROOT, JupyterServer, artifact, need_browser

LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def lessons_alone(tmp_path_factory):
    """JupyterLab serving a copy of notebooks/ and nothing else: no assets folder beside it."""
    need_browser()
    root = tmp_path_factory.mktemp("lessons")
    for name in LESSONS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)  # render every cell at once, so every picture is in the page
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    server = JupyterServer("lab", root)
    yield server
    server.stop()


def test_pictures_are_attachments_not_links_outside_the_notebook():
    for name in LESSONS:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            assert "../assets" not in cell.source, f"{name} links a picture outside the notebook"
            for ref in cell.get("attachments", {}):
                assert f"attachment:{ref}" in cell.source


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_picture_loads_in_jupyterlab(lessons_alone, page, name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    expected = sum(len(c.get("attachments", {})) for c in nb.cells if c.cell_type == "markdown")
    markdown = sum(1 for c in nb.cells if c.cell_type == "markdown")
    page.goto(lessons_alone.url(name))
    page.wait_for_function(
        f"document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown').length >= {markdown}", timeout=90_000
    )
    images = page.locator(".jp-RenderedMarkdown img")
    if expected:
        images.first.wait_for(state="attached", timeout=30_000)
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).every(i => i.complete)", timeout=30_000
    )
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('.jp-RenderedMarkdown img')).map(i => [i.alt, i.naturalWidth])"
    )
    assert len(shown) == expected, shown
    assert all(width > 0 for _, width in shown), f"broken pictures in {name}: {shown}"
    if expected:
        images.first.scroll_into_view_if_needed()
        page.screenshot(path=artifact(f"lesson-pictures-{name.removesuffix('.ipynb')}.png"))
