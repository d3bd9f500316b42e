"""Build the lessons' website: every solution notebook executed and turned into a page.

    python scripts/build_site.py [--out DIR]

DIR (default `site/`) gets `index.html`, linking the six lessons in order, and one page per
lesson. Each page is JupyterLab's look (nbconvert's `lab` template) with every output the
notebook makes: an animation is the stand-alone player (it plays with no kernel and no
network), a plot a PNG inside the page. Nothing loads from the network: the math is turned
into MathML here (browsers draw it themselves), and the template leaves out require.js,
MathJax and the widget manager that nbconvert would load from a CDN.
"""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "notebooks" / "solutions"
TEMPLATES = Path(__file__).resolve().parent / "site"
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)  # code is left as it is
XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'  # HTML needs none; nbconvert's heading anchors would prefix it
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<!\\)\$", re.S)


def mathml(markdown: str) -> str:
    """Markdown with every `$…$` and `$$…$$` outside code replaced by MathML."""

    def one(match: re.Match) -> str:
        block, inline = match.group(1), match.group(2)
        latex = block if block is not None else inline
        return latex_to_mathml(latex, display="block" if block else "inline").replace(XMLNS, "")

    parts = CODE.split(markdown)
    return "".join(part if i % 2 else MATH.sub(one, part) for i, part in enumerate(parts))


def title_of(nb: nbformat.NotebookNode) -> str:
    """The first heading of the notebook, without its `#`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("a lesson must start with a '# Lesson N · title' heading")


def executed(path: Path) -> nbformat.NotebookNode:
    """The notebook run top to bottom in its own folder, with its outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nb.metadata.pop("widgets", None)  # the page needs no widget manager from the network
    return nb


def nav(pages: list[tuple[str, str]], i: int) -> str:
    """Links to the previous lesson, the index and the next lesson."""
    links = []
    if i > 0:
        links.append(f'<a href="{pages[i - 1][0]}" rel="prev">← {html.escape(pages[i - 1][1])}</a>')
    links.append('<a href="index.html">All lessons</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{pages[i + 1][0]}" rel="next">{html.escape(pages[i + 1][1])} →</a>')
    return "\n".join(links)


def lesson_page(nb: nbformat.NotebookNode, nav_html: str) -> str:
    """One lesson as a page of the site."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = mathml(cell.source)
    exporter = HTMLExporter(
        template_name="ag_lessons", template_file="page.html.j2", extra_template_basedirs=[str(TEMPLATES)]
    )
    body, _ = exporter.from_notebook_node(nb, resources={"ag_nav": nav_html})
    return body


def index_page(pages: list[tuple[str, str]]) -> str:
    """The site's first page: the lessons in order."""
    items = "\n".join(f'  <li><a href="{href}">{html.escape(title)}</a></li>' for href, title in pages)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>ani-graph lessons</title>
<style>body {{ font: 17px/1.5 sans-serif; max-width: 44em; margin: 2em auto; padding: 0 1em; }}</style>
</head>
<body>
<h1>ani-graph lessons</h1>
<p>Automatic differentiation, watched: each lesson draws PyTorch computations as graphs and
animates values forward and gradients backward. Every animation plays right in the page,
with no Python running. To run the code yourself, open the lesson notebooks in Jupyter or Colab.</p>
<ol class="lessons">
{items}
</ol>
</body>
</html>
"""


def build_site(out: Path, solutions: Path = SOLUTIONS) -> list[Path]:
    """Execute every solution notebook in `solutions` and write the site to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(solutions.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no lesson notebooks (NN_name.ipynb) in {solutions}: run `make notebooks` first")
    notebooks = [executed(p) for p in paths]
    pages = [(f"{p.stem}.html", title_of(nb)) for p, nb in zip(paths, notebooks)]
    written = []
    for i, nb in enumerate(notebooks):
        target = out / pages[i][0]
        target.write_text(lesson_page(nb, nav(pages, i)), encoding="utf-8")
        written.append(target)
    (out / "index.html").write_text(index_page(pages), encoding="utf-8")
    return [out / "index.html", *written]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="where to write (default site/)")
    args = parser.parse_args()
    for path in build_site(args.out):
        print(path)


if __name__ == "__main__":
    main()
