"""Real-browser fixtures: Debian's chromium driven by Playwright, and Jupyter servers.

Browser tests skip where there is no browser, but fail instead when
ANI_GRAPH_REQUIRE_BROWSER=1 (CI sets it), so CI cannot pass by skipping them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def need_browser():
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"no browser at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed"
    if missing:
        if os.environ.get("ANI_GRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here (ANI_GRAPH_REQUIRE_BROWSER=1) but {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="session")
def browser():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """JupyterLab ("lab") or Notebook 7 ("notebook") serving one folder, on a free port."""

    def __init__(self, app: str, root: Path):
        self.app, self.root = app, root
        self.port, self.token = free_port(), "ani-graph-test"
        module = "jupyterlab" if app == "lab" else "notebook"
        expose = "LabApp" if app == "lab" else "JupyterNotebookApp"
        self.log = open(root / f"{app}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "--allow-root", "--no-browser", f"--port={self.port}",
             f"--ServerApp.token={self.token}", f"--{expose}.expose_app_in_browser=True",
             f"--ServerApp.root_dir={root}", "--ServerApp.disable_check_xsrf=True"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=root,
            # settings (a theme a test switches to, say) stay in the test's folder, not the user's
            env={**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
                 "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces")},
        )  # fmt: skip
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter {app} did not start: " + (root / f"{app}.log").read_text()[-2000:])

    def url(self, notebook: str) -> str:
        where = "lab/tree" if self.app == "lab" else "notebooks"
        return f"http://127.0.0.1:{self.port}/{where}/{notebook}?reset&token={self.token}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


KERNEL = "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel"


def run_all_cells(page, timeout_ms: int = 240_000):
    """Wait for the kernel, run every cell, and wait until all have finished."""
    page.wait_for_function(f"{KERNEL} && {KERNEL}.status === 'idle'", timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"""() => {{
            const nb = window.jupyterapp.shell.currentWidget.content;
            return {KERNEL}.status === 'idle' && nb.widgets.every(c => c.model.type !== 'code' ||
                (c.model.executionCount !== null && !(c.node.querySelector('.jp-InputArea-prompt')?.textContent || '').includes('*')));
        }}""",
        timeout=timeout_ms,
    )


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of code cells with the python3 kernel, for JupyterLab to open and run."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def cell_errors(page) -> list[str]:
    return [
        e.inner_text()[:2000]
        for e in page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").all()
    ]


def panel_table(dialog, which: int):
    """The numbers of an open inspect panel's `which`-th table (0: value, 1: gradient), as a tensor."""
    import torch

    rows = (
        dialog.locator("table")
        .nth(which)
        .evaluate(
            "t => [...t.tBodies[0].rows].map(r => [...r.cells].filter(c => c.tagName === 'TD').map(c => c.textContent))"
        )
    )
    return torch.tensor([[float(v.replace("\u2212", "-")) for v in row] for row in rows])
