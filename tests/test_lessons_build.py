"""The committed notebooks are exactly what `make notebooks` builds from lessons/*.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_committed_notebooks_match_a_fresh_build(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_notebooks.py"), "--out", str(tmp_path)], check=True)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    committed = sorted(p.relative_to(ROOT / "notebooks") for p in (ROOT / "notebooks").rglob("[0-9]*.ipynb"))
    assert built == committed
    # compared as JSON, so a checkout that turned line ends into CRLF (Windows) still matches
    stale = [str(p) for p in built if load(tmp_path / p) != load(ROOT / "notebooks" / p)]
    assert not stale, f"run `make notebooks`: these differ from their sources: {stale}"


def test_six_lessons_each_with_exercises_their_solutions_a_quiz_and_the_packages_checker():
    assert [p.stem[:2] for p in SOURCES] == ["01", "02", "03", "04", "05", "06"]
    for source in SOURCES:
        nb = jupytext.read(source, fmt="py:percent")
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert tags.count("exercise") >= 2 and tags.count("exercise") == tags.count("solution"), source.name
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "from ani_graph.exercises import check" in code and "def check(" not in code, source.name
        assert ".quiz(" in code, f"{source.name}: every lesson has a predict-then-reveal quiz"


def test_the_student_never_sees_a_solution_and_the_teacher_never_a_blank(tmp_path):
    for source in SOURCES:
        lesson = nbformat.read(ROOT / "notebooks" / f"{source.stem}.ipynb", as_version=4)
        solved = nbformat.read(ROOT / "notebooks" / "solutions" / f"{source.stem}.ipynb", as_version=4)
        lesson_tags = [t for c in lesson.cells for t in c.metadata.get("tags", [])]
        solved_tags = [t for c in solved.cells for t in c.metadata.get("tags", [])]
        assert "solution" not in lesson_tags and "exercise" in lesson_tags
        assert "exercise" not in solved_tags and "solution" in solved_tags
        assert len(lesson.cells) == len(solved.cells)
