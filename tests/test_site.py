"""`make site`: every solution executed into a page, linked in order, playing with no network."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p.stem for p in (ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
# anything the browser would fetch by itself: src= on any element, <link href>, CSS url(...), @import
FETCHES = re.compile(
    r"""\bsrc\s*=\s*["']?\s*(https?:)?//|<link\b[^>]*\bhref\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import\s+["']?(https?:)?//""",
    re.I,
)


@pytest.mark.notebook
def test_index_links_the_six_lessons_in_order(built_site):
    index = (built_site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<li><a href="([^"]+)">(Lesson (\d) [^<]*)</a></li>', index)
    assert [href for href, _, _ in links] == [f"{name}.html" for name in LESSONS]
    assert [int(n) for _, _, n in links] == [1, 2, 3, 4, 5, 6]
    assert all((built_site / href).is_file() for href, _, _ in links)


@pytest.mark.notebook
@pytest.mark.parametrize("name", LESSONS)
def test_each_page_has_the_player_its_checks_pass_and_nothing_loads_from_the_network(built_site, name):
    page = (built_site / f"{name}.html").read_text(encoding="utf-8")
    assert page.count('class="ag-standalone"') >= 1, "an animation must be the stand-alone player"
    assert "<math" in page and "$$" not in page and "ns0:" not in page, "math arrives as plain HTML MathML"
    assert not FETCHES.search(page), FETCHES.search(page)
    assert "✅" in page and "❌" not in page and "⏳" not in page, "every solution's checks pass"
    assert 'rel="next"' in page or name == LESSONS[-1]
    assert 'href="index.html"' in page


def test_the_network_pattern_catches_what_it_must():
    for fetch in (
        '<script src="https://cdn.example/x.js">',
        "<img src=//cdn.example/a.png>",
        '<link rel="stylesheet" href="http://x/y.css">',
        "background: url('https://x/y.png')",
    ):
        assert FETCHES.search(fetch), fetch
    for local in (
        '<img src="data:image/png;base64,AAAA">',
        '<a href="https://example.org">a link</a>',
        '<math xmlns="http://www.w3.org/1998/Math/MathML">',
    ):
        assert not FETCHES.search(local), local


def test_math_becomes_mathml_and_code_stays_as_written():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    assert spec and spec.loader
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    out = build_site.mathml('## At $x = 2$: `name = "$\\sigma$"`\n\n$$\\frac{a}{b}$$')
    assert out.startswith('## At <math display="inline">') and "<mn>2</mn>" in out
    assert '`name = "$\\sigma$"`' in out  # code is left alone
    assert (
        '<math display="block"><mrow><mfrac>' in out
        and "xmlns" not in out
        and "$" not in out.replace('"$\\sigma$"', "")
    )
