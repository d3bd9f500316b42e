"""The scene as SVG text: each shape becomes one element; ids and classes for the player.

Contract with the animation player (`static/player.js`):
- root `<svg class="ag-graph">`; themable colours are CSS custom properties `--ag-*`
  (see `style.theme_css`), lit things have classes `ag-lit` and `ag-flow-fwd`/`ag-flow-back`;
- node `<g class="ag-node ag-{kind}" data-node="{node id}">`, its shape has class `ag-shape`;
- tensor nodes hold badges `<g class="ag-badge ag-badge-val">` (and `ag-badge-grad`, or
  `ag-badge-tan` in forward mode) with `<text class="ag-val">` / `ag-grad` / `ag-tan`; an
  empty badge also has class `ag-empty`; with `tensors="heatmap"` a badge may hold a grid
  `<g class="ag-heat ag-heat-val">` (or `ag-heat-grad`) of `<rect class="ag-cell">`, one per
  element, and its text is then hidden (class `ag-empty`): the grid shows with its badge. A
  gradient that arrives in shares has one more grid per running sum, with `data-text` the
  badge text it stands for: the player shows the grid whose `data-text` is the badge's text,
  else the one without `data-text` (the total);
- edge `<g class="ag-edge" data-src data-dst>` with `<path class="ag-path">`;
  a tensor→op edge also holds `<text class="ag-egrad">`.

Every text is escaped (control characters as visible escapes, so the SVG stays valid
XML whatever a name holds); the SVG holds no script.

>>> from ani_graph.scene import Group, Scene, Text
>>> svg = scene_to_svg(Scene(10, 10, (Group("note", (Text(1, 2, "a<b", 11, "#000"),)),)))
>>> "a&lt;b" in svg and "<script" not in svg
True
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from . import style as S
from .escapes import visible
from .gcpause import paused_gc
from .scene import Curve, Ellipse, Group, Polygon, Rect, Scene, Text
from .svg_text import _attr, _f, _path_d, _text_body

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
.ag-graph .ag-badge > use {{ fill-opacity: {S.BADGE_TINT:g}; }}
.ag-graph .ag-badge-val > use {{ fill: var(--ag-val); }}
.ag-graph .ag-badge-grad > use {{ fill: var(--ag-grad); }}
.ag-graph .ag-badge-tan > use {{ fill: var(--ag-tan); }}
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


# Arrowheads are markers at the end of their edge's path (one per way an edge is drawn: plain, or
# lit in a phase), not a shape per edge. The path runs on along the head's axis to `_HEAD_BACK`
# short of its tip, where the marker sits: the head lands where the scene put it, over the line's end.
_HEAD = (S.ARROW_SIZE, S.ARROW_SIZE * 0.45)  # length, half width: as `scene.arrow_polygon` draws it
_HEAD_BACK = 3.0  # the line's end under the head: there the head is wider than any edge's stroke
_HEAD_ID = "ag-m" + hashlib.sha1(repr((_HEAD, _HEAD_BACK)).encode()).hexdigest()[:6]
_HEAD_FILLS = {"": "", "fwd": "var(--ag-glow-fwd)", "back": "var(--ag-glow-back)", "tan": "var(--ag-glow-tan)"}
MARKERS = "".join(
    f'<marker id="{_HEAD_ID}{flow}" orient="auto" markerUnits="userSpaceOnUse" refX="{_HEAD[0] - _HEAD_BACK:g}" '
    f'refY="0" markerWidth="{_HEAD[0]:g}" markerHeight="{2 * _HEAD[1]:g}" overflow="visible">'
    f'<path class="ag-arrow" d="M{_HEAD[0]:g},0L0,{_HEAD[1]:g}L0,-{_HEAD[1]:g}z"'
    + (f' style="fill:{fill}"' if fill else "")
    + "/></marker>"
    for flow, fill in _HEAD_FILLS.items()
)
CSS += f".ag-graph .ag-path:not(.ag-bare) {{ marker-end: url(#{_HEAD_ID}); }}\n"
CSS += "".join(
    f".ag-graph .ag-flow-{flow} .ag-path:not(.ag-bare) {{ marker-end: url(#{_HEAD_ID}{flow}); }}\n"
    for flow in _HEAD_FILLS
    if flow
)


# A shape's paint (fill, stroke, font...) as (attribute, value) pairs. Each role (a shape's class in
# its group, e.g. `.ag-node.ag-op > .ag-shape`) has a default paint, its most common one, written
# once in the SVG's <style>; a shape with another paint gets a short class named after its paint.
# Both are at specificity zero (`:where`), so every rule above still wins over them exactly as it
# won over presentation attributes.
Paint = tuple[tuple[str, str], ...]
_CSS_UNIT = {"stroke-width": "px", "font-size": "px"}
_KEEP_PAINT = {"ag-cell"}  # a heatmap cell's fill is its number: it stays on the cell
_STATES = {"ag-lit", "ag-flow-fwd", "ag-flow-back", "ag-flow-tan", "ag-flow-upd", "ag-empty", "ag-fresh"}


@dataclass(slots=True)  # not frozen: thousands per drawing, and a frozen one is slow to make
class _El:
    tag: str
    cls: str
    attrs: str  # geometry and data, already as text
    paint: Paint
    body: str | None = None  # a text's content, escaped
    role: str = ""  # the selector of its role (below the root's class), "" for none


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
    cls = _with_empty(t.cls) if t.hidden else t.cls
    paint = _text_paint(t.colour, t.anchor, t.size, t.bold, t.italic, t.opacity)
    return _El("text", cls, f'x="{_f(t.x)}" y="{_f(t.y)}"', paint, _text_body(t.text))


@functools.lru_cache(maxsize=1024)
def _text_paint(colour: str, anchor: str, size: float, bold: bool, italic: bool, opacity: float) -> Paint:
    """A text's paint (a drawing's thousands of texts have a few): made once."""
    paint: Paint = (("fill", colour),)
    paint += (("text-anchor", anchor),) if anchor != "start" else ()
    paint += (("font-size", f"{size:g}"),) if size != S.FONT_SIZE else ()
    paint += (("font-weight", "bold"),) if bold else ()
    paint += (("font-style", "italic"),) if italic else ()
    return paint + ((("opacity", f"{opacity:g}"),) if opacity != 1 else ())


def _curve(c: Curve, end=None) -> _El:
    """An edge's line; `end` is where it stops under its arrowhead (`_head_end`), None without a head."""
    paint = (("fill", "none"), ("stroke", c.stroke), ("stroke-width", f"{c.width:g}"))
    cls = c.cls + (" ag-bare" if end is None and c.cls == "ag-path" else "")
    return _El("path", cls, f'd="{_path_d(c.points, then=end)}"', paint + _dash(c.dash))


def _head_end(curve: Curve, arrow: Polygon) -> tuple[float, float] | None:
    """Where `curve` stops when the marker draws `arrow` (tip, then the two back corners):
    on the head's axis, `_HEAD_BACK` short of the tip; None for a head the marker does not draw."""
    (tx, ty), (ax, ay), (bx, by) = arrow.points
    mx, my = (ax + bx) / 2, (ay + by) / 2
    size, half = math.hypot(tx - mx, ty - my), math.hypot(ax - bx, ay - by) / 2
    if not curve.points or abs(size - _HEAD[0]) > 0.01 or abs(half - _HEAD[1]) > 0.01:
        return None
    ux, uy = (tx - mx) / size, (ty - my) / size
    (lx, ly), end = curve.points[-1], (tx - ux * _HEAD_BACK, ty - uy * _HEAD_BACK)
    # the line must run on along the axis, by more than rounding could turn
    ahead = (end[0] - lx) * ux + (end[1] - ly) * uy
    off = abs((end[0] - lx) * uy - (end[1] - ly) * ux)
    return end if ahead > 2 and off < 0.05 else None


def _edge_shapes(items) -> list:
    """An edge's shapes as elements: the line ends in a marker for its arrowhead where it can."""
    curve = next((i for i in items if isinstance(i, Curve) and i.cls == "ag-path"), None)
    arrow = next((i for i in items if isinstance(i, Polygon) and i.cls == "ag-arrow"), None)
    end = _head_end(curve, arrow) if curve is not None and arrow is not None else None
    out: list = []
    for item in items:
        if item is curve and curve is not None:
            out.append(_curve(curve, end))
        elif not (item is arrow and end is not None):
            out.append(item)
    return out


def _polygon(p: Polygon) -> _El:
    return _El("path", p.cls, f'd="{_path_d(p.points, close=True)}"', (("fill", p.fill),))


def _group_attrs(g: Group, cls: str) -> str:
    # no ids: the data attributes name each node and edge (and an id repeats when a page shows a graph twice)
    attrs = _cls(cls)
    if g.role == "node":
        attrs += f" data-node={_attr(g.key)}"
    elif g.role == "edge":
        attrs += f" data-src={_attr(g.src)} data-dst={_attr(g.dst)}"
    elif g.role == "cluster":
        attrs += f" data-module={_attr(g.key)}"
    elif g.role == "heat" and g.key:  # a running sum's grid: the badge text it stands for
        attrs += f" data-text={_attr(g.key)}"
    return attrs


def _with_empty(cls: str) -> str:
    return f"{cls} ag-empty" if cls else "ag-empty"


@functools.lru_cache(maxsize=4096)
def _selector(cls: str) -> str:
    """The selector (below the root) of a group with classes `cls`, its states left out."""
    return " ." + ".".join(c for c in cls.split() if c not in _STATES)


@functools.lru_cache(maxsize=4096)
def _role(parent: str, cls: str) -> str:
    """The selector of a shape with classes `cls` right inside an element with classes `parent`."""
    own = ".".join(c for c in cls.split() if c not in _STATES)
    return f"{parent} > .{own}" if own else ""


def _badge_use(items, defs: dict[str, str]) -> list:
    """A badge's tint and key as one `<use>` of a symbol (in `defs`, named after its content): every
    badge of a height looks alike but for its width. The tint takes its colour and opacity from the
    `<use>` (so the theme and the player's highlight can change them: in an HTML page no rule of the
    page reaches inside a `<use>`), the key sets its own."""
    if len(items) < 2:  # a loss strip's mark: a badge of one text
        return list(items)
    tint, key, *rest = items
    if not (isinstance(tint, Rect) and tint.cls.endswith("-bg") and isinstance(key, Text) and key.cls == "ag-key"):
        return list(items)
    plain = tint.stroke == "none" and not tint.dash and tint.fill_opacity == S.BADGE_TINT
    if not (plain and key.anchor == "start" and not (key.bold or key.italic or key.hidden)):
        return list(items)
    name, symbol = _badge_symbol(tint.h, tint.rx, key.x - tint.x, key.y - tint.y, key.size, key.opacity, key.text)
    defs.setdefault(name, symbol)
    return [f'<use href="#{name}" x="{_f(tint.x)}" y="{_f(tint.y)}" width="{_f(tint.w)}"/>', *rest]


@functools.lru_cache(maxsize=1024)
def _badge_symbol(h: float, rx: float, dx: float, dy: float, size: float, opacity: float, text: str) -> tuple[str, str]:
    """A badge symbol's name and definition (a drawing's badges share a few: made once)."""
    body = (
        f'<rect width="100%" height="{_f(h)}" rx="{rx:g}"/>'
        f'<text class="ag-key" x="{_f(dx)}" y="{_f(dy)}" style="fill:var(--ag-text)" fill-opacity="1" '
        f'font-size="{size:g}" opacity="{opacity:g}" dominant-baseline="central">{escape(visible(text))}</text>'
    )
    name = "ag-b" + hashlib.sha1(body.encode()).hexdigest()[:6]
    return name, f'<symbol id="{name}" overflow="visible">{body}</symbol>'


def _group(g: Group, out: list, placeholders: bool, defs: dict[str, str], parent: str = "") -> None:
    """Appends the group's text and shapes (`_El`, painted later) to `out`, and symbols it uses to
    `defs`; `parent` is the selector of the element around it. Without `placeholders`, hidden
    badges and texts are left out."""
    if g.hidden and not placeholders:
        return
    cls = _with_empty(g.cls) if g.hidden else g.cls
    attrs = _group_attrs(g, cls)
    if attrs:
        out.append(f"<g{attrs}>")
        parent = _selector(g.cls) if g.cls else parent + " *"
    items = _edge_shapes(g.items) if g.role == "edge" else _badge_use(g.items, defs) if g.role == "badge" else g.items
    for item in items:
        kind = item.__class__
        if kind is str:
            out.append(item)
        elif kind is Group:
            _group(item, out, placeholders, defs, parent)
        elif kind is _El or placeholders or not (kind is Text and item.hidden):
            el = item if kind is _El else _SHAPES[kind](item)
            el.role = _role(parent, item.cls)
            out.append(el)
    if attrs:
        out.append("</g>")


_SHAPES: dict[type, Callable[[Any], _El]] = {
    Rect: _rect,
    Ellipse: _ellipse,
    Text: _text,
    Curve: _curve,
    Polygon: _polygon,
}


def _defaults(shapes: list[_El]) -> dict[str, Paint]:
    """Each role's most common paint, when at least two shapes have it."""
    by_role: dict[str, Counter] = defaultdict(Counter)
    for e in shapes:
        if e.role and e.paint and e.cls not in _KEEP_PAINT:
            by_role[e.role][e.paint] += 1
    tops = {role: counts.most_common(1)[0] for role, counts in by_role.items()}
    return {role: paint for role, (paint, n) in tops.items() if n > 1}


def _own_paint(e: _El, defaults: dict[str, Paint]) -> tuple[Paint, bool]:
    """What a shape says of its paint beyond its role's default, and whether it must be a class
    (a presentation attribute would lose against the default's rule): other values, and `unset`
    for what the default sets and the shape does not."""
    default = defaults.get(e.role) if e.cls not in _KEEP_PAINT else None
    if default is None:
        return e.paint, False
    if e.paint == default:
        return (), False
    mine = {a for a, _ in e.paint}
    return e.paint + tuple((a, "unset") for a, _ in default if a not in mine), True


def _paint_classes(paints: list[tuple[Paint, bool]]) -> dict[Paint, str]:
    """A short class for each paint that must be one, or that enough shapes share to save bytes.

    The name is made from the paint itself: a notebook shows many drawings on one page, and
    every drawing's `<style>` applies to the whole page, so one name must mean one paint.
    """
    counts = Counter(p for p, _ in paints if p)
    forced = {p for p, must in paints if must}
    size = lambda p: sum(len(a) + len(v) + 4 for a, v in p)  # noqa: E731
    common = [p for p, n in counts.most_common() if p in forced or (n > 1 and n * size(p) > 60)]
    return {p: "p" + hashlib.sha1(repr(p).encode()).hexdigest()[:8] for p in common}


def _rule(p: Paint) -> str:
    return ";".join(f"{a}:{v}{'' if v == 'unset' else _CSS_UNIT.get(a, '')}" for a, v in p)


def _paint_css(defaults: dict[str, Paint], classes: dict[Paint, str]) -> tuple[str, str]:
    """The root's class for the defaults (named after them: drawings on one page must not restyle
    each other) and the rules, defaults first so that a shape's own class wins."""
    rules = "\n".join(f":where(.SCOPE{role}) {{ {_rule(p)} }}" for role, p in defaults.items())
    scope = "ag-d" + hashlib.sha1(rules.encode()).hexdigest()[:8] if rules else ""
    own = "\n".join(f":where(.ag-graph .{c}) {{ {_rule(p)} }}" for p, c in classes.items())
    return scope, "\n".join(x for x in (rules.replace(".SCOPE", "." + scope), own) if x)


def _cls(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


def _emit(e: _El, paint: Paint, classes: dict[Paint, str]) -> str:
    short = classes.get(paint) if paint and e.cls not in _KEEP_PAINT else None
    if short:
        head = f'<{e.tag} class="{e.cls} {short}" {e.attrs}' if e.cls else f'<{e.tag} class="{short}" {e.attrs}'
    else:
        head = f"<{e.tag}{_cls(e.cls)} {e.attrs}{_paint_attrs(paint) if paint else ''}"
    return f"{head}/>" if e.body is None else f"{head}>{e.body}</{e.tag}>"


@functools.lru_cache(maxsize=4096)
def _paint_attrs(paint: Paint) -> str:
    return "".join(f' {a}="{v}"' for a, v in paint)


def scene_to_svg(scene: Scene, placeholders: bool = True) -> str:
    """The SVG of a scene, drawn `style.ZOOM` times its size in points.

    With `placeholders` (the player's drawing) hidden badges and texts stay in, for the player to
    fill; without (a still picture), they are left out.
    """
    with paused_gc():  # many small objects and no cycles: a collection would only walk them all
        return _scene_to_svg(scene, placeholders)


def _scene_to_svg(scene: Scene, placeholders: bool) -> str:
    lines: list[list] = []
    symbols: dict[str, str] = {}
    for g in scene.groups:
        lines.append([])
        _group(g, lines[-1], placeholders, symbols)
    shapes = [e for line in lines for e in line if isinstance(e, _El)]
    defaults = _defaults(shapes)
    paints = {id(e): _own_paint(e, defaults) for e in shapes}
    classes = _paint_classes([paints[id(e)] for e in shapes if e.cls not in _KEEP_PAINT])
    scope, css = _paint_css(defaults, classes)
    body = ["".join([e if e.__class__ is str else _emit(e, paints[id(e)][0], classes) for e in line]) for line in lines]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ag-graph{" " + scope if scope else ""}" viewBox="0 0 '
        f'{_f(scene.width)} {_f(scene.height)}" width="{_f(scene.width * S.ZOOM)}" '
        f'height="{_f(scene.height * S.ZOOM)}" role="img">'
    )
    markers = MARKERS if any(e.tag == "path" and e.cls == "ag-path" for e in shapes) else ""
    defs = [f"<defs>{markers}{''.join(symbols.values())}</defs>"] if markers or symbols else []
    return "\n".join([head, f"<style>{css}\n{CSS}</style>", *defs, *body, "</svg>"])
