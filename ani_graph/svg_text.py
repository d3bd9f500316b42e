"""How the SVG writer (`render_svg`) spells numbers, path data and texts: short, exact, escaped.

>>> _f(0.25), _f(-0.04), _f(12.0)
('.2', '0', '12')
>>> _path_d([(0, 0), (1, 0), (2, 0.5), (3, 1)])
'M0,0c1,0,2,.5,3,1'
>>> print(_text_body("a<b"), _attr("a&b"))
a&lt;b "a&amp;b"
"""

from __future__ import annotations

import functools
from xml.sax.saxutils import escape, quoteattr

from .escapes import visible


def _f(x: float) -> str:
    """A coordinate as drawn: one decimal, without a trailing ".0" or a leading "0"."""
    s = _F.get(x)
    if s is None:
        s = f"{x:.1f}"
        s = s[:-2] if s.endswith(".0") else s
        if s == "-0":
            s = "0"
        elif s.startswith(("0.", "-0.")):
            s = s.replace("0.", ".", 1)
        if len(_F) < 65536:  # positions, widths and heights repeat across a drawing (and the next)
            _F[x] = s  # equal floats write alike (0.0 and -0.0 both as "0")
    return s


_F: dict[float, str] = {}


def _tenths(t: int) -> str:
    """An integer number of tenths as `_f` writes it, with no float error."""
    s = _TENTHS.get(t)
    if s is None:
        whole, tenth = divmod(abs(t), 10)
        s = ("-" if t < 0 else "") + (f"{whole or ''}.{tenth}" if tenth else str(whole))
        if len(_TENTHS) < 65536:  # the small steps of path data repeat from edge to edge
            _TENTHS[t] = s
    return s


_TENTHS: dict[int, str] = {}


def _joined(numbers) -> str:
    """Numbers of path data: a minus sign is their separator where there is one, else a comma."""
    return ",".join(numbers).replace(",-", "-")


def _path_d(points, close: bool = False, then=None) -> str:
    """An absolute start, then relative steps (`c` for a curve's triples, `l` for a polygon's
    corners, and for a line on to the point `then`): shorter numbers, counted in whole tenths so
    the steps add up to the points exactly."""
    if not points:
        return ""
    q = [(round(x * 10), round(y * 10)) for x, y in (*points, *([then] if then else []))]
    t = _tenths
    d = "M" + _joined((t(q[0][0]), t(q[0][1])))
    if close:
        corners = _joined([n for (ax, ay), (bx, by) in zip(q, q[1:], strict=False) for n in (t(bx - ax), t(by - ay))])
        return d + ("l" + corners if corners else "") + "z"
    ends = len(q) - (1 if then else 0)
    # every step's numbers, joined once: a letter starts each step, so only numbers meet a comma;
    # the numbers are read from `_TENTHS` first (a lookup, no call: a drawing's steps repeat)
    s = _TENTHS.get
    steps = [
        f"c{s(bx - ax) or t(bx - ax)},{s(by - ay) or t(by - ay)},{s(cx - ax) or t(cx - ax)},"
        f"{s(cy - ay) or t(cy - ay)},{s(ex - ax) or t(ex - ax)},{s(ey - ay) or t(ey - ay)}"
        for (ax, ay), (bx, by), (cx, cy), (ex, ey) in (q[i - 1 : i + 3] for i in range(1, ends - 2, 3))
    ]
    if then:
        (ax, ay), (bx, by) = q[-2], q[-1]
        steps.append(f"l{t(bx - ax)},{t(by - ay)}")
    return d + "".join(steps).replace(",-", "-")


@functools.lru_cache(maxsize=65536)
def _attr(value: str) -> str:
    """An attribute value, quoted and escaped (a node's id comes back in every edge it has)."""
    return quoteattr(visible(value))


@functools.lru_cache(maxsize=65536)
def _text_body(text: str) -> str:
    """A text's content, escaped (the same numbers and titles repeat across a drawing)."""
    return escape(visible(text))
