"""Small tensors as pictures: the geometry and colours of an inline heatmap in a tensor's badge.

With `tensors="heatmap"`, a tensor of 2 to 64 real elements shows its value (and its
gradient) as a grid of coloured cells in place of the `[4×3, mean 0.32]` text, with
its range written beside the grid. One `Heat` holds everything a renderer needs: the
grid's rows, columns and cell size, the numbers, and the limit of the colour scale
(`style.diverging`, centred on 0, running from −limit to limit, where limit is the
largest magnitude in the grid: a value and its gradient each have their own).

Grids keep the tensor's shape where it reads: a vector is a strip (wrapped into rows of
`WRAP` when it is longer), a matrix up to `WRAP`×`WRAP` is its own grid, and anything else
is laid out row by row, `WRAP` cells to a row, in PyTorch's (row-major) order.

>>> import torch
>>> h = heat_of(torch.tensor([[1.0, -2.0, 0.5], [0.0, 2.0, -1.0]]))
>>> (h.rows, h.cols, len(h.values), h.limit, h.text)
(2, 3, 6, 2.0, '−2 … 2')
>>> h.colours()[1], h.colours()[3]
('#0072B2', '#F7F7F7')
>>> heat_of(torch.tensor(3.0)) is None, heat_of(torch.zeros(65)) is None
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .format import format_number
from .style import LINE_HEIGHT, diverging

TENSORS = ("text", "heatmap")  # the choices for `tensors=` in plot, to_svg and animate
MIN_ELEMENTS, MAX_ELEMENTS = 2, 64  # tensors with this many elements become heatmaps
WRAP = 16  # cells in a row before a vector wraps; a matrix wider or taller than this is wrapped too
CELL_MAX, CELL_MIN = 10.0, 5.0  # points a cell spans
SPAN = 96.0  # points the longer side of a grid spans at most (above that, cells shrink)
GAP = 5.0  # between the grid and its range text
PAD = 3.0  # above and below a grid in its badge row


@dataclass(frozen=True)
class Heat:
    """One heatmap: `rows`×`cols` cells of `cell` points, the first `len(values)` of them filled."""

    rows: int
    cols: int
    cell: float
    values: tuple[float, ...]  # row-major, one per element
    limit: float  # the colour scale runs from −limit to limit
    text: str  # the range, written beside the grid

    @property
    def width(self) -> float:
        return self.cols * self.cell

    @property
    def height(self) -> float:
        return self.rows * self.cell

    @property
    def row_height(self) -> float:
        """The height of the badge row that holds this grid."""
        return max(LINE_HEIGHT, self.height + 2 * PAD)

    def colours(self) -> tuple[str, ...]:
        """Each cell's colour: `style.diverging(value, limit)`."""
        return tuple(diverging(v, self.limit) for v in self.values)

    def cells(self, x: float, y: float) -> list[tuple[float, float, float]]:
        """(left, top, size) of each cell, for a grid whose top-left corner is at (x, y)."""
        return [
            (x + (i % self.cols) * self.cell, y + (i // self.cols) * self.cell, self.cell)
            for i in range(len(self.values))
        ]


def check_tensors(tensors) -> str:
    """`tensors` checked: one of `TENSORS`, else a ValueError that lists them."""
    if not isinstance(tensors, str) or tensors not in TENSORS:
        choices = " or ".join(repr(t) for t in TENSORS)
        raise ValueError(f"tensors must be {choices} (how a tensor's value and gradient are shown), not {tensors!r}.")
    return tensors


def grid_shape(shape: tuple[int, ...], count: int) -> tuple[int, int]:
    """(rows, columns) of the grid for a tensor of `shape` with `count` elements.

    >>> grid_shape((5,), 5), grid_shape((4, 3), 12), grid_shape((40,), 40), grid_shape((2, 3, 4), 24)
    ((1, 5), (4, 3), (3, 16), (6, 4))
    """
    if len(shape) >= 3:  # the leading dimensions become rows: (2, 3, 4) is shown as 6 rows of 4
        shape = (count // shape[-1], shape[-1]) if shape[-1] else (count,)
    if len(shape) == 2 and shape[0] <= WRAP and shape[1] <= WRAP:
        return shape[0], shape[1]
    cols = min(count, WRAP)
    return math.ceil(count / cols), cols


def range_text(low: float, high: float) -> str:
    """The range of a grid's numbers, e.g. `−0.84 … 1.2` (one number when they are all equal)."""
    if low == high:
        return "all " + format_number(low, 2)
    return f"{format_number(low, 2)} … {format_number(high, 2)}"


def heat_of(t) -> Heat | None:
    """The heatmap of a tensor, or None when it keeps its text (a scalar, too many elements, not real)."""
    if t is None or not hasattr(t, "numel") or not callable(t.numel):  # None, or a summary of a huge tensor
        return None
    count = t.numel()
    if not MIN_ELEMENTS <= count <= MAX_ELEMENTS or t.dtype.is_complex or t.dtype == torch.bool:
        return None
    values = tuple(float(v) for v in t.detach().double().reshape(-1).tolist())
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    rows, cols = grid_shape(tuple(t.shape), count)
    cell = max(CELL_MIN, min(CELL_MAX, SPAN / max(rows, cols)))
    limit = max(abs(v) for v in finite)
    return Heat(rows, cols, cell, values, limit, range_text(min(finite), max(finite)))


def gradient_steps(G, n, order: list) -> list:
    """The running sums a tensor's gradient badge shows before its total, as the backward frames
    bring its shares: its upstream gradient (an output's), then one share per op, ops taken from
    the output back (`order` is a topological order of `G`). Empty when one share makes the total.
    """
    a = G.nodes[n]
    running = a.get("upstream") if a["kind"] == "output" or G.out_degree(n) == 0 else None
    shares = [
        G.edges[n, op]["grad"]
        for op in reversed(order)
        if op in G.succ[n] and G.nodes[op].get("op") != "detach" and G.edges[n, op].get("grad") is not None
    ]
    steps = []
    for share in shares[:-1]:  # the last share brings the total, which the badge's own grid shows
        try:
            running = share if running is None else running + share
        except TypeError:  # a summary of a huge tensor cannot be added
            return []
        steps.append(running)
    return steps
