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

from collections.abc import Callable
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
    return f"{x:.1f}"


def _dash(dash) -> str:
    return f' stroke-dasharray="{" ".join(f"{d:g}" for d in dash)}"' if dash else ""


def _cls(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


def _rect(r: Rect) -> str:
    opacity = f' fill-opacity="{r.fill_opacity:g}"' if r.fill_opacity != 1 else ""
    stroke = f' stroke="{r.stroke}" stroke-width="{r.stroke_width:g}"' if r.stroke != "none" else ""
    return (
        f'<rect{_cls(r.cls)} x="{_f(r.x)}" y="{_f(r.y)}" width="{_f(r.w)}" height="{_f(r.h)}" rx="{r.rx:g}" '
        f'fill="{r.fill}"{opacity}{stroke}{_dash(r.dash)}/>'
    )


def _ellipse(e: Ellipse) -> str:
    return (
        f'<ellipse{_cls(e.cls)} cx="{_f(e.cx)}" cy="{_f(e.cy)}" rx="{_f(e.rx)}" ry="{_f(e.ry)}" '
        f'fill="{e.fill}" stroke="{e.stroke}" stroke-width="{e.stroke_width:g}"/>'
    )


def _text(t: Text) -> str:
    cls = " ".join(c for c in (t.cls, "ag-empty" if t.hidden else "") if c)
    attrs = f' text-anchor="{t.anchor}"' if t.anchor != "start" else ""
    attrs += f' font-size="{t.size:g}"' if t.size != S.FONT_SIZE else ""
    attrs += ' font-weight="bold"' if t.bold else ""
    attrs += ' font-style="italic"' if t.italic else ""
    attrs += f' opacity="{t.opacity:g}"' if t.opacity != 1 else ""
    attrs += f" data-node={quoteattr(visible(t.node))}" if t.node is not None else ""
    return f'<text{_cls(cls)} x="{_f(t.x)}" y="{_f(t.y)}" fill="{t.colour}"{attrs}>{escape(visible(t.text))}</text>'


def _path_d(points) -> str:
    if not points:
        return ""
    d = [f"M{_f(points[0][0])},{_f(points[0][1])}"]
    for i in range(1, len(points) - 2, 3):
        (x1, y1), (x2, y2), (x3, y3) = points[i : i + 3]
        d.append(f"C{_f(x1)},{_f(y1)} {_f(x2)},{_f(y2)} {_f(x3)},{_f(y3)}")
    return " ".join(d)


def _curve(c: Curve) -> str:
    return (
        f'<path{_cls(c.cls)} d="{_path_d(c.points)}" fill="none" stroke="{c.stroke}" '
        f'stroke-width="{c.width:g}"{_dash(c.dash)}/>'
    )


def _polygon(p: Polygon) -> str:
    d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in p.points) + " Z"
    return f'<path{_cls(p.cls)} d="{d}" fill="{p.fill}"/>'


def _group(g: Group) -> str:
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
    body = "".join(_SHAPES[type(item)](item) for item in g.items)
    return f"<g{attrs}>{body}</g>" if attrs else body


_SHAPES: dict[type, Callable[[Any], str]] = {
    Rect: _rect,
    Ellipse: _ellipse,
    Text: _text,
    Curve: _curve,
    Polygon: _polygon,
    Group: _group,
}


def scene_to_svg(scene: Scene) -> str:
    """The SVG of a scene, drawn `style.ZOOM` times its size in points."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ag-graph" viewBox="0 0 {_f(scene.width)} '
        f'{_f(scene.height)}" width="{_f(scene.width * S.ZOOM)}" height="{_f(scene.height * S.ZOOM)}" role="img">'
    )
    return "\n".join([head, f"<style>{CSS}</style>", *(_group(g) for g in scene.groups), "</svg>"])
