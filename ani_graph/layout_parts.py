"""The shapes a layout is made of, shared by the `dot` layout (`layout`) and the fast one (`layout_fast`).

`Layout` and `Spline` are the plain values every layout returns; `stack_rows` puts rows
laid out on their own one under another, with the arrows that turn back between rows.

>>> len(rounded_path([(0, 0), (10, 0), (10, 10)]))
10
"""

from __future__ import annotations

from dataclasses import dataclass

from . import style as S
from .view import Box, View

MAX_ROWS = 6
# Above this many boxes every shape shows the whole drawing far too small to read (the
# 6-layer transformer unfolded, 195 boxes, reaches 0.05 of full size at best), so the
# layout skips the comparison, a `dot` run or more per candidate, and draws the one row
# without repeated labels that the comparison picks for such graphs.
ONE_SHAPE_ABOVE = 300
LABEL_RESERVE_MAX = 40  # characters of gradient label an edge makes room for
ROW_GAP = 36.0  # points between two rows of a wrapped drawing: room for the arrow that turns back
TURN = 12.0  # how far an arrow that turns back runs past its ends before it turns


@dataclass(frozen=True)
class Spline:
    points: tuple[tuple[float, float], ...]  # cubic Bézier control points: 1 + 3k of them
    tip: tuple[float, float] | None  # where the arrowhead points
    label_pos: tuple[float, float] | None  # where the edge's gradient label goes


@dataclass(frozen=True)
class Layout:
    """Positions in points, y pointing down."""

    width: float
    height: float
    centres: dict[str, tuple[float, float]]  # box id -> centre
    splines: dict[tuple[str, str], Spline]  # link -> its curve
    clusters: dict[str, tuple[float, float, float, float]]  # module path -> (x0, y0, x1, y1)
    rows: int = 1  # how many rows the drawing was wrapped into
    direction: str = "LR"  # "LR" (left to right, maybe in rows) or "TB" (top to bottom)


def labelled(view: View, lean: bool) -> set[tuple[str, str]]:
    """The links that show their gradient share: all that have one, or when `lean`, those whose
    share differs from the gradient already written in the box they leave (a tensor that
    feeds one op passes on its whole gradient: the label would repeat the box)."""
    return {k for k, link in view.links.items() if link.grad and not (lean and link.grad == view.boxes[k[0]].grad)}


def _toward(a, b, d: float) -> tuple[float, float]:
    """The point `d` from `a` toward `b` (at most half way)."""
    length = max(((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5, 1e-9)
    d = min(d, length / 2)
    return (a[0] + (b[0] - a[0]) * d / length, a[1] + (b[1] - a[1]) * d / length)


def line_to(points: list, p) -> None:
    """Append a straight piece to a Bézier path: its two control points on the line."""
    a = points[-1]
    points += [(a[0] + (p[0] - a[0]) / 3, a[1] + (p[1] - a[1]) / 3)]
    points += [(a[0] + 2 * (p[0] - a[0]) / 3, a[1] + 2 * (p[1] - a[1]) / 3), p]


def rounded_path(corners, radius: float = 8.0) -> tuple[tuple[float, float], ...]:
    """A polyline as cubic Bézier control points (1 + 3k of them), its corners rounded."""
    points = [corners[0]]
    for prev, corner, nxt in zip(corners, corners[1:], corners[2:]):
        line_to(points, _toward(corner, prev, radius))
        points += [corner, corner, _toward(corner, nxt, radius)]
    line_to(points, corners[-1])
    return tuple(points)


def turn_back(view: View, u, v, centres, row_top: float, label: bool) -> Spline:
    """The arrow from box `u` to box `v` in a later row: out to the right, back left through the gap
    above `v`'s row (`row_top` is that row's top), and into `v`: from the left when nothing else
    arrives there, else from above (an op's operands come in from the left)."""
    (xu, yu), (xv, yv) = centres[u], centres[v]
    start = xu + view.boxes[u].width / 2
    gap_y = row_top - ROW_GAP / 2
    corners = [(start, yu), (start + TURN, yu), (start + TURN, gap_y)]
    if sum(1 for _, b in view.links if b == v) == 1:
        end = (xv - view.boxes[v].width / 2, yv)
        corners += [(end[0] - TURN, gap_y), (end[0] - TURN, yv), (end[0] - S.ARROW_SIZE, yv)]
    else:
        end = (xv, yv - view.boxes[v].height / 2)
        corners += [(xv, gap_y), (xv, end[1] - S.ARROW_SIZE)]
    where = ((start + corners[3][0]) / 2, gap_y - 8) if label else None
    return Spline(rounded_path(corners), end, where)


def _down(p, dy: float):
    return None if p is None else (p[0], p[1] + dy)


def stack_rows(view: View, parts: list[Layout], row: dict[str, int], lean: bool) -> Layout:
    """Rows laid out on their own, one under another, with the arrows between rows added."""
    tops, y = [], 0.0
    for part in parts:
        tops.append(y)
        y += part.height + ROW_GAP
    centres, splines, clusters = {}, {}, {}
    for part, top in zip(parts, tops):
        centres.update({b: _down(c, top) for b, c in part.centres.items()})
        for key, s in part.splines.items():
            splines[key] = Spline(tuple(_down(p, top) for p in s.points), _down(s.tip, top), _down(s.label_pos, top))
        clusters.update({p: (x0, y0 + top, x1, y1 + top) for p, (x0, y0, x1, y1) in part.clusters.items()})
    with_label = labelled(view, lean)
    for u, v in view.links:
        if (u, v) not in splines:
            splines[(u, v)] = turn_back(view, u, v, centres, tops[row[v]], (u, v) in with_label)
    return Layout(max(p.width for p in parts), y - ROW_GAP, centres, splines, clusters, len(parts), "LR")


def slice_rows(view: View, full: Layout, row: dict[str, int]) -> list[Layout]:
    """The one-row drawing `full` cut into its rows (`row`: box -> row), each row moved to the
    top left with the margin `full` has: a row keeps its boxes' places, the arrows inside it
    and its modules' frames, so no row needs a `dot` run of its own."""
    pad = min(min(x - view.boxes[b].width / 2, y - view.boxes[b].height / 2) for b, (x, y) in full.centres.items())
    pad = max(0.0, pad)
    parts = []
    for r in sorted(set(row.values())):
        boxes = {b for b, i in row.items() if i == r}
        inside = {c for c in (view.boxes[b].cluster for b in boxes) if c}
        splines = {k: s for k, s in full.splines.items() if k[0] in boxes and k[1] in boxes}
        clusters = {p: c for p, c in full.clusters.items() if any((i + ".").startswith(p + ".") for i in inside)}
        rects = [_rect(full.centres[b], view.boxes[b]) for b in boxes] + list(clusters.values())
        rects += [(q[0], q[1], q[0], q[1]) for s in splines.values() for q in (*s.points, s.tip) if q is not None]
        x0, y0 = min(r_[0] for r_ in rects), min(r_[1] for r_ in rects)
        x1, y1 = max(r_[2] for r_ in rects), max(r_[3] for r_ in rects)
        dx, dy = pad - x0, pad - y0
        parts.append(
            Layout(
                x1 - x0 + 2 * pad,
                y1 - y0 + 2 * pad,
                {b: _moved(full.centres[b], dx, dy) for b in boxes},
                {k: _moved_spline(s, dx, dy) for k, s in splines.items()},
                {p: (c[0] + dx, c[1] + dy, c[2] + dx, c[3] + dy) for p, c in clusters.items()},
            )
        )
    return parts


def _rect(centre: tuple[float, float], box) -> tuple[float, float, float, float]:
    (x, y), w, h = centre, box.width / 2, box.height / 2
    return (x - w, y - h, x + w, y + h)


def _moved(p, dx: float, dy: float):
    return None if p is None else (p[0] + dx, p[1] + dy)


def _moved_spline(s: Spline, dx: float, dy: float) -> Spline:
    return Spline(tuple(_moved(p, dx, dy) for p in s.points), _moved(s.tip, dx, dy), _moved(s.label_pos, dx, dy))


def page_scale(view: View, lay: Layout, page: tuple[float, float]) -> float:
    """How large the whole drawing (with its margins and note) shows on the page, at most its full size."""
    width = lay.width + 2 * S.MARGIN
    height = lay.height + 2 * S.MARGIN + (S.CAPTION_HEIGHT if view.note else 0)
    return min(1.0, page[0] / width, page[1] / height)


def point_of(text: str, height: float) -> tuple[float, float]:
    """A graphviz point "x,y" (y up) in our coordinates (y down), `height` being the drawing's."""
    x, y = text.split(",")[:2]
    return float(x), height - float(y)


def spline_of(pos: str, lp: str | None, height: float) -> Spline:
    """A graphviz edge's `pos` (and label position `lp`) as a `Spline` in our coordinates."""
    points, end = [], None
    for part in pos.split():
        if part.startswith("e,"):
            end = point_of(part[2:], height)
        elif not part.startswith("s,"):
            points.append(point_of(part, height))
    return Spline(tuple(points), end, point_of(lp, height) if lp else None)


# ----- pieces of the layouts that place boxes without `dot` ------------------------------------

NODESEP = 0.22 * 72  # points between two boxes of one rank (dot's `nodesep`)
RANKSEP = 0.32 * 72  # points between two ranks (dot's `ranksep`)
PAD = 4.0  # points around a drawing, as `dot` leaves


def adjacency(view: View) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(what links into each box, what each box links to), in the view's link order."""
    ins: dict[str, list[str]] = {b: [] for b in view.boxes}
    outs: dict[str, list[str]] = {b: [] for b in view.boxes}
    for u, v in view.links:
        outs[u].append(v)
        ins[v].append(u)
    return ins, outs


def label_room(grad: str) -> float:
    """Points along an edge its gradient label needs, as much as `dot` is told to keep."""
    return min(LABEL_RESERVE_MAX, len(grad) + 2) * S.CHAR_WIDTH * (S.FONT_SIZE - 1)


def straight(start: tuple[float, float], tip: tuple[float, float], label: tuple[float, float] | None) -> Spline:
    """A straight arrow from `start` to `tip`: the curve stops an arrowhead short of the tip."""
    dx, dy = tip[0] - start[0], tip[1] - start[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    cut = min(S.ARROW_SIZE, length / 2) / length
    end = (tip[0] - dx * cut, tip[1] - dy * cut)
    points = [start]
    line_to(points, end)
    return Spline(tuple(points), tip, label)


def shifted(s: Spline, dx: float, dy: float) -> Spline:
    """The spline moved by (`dx`, `dy`)."""

    def move(p):
        return None if p is None else (p[0] + dx, p[1] + dy)

    return Spline(tuple((x + dx, y + dy) for x, y in s.points), move(s.tip), move(s.label_pos))


End = tuple[tuple[float, float], tuple[float, float], Box]  # (slot centre, slot size in points, the box in it)


def fit_ends(s: Spline, tail: End | None, head: End | None) -> Spline:
    """The spline with its ends moved from the slots' outlines onto the boxes' own (a box may be
    smaller than the slot it was laid out in); an end given as None stays where it is."""

    def onto(p, end: End):
        (cx, cy), (w, h), box = end
        q = (cx + (p[0] - cx) * box.width / w, cy + (p[1] - cy) * box.height / h)
        return q, (q[0] - p[0], q[1] - p[1])

    points = list(s.points)
    if tail is not None:
        points[0], (dx, dy) = onto(points[0], tail)
        points[1] = (points[1][0] + dx, points[1][1] + dy)
    tip = s.tip
    if head is not None and tip is not None:
        tip, (dx, dy) = onto(tip, head)
        points[-1] = (points[-1][0] + dx, points[-1][1] + dy)
    elif head is not None:
        points[-1], _ = onto(points[-1], head)
    return Spline(tuple(points), tip, s.label_pos)
