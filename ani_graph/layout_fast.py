"""Layouts without a `dot` run over the whole graph, for the shapes where the placement is known.

`dot` takes time that grows much faster than the graph: a long chain or a fan of hundreds
of identical branches took a minute. Two shapes are placed directly, and everything else
goes to `dot` as before (`fast_layout` returns None):

- a **chain**: each box has at most one link in and one out, not counting the constants
  and parameters that feed an op (`chain_of`). The boxes go left to right by rank, each
  feeder under the box before its op, and a long chain wraps into rows as the page-shaped
  `dot` layout does, arrows between rows turning back through the gap.
- a **fan**: many branches with the same structure between one box and another
  (`layout_fan`): one branch is laid out by `dot`, its copies stacked under each other.

Both return the `Layout` that `layout.compute_layout` returns.

>>> import torch
>>> from ani_graph import TorchGraph
>>> def f(x):
...     for _ in range(20):
...         x = x * 1.5
...     return x
>>> view = TorchGraph(f, [1.0]).view(max_nodes=1000)
>>> spine, feeders = chain_of(view)
>>> len(spine), sum(len(f) for f in feeders.values())
(41, 20)
>>> lay = fast_layout(view)
>>> lay.rows > 1, sorted(lay.centres) == sorted(view.boxes)
(True, True)
"""

from __future__ import annotations

from . import style as S
from .layout_fan import fan_layout, fan_of
from .layout_parts import (
    MAX_ROWS,
    NODESEP,
    ONE_SHAPE_ABOVE,
    PAD,
    RANKSEP,
    Layout,
    Spline,
    adjacency,
    label_room,
    labelled,
    page_scale,
    stack_rows,
    straight,
)
from .view import View

CHAIN_FROM = 40  # fewer boxes than this: `dot` is fast, and its drawing is the reference

Chain = tuple[list[str], dict[str, list[str]]]  # (the spine in order, op -> the boxes that feed only it)


def fast_layout(view: View, page: tuple[float, float] | None = None) -> Layout | None:
    """The layout of a long chain or a wide fan placed without `dot` over the whole graph, or None
    when the view is neither (or small, or has module frames): `dot` lays that out."""
    if any(b.cluster is not None for b in view.boxes.values()):
        return None
    page = page or (S.PAGE_WIDTH, S.PAGE_HEIGHT)
    if len(view.boxes) >= CHAIN_FROM and (chain := chain_of(view)) is not None:
        return chain_layout(view, chain, page)
    if len(view.boxes) > ONE_SHAPE_ABOVE and (fan := fan_of(view)) is not None:
        return fan_layout(view, fan)
    return None


def chain_of(view: View) -> Chain | None:
    """(spine, feeders) when the view is a chain, else None.

    The spine runs from a box nothing links into, through boxes with one link out each, to
    the end; every other box links into nothing but one op of the spine (a constant, a
    weight, a second input)."""
    ins, outs = adjacency(view)
    sources = {b for b in view.boxes if not ins[b]}
    firsts = [b for b in view.boxes if ins[b] and all(u in sources for u in ins[b])]
    if len(firsts) != 1:
        return None
    feeding = ins[firsts[0]]
    head = next((u for u in feeding if view.boxes[u].kind != "constant"), feeding[0])
    spine, box = [head], head
    while outs[box]:
        if len(outs[box]) != 1:
            return None
        box = outs[box][0]
        spine.append(box)
    on = set(spine)
    feeders: dict[str, list[str]] = {}
    for b in view.boxes:
        if b in on:
            continue
        if b not in sources or len(outs[b]) != 1 or outs[b][0] not in on or view.boxes[outs[b][0]].kind != "op":
            return None
        feeders.setdefault(outs[b][0], []).append(b)
    return spine, feeders


def chain_layout(view: View, chain: Chain, page: tuple[float, float]) -> Layout:
    """The chain in one row when that fits the page (or it is too long for any shape to show it
    legibly), else in as many rows (up to `MAX_ROWS`) as show it largest; fewer rows win a near tie."""
    if len(view.boxes) > ONE_SHAPE_ABOVE:
        return _rows(view, chain, 1, lean=True)
    best = _rows(view, chain, 1, lean=False)
    best_scale = page_scale(view, best, page)
    if best_scale >= 1.0:
        return best
    for rows in range(1, MAX_ROWS + 1):
        lay = _rows(view, chain, rows, lean=True)
        scale = page_scale(view, lay, page)
        if scale > best_scale * 1.05:
            best, best_scale = lay, scale
    return best


def _rows(view: View, chain: Chain, rows: int, lean: bool) -> Layout:
    """The chain cut into `rows` rows of about equal width, each placed by rank, stacked."""
    spine, feeders = chain
    with_label = labelled(view, lean)
    one = _row(view, spine, feeders, with_label)
    if rows == 1:
        return one
    cut = {b: min(rows - 1, int(one.centres[b][0] / max(one.width, 1e-9) * rows)) for b in spine}
    segments = [[b for b in spine if cut[b] == r] for r in range(rows)]
    segments = [s for s in segments if s]
    row = {b: i for i, seg in enumerate(segments) for b in seg}
    row.update({f: row[op] for op, fs in feeders.items() for f in fs})
    parts = [_row(view, seg, feeders, with_label) for seg in segments]
    return stack_rows(view, parts, row, lean)


def _columns(spine: list[str], feeders: dict[str, list[str]]) -> list[tuple[str | None, list[str]]]:
    """(spine box or None, the feeders that share its rank) left to right: a feeder goes one rank
    before its op, under the spine box there (or in a rank of its own at the start of a row)."""
    cols: list[tuple[str | None, list[str]]] = []
    if feeders.get(spine[0]):
        cols.append((None, feeders[spine[0]]))
    for i, b in enumerate(spine):
        cols.append((b, feeders.get(spine[i + 1], []) if i + 1 < len(spine) else []))
    return cols


def _row(view: View, spine: list[str], feeders: dict[str, list[str]], with_label: set[tuple[str, str]]) -> Layout:
    """One row of the chain: ranks left to right, the spine on one line, feeders under it."""
    boxes = view.boxes
    cols = _columns(spine, feeders)
    line = PAD + max(boxes[b].height for b in spine) / 2  # the spine's centre line
    below = line + max(boxes[b].height for b in spine) / 2 + NODESEP
    centres: dict[str, tuple[float, float]] = {}
    x, bottom = PAD, line * 2 - PAD
    for k, (b, under) in enumerate(cols):
        width = max(boxes[m].width for m in ([b] if b else []) + under)
        if k and b:  # the gap before this rank: room for the labels of the links into its spine box
            head: str = b
            before, fed = cols[k - 1]
            prev = fed + ([before] if before else [])
            rooms = [label_room(view.links[(u, head)].grad) + 8 for u in prev if (u, head) in with_label]
            x += max([RANKSEP, *rooms])
        x += width / 2
        if b:
            centres[b] = (x, line)
        y = below
        for f in under:
            centres[f] = (x, y + boxes[f].height / 2)
            y += boxes[f].height + NODESEP
        bottom = max(bottom, y - NODESEP)
        x += width / 2
    splines = {key: _arrow(view, key, centres, key in with_label) for key in view.links if set(key) <= set(centres)}
    return Layout(x + PAD, bottom + PAD, centres, splines, {}, 1, "LR")


def _arrow(view: View, key: tuple[str, str], centres: dict, label: bool) -> Spline:
    """A link inside one row: along the spine straight, from a feeder up into the op's left side."""
    (u, v), (xu, yu), (xv, yv) = key, centres[key[0]], centres[key[1]]
    start = (xu + view.boxes[u].width / 2, yu)
    lift = 0.0 if yu == yv else view.boxes[v].height / 4  # a feeder arrives below the spine's arrow
    tip = (xv - view.boxes[v].width / 2, yv + lift)
    where = ((start[0] + tip[0]) / 2, (start[1] + tip[1]) / 2 - S.FONT_SIZE * 0.7) if label else None
    return straight(start, tip, where)
