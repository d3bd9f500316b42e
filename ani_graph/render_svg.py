"""The scene as SVG text: each shape becomes one element; ids and classes for the player.

Contract with the animation player (`static/player.js`):
- root `<svg class="ag-graph">`; themable colours are CSS custom properties `--ag-*`
  (see `style.theme_css`), lit things have classes `ag-lit` and `ag-flow-fwd`/`ag-flow-back`;
- node `<g class="ag-node ag-{kind}" id="ag-n-{id}" data-node="{node id}">`, its shape
  has class `ag-shape`;
- tensor nodes hold badges `<g class="ag-badge ag-badge-val">` (and `ag-badge-grad`, or
  `ag-badge-tan` in forward mode) with `<text class="ag-val">` / `ag-grad` / `ag-tan`; an
  empty badge also has class `ag-empty`; with `tensors="heatmap"` a badge may hold a grid
  `<g class="ag-heat ag-heat-val">` (or `ag-heat-grad`) of `<rect class="ag-cell">`, one per
  element, and its text is then hidden (class `ag-empty`): the grid shows with its badge. A
  gradient that arrives in shares has one more grid per running sum, with `data-text` the
  badge text it stands for: the player shows the grid whose `data-text` is the badge's text,
  else the one without `data-text` (the total);
- edge `<g class="ag-edge" id="ag-e-{u}-{v}" data-src data-dst>` with `<path class="ag-path">`;
  a tensor→op edge also holds `<text class="ag-egrad">`.

Every text is escaped (control characters as visible escapes, so the SVG stays valid
XML whatever a name holds); the SVG holds no script.

>>> from ani_graph.scene import Group, Scene, Text
>>> svg = scene_to_svg(Scene(10, 10, (Group("note", (Text(1, 2, "a<b", 11, "#000"),)),)))
>>> "a&lt;b" in svg and "<script" not in svg
True
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from . import style as S
from .escapes import visible
from .scene import Curve, Ellipse, Group, Polygon, Rect, Scene, Text

# Roles to theme variables, and what a lit element looks like: both also hold in a
# stand-alone .svg file, so the values come from style.py through the variables.
CSS = f"""{S.theme_css()}
.ag-graph {{ font-family: {S.FONT_FAMILY}; font-size: {S.FONT_SIZE}px; }}
.ag-graph .ag-card, .ag-graph .ag-legend-bg {{ fill: var(--ag-card); }}
.ag-graph text {{ fill: var(--ag-text); dominant-baseline: central; }}
.ag-graph .ag-shape {{ fill-opacity: var(--ag-fill-opacity, 1); }}
.ag-graph .ag-path {{ stroke: var(--ag-edge); }}
.ag-graph .ag-arrow {{ fill: var(--ag-edge); }}
.ag-graph .ag-val, .ag-graph .ag-val-bg {{ fill: var(--ag-val); }}
.ag-graph .ag-grad, .ag-graph .ag-grad-bg, .ag-graph .ag-egrad {{ fill: var(--ag-grad); }}
.ag-graph .ag-tan, .ag-graph .ag-tan-bg {{ fill: var(--ag-tan); }}
.ag-graph .ag-egrad {{ paint-order: stroke; stroke: var(--ag-card); stroke-width: 3px; }}
.ag-graph .ag-badge-val .ag-heat-range {{ fill: var(--ag-val); }}
.ag-graph .ag-badge-grad .ag-heat-range {{ fill: var(--ag-grad); }}
.ag-graph .ag-empty {{ visibility: hidden; }}
.ag-graph .ag-cluster rect {{ fill: var(--ag-cluster); stroke: var(--ag-cluster-stroke); }}
.ag-graph .ag-lit .ag-shape {{ stroke-width: var(--ag-lit-width); }}
.ag-graph .ag-lit .ag-path {{ stroke-width: var(--ag-lit-edge-width); stroke-dasharray: {S.LIT_DASH[0]:g} {S.LIT_DASH[1]:g}; }}
.ag-graph .ag-flow-fwd .ag-shape, .ag-graph .ag-flow-fwd .ag-path {{ stroke: var(--ag-glow-fwd); }}
.ag-graph .ag-flow-back .ag-shape, .ag-graph .ag-flow-back .ag-path {{ stroke: var(--ag-glow-back); }}
.ag-graph .ag-flow-fwd .ag-arrow {{ fill: var(--ag-glow-fwd); }}
.ag-graph .ag-flow-back .ag-arrow {{ fill: var(--ag-glow-back); }}
.ag-graph .ag-flow-tan .ag-shape, .ag-graph .ag-flow-tan .ag-path {{ stroke: var(--ag-glow-tan); }}
.ag-graph .ag-flow-tan .ag-arrow {{ fill: var(--ag-glow-tan); }}
.ag-graph .ag-flow-upd .ag-shape {{ stroke: var(--ag-glow-upd); }}
.ag-graph .ag-strip-line, .ag-graph .ag-strip-dot {{ stroke: var(--ag-strip); }}
.ag-graph .ag-strip-dot {{ fill: var(--ag-strip); }}
"""


def _f(x: float) -> str:
    """A coordinate as drawn: one decimal, without a trailing ".0"."""
    s = f"{x:.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


# A shape's paint (fill, stroke, font...) as (attribute, value) pairs. Pairs that many shapes
# share go once into the SVG's <style> as a short class, at specificity zero (`:where`), so
# every rule above still wins over them exactly as it won over presentation attributes.
Paint = tuple[tuple[str, str], ...]
_CSS_UNIT = {"stroke-width": "px", "font-size": "px"}
_KEEP_PAINT = {"ag-cell"}  # a heatmap cell's fill is its number: it stays on the cell


@dataclass(frozen=True)
class _El:
    tag: str
    cls: str
    attrs: str  # geometry and data, already as text
    paint: Paint
    body: str | None = None  # a text's content, escaped


def _dash(dash) -> Paint:
    return (("stroke-dasharray", " ".join(f"{d:g}" for d in dash)),) if dash else ()


def _rect(r: Rect) -> _El:
    paint: Paint = (("fill", r.fill),)
    paint += (("fill-opacity", f"{r.fill_opacity:g}"),) if r.fill_opacity != 1 else ()
    paint += (("stroke", r.stroke), ("stroke-width", f"{r.stroke_width:g}")) if r.stroke != "none" else ()
    geom = f'x="{_f(r.x)}" y="{_f(r.y)}" width="{_f(r.w)}" height="{_f(r.h)}"'
    geom += f' rx="{r.rx:g}"' if r.rx else ""
    return _El("rect", r.cls, geom, paint + _dash(r.dash))


def _ellipse(e: Ellipse) -> _El:
    geom = f'cx="{_f(e.cx)}" cy="{_f(e.cy)}" rx="{_f(e.rx)}" ry="{_f(e.ry)}"'
    return _El(
        "ellipse", e.cls, geom, (("fill", e.fill), ("stroke", e.stroke), ("stroke-width", f"{e.stroke_width:g}"))
    )


def _text(t: Text) -> _El:
    cls = " ".join(c for c in (t.cls, "ag-empty" if t.hidden else "") if c)
    paint: Paint = (("fill", t.colour),)
    paint += (("text-anchor", t.anchor),) if t.anchor != "start" else ()
    paint += (("font-size", f"{t.size:g}"),) if t.size != S.FONT_SIZE else ()
    paint += (("font-weight", "bold"),) if t.bold else ()
    paint += (("font-style", "italic"),) if t.italic else ()
    paint += (("opacity", f"{t.opacity:g}"),) if t.opacity != 1 else ()
    attrs = f'x="{_f(t.x)}" y="{_f(t.y)}"'
    attrs += f" data-node={quoteattr(visible(t.node))}" if t.node is not None else ""
    return _El("text", cls, attrs, paint, escape(visible(t.text)))


def _tenths(t: int) -> str:
    """An integer number of tenths as `_f` writes it, with no float error."""
    whole, tenth = divmod(abs(t), 10)
    return ("-" if t < 0 else "") + (f"{whole}.{tenth}" if tenth else str(whole))


def _path_d(points, close: bool = False) -> str:
    """An absolute start, then relative steps (`c` for a curve's triples, `l` for a polygon's
    corners): shorter numbers, counted in whole tenths so the steps add up to the points exactly."""
    if not points:
        return ""
    q = [(round(x * 10), round(y * 10)) for x, y in points]
    step = lambda a, b: f"{_tenths(b[0] - a[0])},{_tenths(b[1] - a[1])}"  # noqa: E731
    d = [f"M{_tenths(q[0][0])},{_tenths(q[0][1])}"]
    if close:
        return d[0] + (" l" if len(q) > 1 else "") + " ".join(step(a, b) for a, b in zip(q, q[1:], strict=False)) + "z"
    for i in range(1, len(q) - 2, 3):
        d.append("c" + " ".join(step(q[i - 1], b) for b in q[i : i + 3]))
    return " ".join(d)


def _curve(c: Curve) -> _El:
    paint = (("fill", "none"), ("stroke", c.stroke), ("stroke-width", f"{c.width:g}"))
    return _El("path", c.cls, f'd="{_path_d(c.points)}"', paint + _dash(c.dash))


def _polygon(p: Polygon) -> _El:
    return _El("path", p.cls, f'd="{_path_d(p.points, close=True)}"', (("fill", p.fill),))


def _group(g: Group, out: list) -> None:
    """Appends the group's text and shapes (`_El`, painted later) to `out`."""
    cls = " ".join(c for c in (g.cls, "ag-empty" if g.hidden else "") if c)
    attrs = _cls(cls) + (f' id="{g.dom_id}"' if g.dom_id else "")
    if g.role == "node":
        attrs += f" data-node={quoteattr(visible(g.key))}"
    elif g.role == "edge":
        attrs += f" data-src={quoteattr(visible(g.src))} data-dst={quoteattr(visible(g.dst))}"
    elif g.role == "cluster":
        attrs += f" data-module={quoteattr(visible(g.key))}"
    elif g.role == "heat" and g.key:  # a running sum's grid: the badge text it stands for
        attrs += f" data-text={quoteattr(visible(g.key))}"
    if attrs:
        out.append(f"<g{attrs}>")
    for item in g.items:
        if isinstance(item, Group):
            _group(item, out)
        else:
            out.append(_SHAPES[type(item)](item))
    if attrs:
        out.append("</g>")


_SHAPES: dict[type, Callable[[Any], _El]] = {
    Rect: _rect,
    Ellipse: _ellipse,
    Text: _text,
    Curve: _curve,
    Polygon: _polygon,
}


def _paint_classes(shapes: list[_El]) -> dict[Paint, str]:
    """A short class for each paint that enough shapes share to save bytes.

    The name is made from the paint itself: a notebook shows many drawings on one page, and
    every drawing's `<style>` applies to the whole page, so one name must mean one paint.
    """
    counts = Counter(e.paint for e in shapes if e.paint and e.cls not in _KEEP_PAINT)
    common = [p for p, n in counts.most_common() if n > 1 and n * sum(len(a) + len(v) + 4 for a, v in p) > 60]
    return {p: "p" + hashlib.sha1(repr(p).encode()).hexdigest()[:8] for p in common}


def _paint_css(classes: dict[Paint, str]) -> str:
    rule = lambda p: ";".join(f"{a}:{v}{_CSS_UNIT.get(a, '')}" for a, v in p)  # noqa: E731
    return "\n".join(f":where(.ag-graph .{c}) {{ {rule(p)} }}" for p, c in classes.items())


def _cls(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


def _emit(e: _El, classes: dict[Paint, str]) -> str:
    short = classes.get(e.paint) if e.cls not in _KEEP_PAINT else None
    cls = " ".join(c for c in (e.cls, short) if c)
    paint = "" if short else "".join(f' {a}="{v}"' for a, v in e.paint)
    head = f"<{e.tag}{_cls(cls)} {e.attrs}{paint}"
    return f"{head}/>" if e.body is None else f"{head}>{e.body}</{e.tag}>"


def scene_to_svg(scene: Scene) -> str:
    """The SVG of a scene, drawn `style.ZOOM` times its size in points."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ag-graph" viewBox="0 0 {_f(scene.width)} '
        f'{_f(scene.height)}" width="{_f(scene.width * S.ZOOM)}" height="{_f(scene.height * S.ZOOM)}" role="img">'
    )
    lines: list[list] = []
    for g in scene.groups:
        lines.append([])
        _group(g, lines[-1])
    classes = _paint_classes([e for line in lines for e in line if isinstance(e, _El)])
    body = ["".join(e if isinstance(e, str) else _emit(e, classes) for e in line) for line in lines]
    return "\n".join([head, f"<style>{_paint_css(classes)}\n{CSS}</style>", *body, "</svg>"])
