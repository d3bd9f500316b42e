"""Guessing how large a candidate drawing would show on the page, before running `dot` for it.

The page-shaped layout (`layout.compute_layout`) chooses between one row, two to six rows
and top to bottom. The top-to-bottom candidate costs a `dot` run; rows are cut from the
one-row drawing, so their guess is close to exact and they cost little. These guesses are
read off the one-row drawing that is already there: a row of a wrapped drawing keeps the
ranks its boxes had, so its size is close to that slice of the one-row drawing; a top to
bottom drawing swaps the axes, each box keeping its own size. Only candidates whose guess
could win are laid out for real, and the choice among those is made on the real sizes.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.layout import _dot
>>> g = TorchGraph(lambda x: torch.sin(2 * x), [1.0])
>>> view = g.view()
>>> guess = guess_rows(view, _dot(view), {b: 0 for b in view.boxes})
>>> guess[0] > 0 and guess[1] > 0
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .view import View

# a `layout.Layout` (not imported: layout imports this module)
Layout = Any

SLACK = 1.15  # how far a guess may be off: a candidate is laid out if its guess times this could win


def guess_rows(view: View, one_row: Layout, row: dict[str, int], gap: float = 36.0) -> tuple[float, float]:
    """(width, height) of the drawing cut into rows by `row` (box -> row), each row as its slice of `one_row`."""
    spans: dict[int, list[float]] = {}
    for box, r in row.items():
        (x, y), b = one_row.centres[box], view.boxes[box]
        s = spans.setdefault(r, [x - b.width / 2, y - b.height / 2, x + b.width / 2, y + b.height / 2])
        s[0], s[1] = min(s[0], x - b.width / 2), min(s[1], y - b.height / 2)
        s[2], s[3] = max(s[2], x + b.width / 2), max(s[3], y + b.height / 2)
    for path, (x0, y0, x1, y1) in one_row.clusters.items():  # a module's frame goes with its boxes
        inside = [r for b, r in row.items() if view.boxes[b].cluster == path]
        if inside:
            s = spans[inside[0]]
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
