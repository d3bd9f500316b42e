"""Guessing how large a candidate drawing would show on the page, before running `dot` for it.

The page-shaped layout (`layout.compute_layout`) chooses between one row, two to six rows
and top to bottom. The top-to-bottom candidate costs a `dot` run; rows are cut from the
one-row drawing, so their guess is close to exact and they cost little. These guesses are
read off the one-row drawing that is already there: a row of a wrapped drawing keeps the
ranks its boxes had, so its size is close to that slice of the one-row drawing; a top to
bottom drawing swaps the axes, each box keeping its own size. Only candidates whose guess
could win are laid out for real, and the choice among those is made on the real sizes.

`rank_drawing` guesses a whole drawing before any `dot` run: boxes in ranks (the longest path
to each, a box that only feeds others just before its first consumer), each rank as wide as
its widest box with `dot`'s gaps between ranks and between the boxes of one rank, and each
module's frame around its boxes. On the lessons' graphs, the MLP, cnn30 and transformers its
one-row size and the rows cut from it come within a few percent of `dot`'s; it lets the
layout run `dot` top to bottom first when that drawing is the one that will win.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.layout import _dot
>>> g = TorchGraph(lambda x: torch.sin(2 * x), [1.0])
>>> view = g.view()
>>> guess = guess_rows(view, _dot(view), {b: 0 for b in view.boxes})
>>> guess[0] > 0 and guess[1] > 0
True
>>> rank_drawing(view).width > rank_drawing(view, "TB").width
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .layout_parts import NODESEP, RANKSEP, Layout, adjacency

if TYPE_CHECKING:
    from .view import View

SLACK = 1.15  # how far a guess may be off: a candidate is laid out if its guess times this could win
FRAME_MARGIN = 10.0  # points between a module's frame and what it holds (the clusters' `margin`)
FRAME_TITLE = 20.0  # points a frame keeps above its boxes for its title


def guess_rows(view: View, one_row: Layout, row: dict[str, int], gap: float = 36.0) -> tuple[float, float]:
    """(width, height) of the drawing cut into rows by `row` (box -> row), each row as its slice of `one_row`."""
    spans: dict[int, list[float]] = {}
    for box, r in row.items():
        (x, y), b = one_row.centres[box], view.boxes[box]
        s = spans.setdefault(r, [x - b.width / 2, y - b.height / 2, x + b.width / 2, y + b.height / 2])
        s[0], s[1] = min(s[0], x - b.width / 2), min(s[1], y - b.height / 2)
        s[2], s[3] = max(s[2], x + b.width / 2), max(s[3], y + b.height / 2)
    first: dict[str, int] = {}  # a module's frame goes with its boxes: the row of its first one
    for box, r in row.items():
        if (path := view.boxes[box].cluster) is not None and path not in first:
            first[path] = r
    for path, (x0, y0, x1, y1) in one_row.clusters.items():
        if path in first:
            s = spans[first[path]]
            s[0], s[1], s[2], s[3] = min(s[0], x0), min(s[1], y0), max(s[2], x1), max(s[3], y1)
    width = max(s[2] - s[0] for s in spans.values())
    height = sum(s[3] - s[1] for s in spans.values()) + gap * (len(spans) - 1)
    return width, height


def guess_top_down(view: View, one_row: Layout) -> tuple[float, float]:
    """(width, height) of the top-to-bottom drawing: the one-row drawing's axes swapped, each
    box's extent along the ranks traded for its extent across them."""
    boxes = view.boxes.values()
    along = sum(b.width for b in boxes) or 1.0
    across = sum(b.height for b in boxes) or 1.0
    return one_row.height * along / across, one_row.width * across / along


def _ranks(view: View) -> dict[str, int]:
    """Each box's rank: the longest path to it; a box that only feeds others sits just before its first consumer."""
    ins, outs = adjacency(view)
    waiting = {b: len(into) for b, into in ins.items()}
    ready = [b for b, n in waiting.items() if n == 0]
    rank = dict.fromkeys(view.boxes, 0)
    while ready:
        u = ready.pop()
        for v in outs[u]:
            rank[v] = max(rank[v], rank[u] + 1)
            waiting[v] -= 1
            if waiting[v] == 0:
                ready.append(v)
    for b in view.boxes:
        if not ins[b] and outs[b]:
            rank[b] = min(rank[c] for c in outs[b]) - 1
    return rank


def rank_drawing(view: View, rankdir: str = "LR") -> Layout:
    """A guess of `dot`'s drawing without running it: centres, module frames and size (no splines)."""
    across = rankdir == "LR"  # the ranks run along x, the boxes of one rank are stacked along y
    columns: dict[int, list[str]] = {}
    for b, r in _ranks(view).items():
        columns.setdefault(r, []).append(b)
    along, centres, extent = 0.0, {}, 0.0
    for r in sorted(columns):
        size = {b: (view.boxes[b].width, view.boxes[b].height) for b in columns[r]}
        step = max(w if across else h for w, h in size.values())
        at = 0.0
        for b, (w, h) in size.items():
            depth = h if across else w
            centres[b] = (along + step / 2, at + depth / 2) if across else (at + depth / 2, along + step / 2)
            at += depth + NODESEP
        extent, along = max(extent, at - NODESEP), along + step + RANKSEP
    width, height = (along - RANKSEP, extent) if across else (extent, along - RANKSEP)
    frames: dict[str, tuple[float, float, float, float]] = {}
    inside: dict[str, list[tuple[float, float, float, float]]] = {}
    for b, box in view.boxes.items():
        if box.cluster is not None:
            inside.setdefault(box.cluster, []).append(_box_rect(centres[b], box))
    for path in reversed(list(view.clusters)):  # innermost first: a frame holds its children's frames
        if rects := inside.get(path):  # its boxes' and (added below) its children's frames
            x0, y0 = min(q[0] for q in rects) - FRAME_MARGIN, min(q[1] for q in rects) - FRAME_MARGIN - FRAME_TITLE
            frames[path] = (x0, y0, max(q[2] for q in rects) + FRAME_MARGIN, max(q[3] for q in rects) + FRAME_MARGIN)
            if (parent := view.clusters[path]) is not None:
                inside.setdefault(parent, []).append(frames[path])
    x0, y0 = min([0.0] + [c[0] for c in frames.values()]), min([0.0] + [c[1] for c in frames.values()])
    x1 = max([width] + [c[2] for c in frames.values()])
    y1 = max([height] + [c[3] for c in frames.values()])
    moved = {b: (x - x0, y - y0) for b, (x, y) in centres.items()}
    frames = {p: (a - x0, b - y0, c - x0, d - y0) for p, (a, b, c, d) in frames.items()}
    return Layout(x1 - x0, y1 - y0, moved, {}, frames, 1, rankdir)


def _box_rect(centre: tuple[float, float], box) -> tuple[float, float, float, float]:
    (x, y), w, h = centre, box.width, box.height
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
