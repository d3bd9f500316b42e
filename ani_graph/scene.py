"""The scene: every shape of the drawing, with its final coordinates and colours.

`build_scene(view, layout, show)` is the only place that decides geometry and colour:
where a badge sits, how wide a lit stroke is, which colour an arrowhead takes. Both
renderers translate its shapes one to one (SVG elements, matplotlib patches) and
compute nothing of their own, so a plot, the notebook display and every animation
frame look alike. What a scene shows of the graph's numbers and lights is a `Show`.

Shapes are grouped as the player needs them: a group has a `role` (card, cluster,
edge, node, badge, heat (a heatmap's cells, inside its badge), legend, note), the CSS
classes the SVG gives it, and `hidden` for an empty badge that keeps its place.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import build_view
>>> from ani_graph.layout import compute_layout
>>> view = build_view(TorchGraph(lambda a, b: a * b, [2, 3]).nx)
>>> scene = build_scene(view, compute_layout(view), show_all(view))
>>> sorted(g.key for g in scene.groups if g.role == "node")
['op0', 't0', 't1', 't2']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import style as S
from .gcpause import paused_gc
from .heatmap import GAP as HEAT_GAP
from .heatmap import Heat
from .layout import Layout
from .view import View, text_width


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str = "none"
    stroke_width: float = 0.0
    rx: float = 0.0
    dash: tuple[float, ...] | None = None
    fill_opacity: float = 1.0
    cls: str = ""


@dataclass(frozen=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float
    fill: str
    stroke: str
    stroke_width: float
    cls: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the vertical centre of the line
    text: str  # plain text, shown literally
    size: float
    colour: str
    anchor: str = "start"  # or "middle"
    bold: bool = False
    italic: bool = False
    opacity: float = 1.0
    math: str | None = None  # the same text as mathtext, for a renderer that typesets it
    halo: bool = False  # a card-coloured outline, so the text reads over lines
    cls: str = ""
    hidden: bool = False
    node: str | None = None  # the graph node whose number this is


@dataclass(frozen=True)
class Curve:
    points: tuple[tuple[float, float], ...]  # cubic Bézier control points: 1 + 3k of them
    stroke: str
    width: float
    dash: tuple[float, ...] | None = None
    cls: str = ""


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    fill: str
    cls: str = ""


@dataclass(frozen=True)
class Group:
    role: str  # card, cluster, edge, node, badge, heat, legend or note
    items: tuple = ()
    cls: str = ""  # the classes of the SVG group, e.g. "ag-node ag-op ag-lit"
    key: str = ""  # a node's box id, a cluster's module path
    src: str = ""  # an edge's two box ids
    dst: str = ""
    dom_id: str = ""
    hidden: bool = False
    bounds: tuple[float, float, float, float] | None = None  # a node's box: centre x, centre y, w, h


@dataclass(frozen=True)
class Scene:
    width: float
    height: float
    groups: tuple[Group, ...]
    phase: str = ""  # "forward", "backward" or "tangent" when a frame is shown: the colour of what is lit
    note: str = ""

    def nodes(self) -> list[Group]:
        return [g for g in self.groups if g.role == "node"]

    def edges(self) -> list[Group]:
        return [g for g in self.groups if g.role == "edge"]


@dataclass(frozen=True)
class Show:
    """What a scene shows: badge texts, edge texts, what is lit, and in which phase."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # box -> {"value": …, "grad": …}
    edge_texts: dict[tuple[str, str], str] = field(default_factory=dict)
    nodes: frozenset = frozenset()
    edges: frozenset = frozenset()  # (u, v) pairs
    phase: str = ""
    note: str | None = None  # None: the view's own note (why it folded)


def show_all(view: View) -> Show:
    """Every value, gradient and edge share the view has."""
    texts = {b.id: {"value": b.value, "grad": b.grad} for b in view.boxes.values() if b.value_row}
    edge_texts = {k: link.grad for k, link in view.links.items() if link.grad}
    return Show(texts, edge_texts)


def dom_id(node_id: str) -> str:
    """An id that is safe in SVG/HTML ids and CSS selectors, and distinct for distinct nodes:
    every other character, `_` too, is written as `_<hex>_`.

    >>> dom_id("n12"), dom_id("m:a.b_c"), dom_id("m:a_b.c")
    ('n12', 'm_3a_a_2e_b_5f_c', 'm_3a_a_5f_b_2e_c')
    """
    if node_id.isascii() and node_id.isalnum():  # most ids (`n12`): nothing to write out
        return node_id
    return re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", node_id)


# ----- building ------------------------------------------------------------------------------------


def _glow(phase: str) -> str:
    return S.PHASE_COLOURS.get(phase) or S.PHASE_COLOURS["forward"]


def _flow(phase: str) -> str:
    return {"backward": "ag-flow-back", "tangent": "ag-flow-tan", "update": "ag-flow-upd"}.get(phase, "ag-flow-fwd")


def arrow_polygon(points, tip, size: float = S.ARROW_SIZE):
    """Three corners of the arrowhead from the last curve point to the tip."""
    if tip is None or not points:
        return None
    (x0, y0), (x1, y1) = points[-1], tip
    dx, dy = x1 - x0, y1 - y0
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    bx, by = x1 - ux * size, y1 - uy * size
    half = size * 0.45
    return ((x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half))


def _cluster(path: str, box) -> Group:
    x0, y0, x1, y1 = (v + S.MARGIN for v in box)
    frame = Rect(x0, y0, x1 - x0, y1 - y0, S.CLUSTER_FILL, S.CLUSTER_STROKE, 1.0, S.CORNER_RADIUS, S.CLUSTER_DASH)
    title = Text(x0 + 6, y0 + 8, path, S.SMALL_FONT, S.TEXT_COLOUR, opacity=0.8)
    return Group("cluster", (frame, title), "ag-cluster", key=path)


def _shift(p: tuple[float, float]) -> tuple[float, float]:
    return p[0] + S.MARGIN, p[1] + S.MARGIN


def _edge(view: View, lay: Layout, key, show: Show) -> Group:
    u, v = key
    spline = lay.splines[key]
    m = S.MARGIN
    points = tuple([(x + m, y + m) for x, y in spline.points])  # a list first: no generator to resume per point
    tip = None if spline.tip is None else _shift(spline.tip)
    lit = key in show.edges
    colour = _glow(show.phase) if lit else S.EDGE_COLOUR
    dash = S.LIT_DASH if lit else (S.CUT_DASH if view.links[key].cut else None)  # a detached edge is a cut
    items: list[object] = [Curve(points, colour, S.LIT_EDGE_WIDTH if lit else S.EDGE_WIDTH, dash, "ag-path")]
    arrow = arrow_polygon(points, tip)
    if arrow:
        items.append(Polygon(arrow, colour, "ag-arrow"))
    if spline.label_pos is not None and view.links[key].grad:
        x, y = _shift(spline.label_pos)
        text = show.edge_texts.get(key, "")
        items.append(
            Text(x, y, text, S.SMALL_FONT, S.GRAD_COLOUR, "middle", halo=True, cls="ag-egrad", hidden=not text)
        )
    cls = "ag-edge" + (f" ag-lit {_flow(show.phase)}" if lit else "")
    return Group("edge", tuple(items), cls, src=u, dst=v, dom_id=f"ag-e-{dom_id(u)}-{dom_id(v)}")


def row_centres(y: float, rows: int | list[float]) -> list[float]:
    """Vertical centres of a box's rows (title, value, gradient), around its centre `y`.

    `rows` is a count of text rows, or the rows' heights (`Box.row_heights`).
    """
    heights = [S.LINE_HEIGHT] * rows if isinstance(rows, int) else rows
    top, centres = y - sum(heights) / 2, []
    for h in heights:
        centres.append(top + h / 2)
        top += h
    return centres


_BADGES = {"val": ("=", S.VALUE_COLOUR), "grad": ("∂", S.GRAD_COLOUR), "tan": ("ṫ", S.TANGENT_COLOUR)}


def _badge(
    which: str, box, x: float, cy: float, text: str, heat: Heat | None = None, height: float = S.LINE_HEIGHT
) -> Group:
    """The value (`val`), gradient (`grad`) or tangent (`tan`) row of a tensor box: tint, key and number.

    With a `heat`, the row shows the grid and its range in place of the number; the number stays
    in the row, hidden, as the text the player writes (the row shows once it has one). A gradient
    that arrives in shares has a grid per running sum (`Box.grad_steps`): the one whose text the
    badge shows is visible, else the total's. `height` is the row's (`Box.row_heights`).
    """
    key, colour = _BADGES[which]
    left = x - box.width / 2 + S.BADGE_INSET
    tint = Rect(
        left, cy - height / 2 + 1, box.width - 2 * S.BADGE_INSET, height - 2, colour,
        rx=3.0, fill_opacity=S.BADGE_TINT, cls=f"ag-{which}-bg",
    )  # fmt: skip
    items: tuple[object, ...] = (
        tint,
        Text(left + S.BADGE_KEY_DX, cy, key, S.SMALL_FONT, S.TEXT_COLOUR, opacity=0.75, cls="ag-key"),
    )
    if heat is not None:
        steps = box.grad_steps if which == "grad" else ()
        shown = next((t for t, _ in steps if t == text), "")
        total = box.grad if which == "grad" else box.value
        mark = text[len(total) :] if text.startswith(total + " ") else ""  # e.g. the gradient check's " ✓"
        for step, grid in (*steps, ("", heat)):
            grid = grid if step else replace(grid, text=grid.text + mark)
            items += (_heat(which, grid, left + S.BADGE_TEXT_DX, cy, colour, step, hidden=step != shown),)
    number = Text(left + S.BADGE_TEXT_DX, cy, text, S.FONT_SIZE, colour, cls=f"ag-{which}", node=box.id,
                  hidden=heat is not None)  # fmt: skip
    return Group("badge", (*items, number), f"ag-badge ag-badge-{which}", hidden=not text)


def _heat(which: str, heat: Heat, x: float, cy: float, colour: str, step: str, hidden: bool) -> Group:
    """A grid of cells coloured on the diverging scale, framed, with its range beside it.

    `step` is the badge text a running sum's grid stands for ("" for the total's grid).
    """
    top = cy - heat.height / 2
    inset = S.HEAT_CELL_GAP / 2
    cells = tuple(
        Rect(cx + inset, cy0 + inset, size - 2 * inset, size - 2 * inset, fill, cls="ag-cell")
        for (cx, cy0, size), fill in zip(heat.cells(x, top), heat.colours())
    )
    frame = Rect(x - 1, top - 1, heat.width + 2, heat.height + 2, S.HEAT_BACKGROUND, S.HEAT_FRAME, 0.6,
                 rx=1.5, cls="ag-heat-frame")  # fmt: skip
    text = Text(x + heat.width + HEAT_GAP, cy, heat.text, S.SMALL_FONT, colour, cls="ag-heat-range")
    return Group("heat", (frame, *cells, text), f"ag-heat ag-heat-{which}", key=step, hidden=hidden)


def _node(box, x: float, y: float, show: Show) -> Group:
    lit = box.id in show.nodes
    stroke, fill = S.KIND_COLOURS.get(box.kind, S.KIND_COLOURS["intermediate"])
    stroke = _glow(show.phase) if lit else stroke
    width = S.LIT_STROKE_WIDTH if lit else S.STROKE_WIDTH
    shape: Ellipse | Rect
    items: tuple[object, ...]
    if box.kind == "op":
        shape = Ellipse(x, y, box.width / 2, box.height / 2, fill, stroke, width, "ag-shape")
        title = Text(x, y, box.title, S.OP_FONT, S.TEXT_COLOUR, "middle", bold=True, math=box.math, cls="ag-title")
        items = (shape, title)
    else:
        dash = S.MODULE_DASH if box.kind in ("module", "elided") else None
        x0, y0 = x - box.width / 2, y - box.height / 2
        shape = Rect(x0, y0, box.width, box.height, fill, stroke, width, S.CORNER_RADIUS, dash, cls="ag-shape")
        heights = box.row_heights()
        rows = row_centres(y, heights)
        title = Text(x, rows[0], box.title, S.FONT_SIZE, S.TEXT_COLOUR, "middle", bold=True, cls="ag-title")
        items = (shape, title)
        texts = show.texts.get(box.id, {})
        if box.value_row:
            items += (_badge("val", box, x, rows[1], texts.get("value", ""), box.value_heat, heights[1]),)
        if box.grad_row:
            items += (_badge("grad", box, x, rows[2], texts.get("grad", ""), box.grad_heat, heights[2]),)
        if box.tangent_row:
            items += (_badge("tan", box, x, rows[-1], texts.get("tangent", "")),)
    cls = f"ag-node ag-{box.kind}" + (f" ag-lit {_flow(show.phase)}" if lit else "")
    return Group("node", items, cls, key=box.id, dom_id=f"ag-n-{dom_id(box.id)}", bounds=(x, y, box.width, box.height))


LEGEND = "white is 0; each grid is scaled to its own largest |value|"


def _legend(y: float) -> tuple[Group, float]:
    """The key to the heatmaps' colours, a row at height `y`: − [scale from −1 to 1] + and a line of text,
    on a card-coloured strip of its own (a plot has no card behind it)."""
    x, size = S.MARGIN, S.LEGEND_CELL
    steps = [i / 4 - 1 for i in range(9)]
    cells = tuple(
        Rect(x + 12 + i * size, y - size / 2, size, size, S.diverging(t, 1.0), cls="ag-cell")
        for i, t in enumerate(steps)
    )
    end = x + 12 + len(steps) * size
    width = end + 18 + text_width(LEGEND, S.SMALL_FONT) + S.MARGIN
    strip = Rect(x - 4, y - S.LINE_HEIGHT / 2 - 1, width - x - S.MARGIN + 8, S.LINE_HEIGHT + 2, S.CARD_COLOUR,
                 rx=3.0, fill_opacity=0.9, cls="ag-legend-bg")  # fmt: skip
    frame = Rect(x + 11, y - size / 2 - 1, end - x - 10, size + 2, S.HEAT_BACKGROUND, S.HEAT_FRAME, 0.6, rx=1.5)
    texts = (
        Text(x, y, "−", S.FONT_SIZE, S.TEXT_COLOUR, cls="ag-legend-text"),
        Text(end + 4, y, "+", S.FONT_SIZE, S.TEXT_COLOUR, cls="ag-legend-text"),
        Text(end + 18, y, LEGEND, S.SMALL_FONT, S.TEXT_COLOUR, opacity=0.85, cls="ag-legend-text"),
    )
    return Group("legend", (strip, frame, *cells, *texts), "ag-legend"), width


def build_scene(view: View, lay: Layout, show: Show | None = None) -> Scene:
    """Every shape of the drawing of `view` laid out as `lay`, showing `show` (names only by default).

    A drawing with heatmaps (`tensors="heatmap"`) that shows numbers has a key to their colours under it.
    """
    with paused_gc():  # thousands of shapes and no cycles: a collection would only walk them all
        return _build_scene(view, lay, show or Show())


def _build_scene(view: View, lay: Layout, show: Show) -> Scene:
    note = view.note if show.note is None else show.note
    heat = bool(show.texts) and any(b.value_heat or b.grad_heat for b in view.boxes.values())
    width = lay.width + 2 * S.MARGIN
    bottom = lay.height + 2 * S.MARGIN
    extras = []
    if heat:
        legend, legend_width = _legend(bottom + S.CAPTION_HEIGHT / 2 - 4)
        extras.append(legend)
        width = max(width, legend_width)
    lines = note_lines(note, width - 2 * S.MARGIN) if note else []
    height = bottom + (S.CAPTION_HEIGHT if heat else 0)
    height += S.CAPTION_HEIGHT + (len(lines) - 1) * S.NOTE_LINE_HEIGHT if lines else 0
    card = Rect(0.0, 0.0, width, height, S.CARD_COLOUR, rx=8.0, cls="ag-card")
    groups = [Group("card", (card,))]
    groups += [_cluster(path, lay.clusters[path]) for path in view.clusters if path in lay.clusters]
    groups += [_edge(view, lay, key, show) for key in view.links]
    for box in view.boxes.values():
        x, y = lay.centres[box.id]
        groups.append(_node(box, x + S.MARGIN, y + S.MARGIN, show))
    groups += extras
    if lines:
        groups.append(_note(lines, height - S.CAPTION_HEIGHT / 2 - 4))
    return Scene(width, height, tuple(groups), show.phase, note)


def _note(lines: list[str], last: float) -> Group:
    """The note under the drawing, one italic line per entry, the last one centred on `last`."""
    ys = [last - (len(lines) - 1 - i) * S.NOTE_LINE_HEIGHT for i in range(len(lines))]
    texts = (Text(S.MARGIN, y, line, S.FONT_SIZE, S.TEXT_COLOUR, italic=True, opacity=0.85, halo=True, cls="ag-note")
             for y, line in zip(ys, lines))  # fmt: skip
    return Group("note", tuple(texts))


def note_lines(note: str, room: float) -> list[str]:
    """The note in lines of whole words that each fit `room` points (one line when it fits).

    >>> note_lines("modules deeper than 1 are folded", 100.0)
    ['modules deeper', 'than 1 are', 'folded']
    """
    lines, line = [], ""
    for word in note.split(" "):
        longer = f"{line} {word}" if line else word
        if line and text_width(longer) > room:
            lines.append(line)
            line = word
        else:
            line = longer
    return [*lines, line]
