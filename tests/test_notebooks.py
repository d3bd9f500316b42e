"""Every lesson and every worked solution runs top to bottom; checks say what they should."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9]*.ipynb"))


def run(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def stdout_of(nb) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )


def test_every_lesson_has_a_solution_and_is_committed_without_outputs():
    assert len(LESSONS) >= 6
    assert [p.name for p in LESSONS] == [p.name for p in SOLUTIONS]
    for path in LESSONS + SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        assert all(
            not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code"
        ), path
        assert path.stat().st_size < 1_000_000
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert "except ImportError" in first_code.source and "%pip install" in first_code.source


@pytest.mark.notebook
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_and_blank_exercises_are_not_attempted(path):
    out = stdout_of(run(path))
    assert "not attempted yet" in out
    assert "❌" not in out and "✅" not in out


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_runs_and_every_check_passes(path):
    out = stdout_of(run(path))
    assert "✅" in out
    assert "❌" not in out and "⏳" not in out, out[-3000:]
