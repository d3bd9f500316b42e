"""Build the lesson notebooks from their sources in lessons/ (jupytext percent format).

    python scripts/build_notebooks.py [--out DIR]

Each `lessons/NN_name.py` becomes `DIR/NN_name.ipynb` for the student, where every cell
tagged `exercise` is kept blank and every cell tagged `solution` is left out, and
`DIR/solutions/NN_name.ipynb` for the teacher, the other way round. DIR is `notebooks/`.

- Outputs are never stored, and cell ids are stable, so a rebuild changes nothing unless a
  source changed (tests/test_lessons_build.py checks that the committed notebooks match).
- Pictures written `![alt](../assets/name.png)` in markdown travel inside the notebook as
  cell attachments, so they show wherever it is opened (JupyterLab, Colab, GitHub, VS Code).
- A cell keeps only its tags; the notebook only its kernel.
"""

from __future__ import annotations

import argparse
import base64
import re
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "lessons"
PICTURE = re.compile(r"\]\(\.\./assets/([\w.-]+\.png)\)")
LEFT_OUT = {"lesson": "solution", "solution": "exercise"}


def markdown_cell(text: str) -> nbformat.NotebookNode:
    """A markdown cell whose pictures from assets/ travel inside it, as attachments."""
    names = sorted(set(PICTURE.findall(text)))
    attachments = {n: {"image/png": base64.b64encode((ROOT / "assets" / n).read_bytes()).decode()} for n in names}
    text = PICTURE.sub(lambda m: f"](attachment:{m.group(1)})", text)
    return nbformat.v4.new_markdown_cell(text, **({"attachments": attachments} if names else {}))


def build(source: Path, kind: str) -> nbformat.NotebookNode:
    """The student's ("lesson") or the teacher's ("solution") notebook of one lesson source."""
    read = jupytext.read(source, fmt="py:percent")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in read.cells:
        tags = list(cell.metadata.get("tags", []))
        if LEFT_OUT[kind] in tags:
            continue
        if cell.cell_type == "markdown":
            nb.cells.append(markdown_cell(cell.source))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell.source, metadata={"tags": tags} if tags else {}))
    for i, c in enumerate(nb.cells):  # stable ids keep diffs small
        c["id"] = f"cell-{i:02d}"
    return nb


def build_all(out: Path) -> list[Path]:
    """Write every lesson and its solution under `out`; return the paths written."""
    (out / "solutions").mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(SOURCES.glob("[0-9][0-9]_*.py")):
        for kind, folder in (("lesson", out), ("solution", out / "solutions")):
            path = folder / f"{source.stem}.ipynb"
            nbformat.write(build(source, kind), path)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks", help="where to write (default notebooks/)")
    args = parser.parse_args()
    for path in build_all(args.out):
        print(path)


if __name__ == "__main__":
    main()
