"""Where every box goes: graphviz `dot` over a view, given ids and sizes only, shaped for a page.

graphviz never sees a user string: node ids are our own (`n0`, `n1`, …), boxes come with
fixed sizes from the view, and clusters are named by their position in the view's cluster
list. The bundled graphviz crashes on some labels, and we draw every text ourselves anyway.
An edge that will carry a gradient label gets a placeholder label of digits so `dot`
leaves room for it.

A drawing is read left to right. When one row would be much wider than a page
(`style.PAGE_WIDTH` × `style.PAGE_HEIGHT`, what a 1280×720 notebook shows with node
text at its full size), the layout wraps it into rows like lines of text: the one-row
drawing is cut into rows, each keeping its boxes' places (no `dot` run per row), and an
arrow that runs from the end of one row to the start of the next turns back through the
gap between them. The drawing with every label is laid out only when its longest path
could fit the page's width. A top-to-bottom drawing is the other candidate; whichever
shows the whole graph largest on the page wins.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import build_view
>>> view = build_view(TorchGraph(lambda x: torch.sin(2 * x), [1.0]).nx)
>>> lay = compute_layout(view)
>>> sorted(lay.centres) == sorted(view.boxes), lay.rows, lay.direction
(True, 1, 'LR')
"""

from __future__ import annotations

from . import style as S
from .layout_blocks import blocks_layout
from .layout_dot import Cluster, dot_source, run_dot
from .layout_fast import fast_layout
from .layout_guess import SLACK, guess_rows, guess_top_down, rank_drawing
from .layout_parts import (
    LABEL_RESERVE_MAX,
    MAX_ROWS,
    ONE_SHAPE_ABOVE,
    ROW_GAP,
    Layout,
    adjacency,
    labelled,
    page_scale,
    point_of,
    slice_rows,
    spline_of,
    stack_rows,
)
from .view import View

PT_PER_INCH = 72.0
RANK_GAP = 0.32 * PT_PER_INCH  # the `ranksep` of `layout_dot`


# ----- one graphviz run --------------------------------------------------------------------------


def _build_agraph(view: View, boxes=None, rankdir: str = "LR", lean: bool = False):
    """The graphviz graph of `boxes` (all of the view's by default): our ids and sizes only."""
    import pygraphviz

    boxes = list(view.boxes) if boxes is None else [b for b in view.boxes if b in boxes]
    ids = {box: f"n{i}" for i, box in enumerate(boxes)}
    A = pygraphviz.AGraph(directed=True, strict=True)
    A.graph_attr.update(rankdir=rankdir, nodesep="0.22", ranksep="0.32", splines="spline", outputorder="edgesfirst")
    A.node_attr.update(shape="box", fixedsize="true", label="", margin="0")
    A.edge_attr.update(arrowsize="0.6")
    for box in boxes:
        b = view.boxes[box]
        A.add_node(ids[box], width=f"{b.width / PT_PER_INCH:.3f}", height=f"{b.height / PT_PER_INCH:.3f}")
    with_label = labelled(view, lean)
    for (u, v), link in view.links.items():
        if u not in ids or v not in ids:
            continue
        attrs = {}
        if (u, v) in with_label:  # room for the gradient text the edge may show
            attrs = {"label": "0" * min(LABEL_RESERVE_MAX, len(link.grad) + 2), "fontsize": str(S.FONT_SIZE - 1)}
        A.add_edge(ids[u], ids[v], **attrs)
    used: set[str] = {c for b in boxes if (c := view.boxes[b].cluster) is not None}
    used |= {p for p in view.clusters if any(c.startswith(p + ".") for c in used)}  # and their parents
    subgraphs: dict = {}
    for i, (path, parent) in enumerate(view.clusters.items()):  # outermost first
        if path not in used:
            continue
        holder = subgraphs.get(parent, A) if parent else A
        # a label of digits as long as the path: graphviz keeps room for the title we draw
        subgraphs[path] = holder.add_subgraph(
            name=f"cluster_{i}", label="0" * len(path), fontsize=str(S.FONT_SIZE - 1), labeljust="l", margin="10"
        )
    for box in boxes:
        if view.boxes[box].cluster is not None:  # graphviz also adds it to the parent clusters
            subgraphs[view.boxes[box].cluster].add_node(ids[box])
    return A, ids, subgraphs


def _clusters(view: View, boxes: list[str]) -> list[Cluster]:
    """The view's clusters that hold some of `boxes` (and their parents), nested, outermost first."""
    used: set[str] = {c for b in boxes if (c := view.boxes[b].cluster) is not None}
    used |= {p for p in view.clusters if any(c.startswith(p + ".") for c in used)}  # and their parents
    members: dict[str, list[str]] = {}
    for box in boxes:
        if (cluster := view.boxes[box].cluster) is not None:
            members.setdefault(cluster, []).append(box)
    names = {path: f"cluster_{i}" for i, path in enumerate(view.clusters)}
    children: dict[str | None, list[str]] = {}
    for path, parent in view.clusters.items():
        if path in used:
            children.setdefault(parent or None, []).append(path)

    def make(path: str) -> Cluster:
        kids = tuple(make(c) for c in children.get(path, []))
        # a label of digits as long as the path: graphviz keeps room for the title we draw
        return Cluster(names[path], "0" * len(path), str(S.FONT_SIZE - 1), tuple(members.get(path, [])), kids)

    return [make(p) for p in children.get(None, [])]


def _dot(view: View, boxes=None, rankdir: str = "LR", lean: bool = False) -> Layout:
    """Run `dot` once over `boxes` of the view and read back centres, splines and cluster boxes."""
    boxes = list(view.boxes) if boxes is None else [b for b in view.boxes if b in boxes]
    ids = {box: f"n{i}" for i, box in enumerate(boxes)}
    nodes = {ids[b]: (view.boxes[b].width / PT_PER_INCH, view.boxes[b].height / PT_PER_INCH) for b in boxes}
    with_label = labelled(view, lean)
    edges = []
    for (u, v), link in view.links.items():
        if u in ids and v in ids:  # a labelled edge keeps room for the gradient text it may show
            room = ("0" * min(LABEL_RESERVE_MAX, len(link.grad) + 2), str(S.FONT_SIZE - 1))
            edges.append((ids[u], ids[v], room if (u, v) in with_label else None))
    clusters = _clusters(view, boxes)
    out = run_dot(dot_source(nodes, edges, [_renamed(c, ids) for c in clusters], rankdir))
    height = out.bb[3]
    centres = {box: point_of(out.centres[i], height) for box, i in ids.items()}
    splines = {}
    for u, v in view.links:
        if u in ids and v in ids:
            pos, lp = out.splines[(ids[u], ids[v])]
            splines[(u, v)] = spline_of(pos, lp, height)
    found = {}
    for i, path in enumerate(view.clusters):  # in the view's order: outermost first
        b = out.clusters.get(f"cluster_{i}")
        if b:
            x0, y0, x1, y1 = (float(v) for v in b.split(","))
            found[path] = (x0, height - y1, x1, height - y0)
    return Layout(out.bb[2], height, centres, splines, found, 1, rankdir)


def _renamed(c: Cluster, ids: dict[str, str]) -> Cluster:
    return Cluster(
        c.name, c.label, c.fontsize, tuple(ids[b] for b in c.nodes), tuple(_renamed(k, ids) for k in c.children)
    )


# ----- wrapping a long drawing into rows ---------------------------------------------------------


def row_of_boxes(view: View, full: Layout, rows: int) -> dict[str, int]:
    """Which row each box goes to when the one-row drawing `full` is cut into `rows` equal widths.

    A box that only feeds others (an input, a weight) goes with its first consumer, and a
    module's frame stays whole, in the row of its middle.
    """
    consumers: dict[str, list[str]] = {}
    for u, v in view.links:
        consumers.setdefault(u, []).append(v)
    fed = {v for _, v in view.links}
    x = {b: c[0] for b, c in full.centres.items()}
    for b in view.boxes:
        if b not in fed and b in consumers:
            x[b] = min(full.centres[c][0] for c in consumers[b])
    row = {b: min(rows - 1, int(x[b] / max(full.width, 1e-9) * rows)) for b in view.boxes}
    middles = {  # an outermost module: every box inside it, in one row
        path: min(rows - 1, int((x0 + x1) / 2 / max(full.width, 1e-9) * rows))
        for path, (x0, _, x1, _) in full.clusters.items()
        if "." not in path
    }
    if middles:
        for b, box in view.boxes.items():
            if box.cluster and (top := box.cluster.partition(".")[0]) in middles:
                row[b] = middles[top]
    return row


def wrap_rows(view: View, full: Layout, rows: int, lean: bool = True) -> Layout | None:
    """The drawing in `rows` rows, or None when the graph does not cut into that many."""
    row = row_of_boxes(view, full, rows)
    used = sorted(set(row.values()))
    if len(used) < rows:
        return None
    return stack_rows(view, slice_rows(view, full, row), row, lean)


def compute_layout(view: View, page: tuple[float, float] | None = None) -> Layout:
    """Lay the view out for a page of `page` points (`style.PAGE_WIDTH` × `style.PAGE_HEIGHT` by default).

    One row left to right when it fits; else the candidate that shows the whole drawing
    largest, all of them without the edge labels that repeat a box (`labelled`): one row,
    two or more rows, or top to bottom. Fewer rows win a near tie. A candidate is laid out
    only if its guessed size (`layout_guess`) could win, and when the guesses say top to
    bottom wins, that is laid out first and alone. Above `ONE_SHAPE_ABOVE` boxes the one
    row is the answer, with repeated module blocks laid out once (`layout_blocks`).
    """
    page = page or (S.PAGE_WIDTH, S.PAGE_HEIGHT)
    fast = fast_layout(view, page)  # a long chain, a wide fan of identical branches: no `dot` over it all
    if fast is not None:
        return fast
    if len(view.boxes) > ONE_SHAPE_ABOVE:  # no shape shows it whole and legible: one row, panned
        # repeated module blocks (a deep transformer unfolded) from one laid-out copy each
        return blocks_layout(view, lean=True) or _dot(view, lean=True)
    runs: dict[tuple[str, bool], Layout] = {}

    def dot(rankdir: str = "LR", lean: bool = False) -> Layout:  # each `dot` run at most once
        if (rankdir, lean) not in runs:
            runs[(rankdir, lean)] = _dot(view, rankdir=rankdir, lean=lean)
        return runs[(rankdir, lean)]

    if len(view.boxes) >= 4 and (top_down := _top_down_first(view, page, dot)) is not None:
        return top_down
    same = labelled(view, True) == labelled(view, False)
    if same or len(view.boxes) < 4 or _narrowest_row(view) <= page[0] - 2 * S.MARGIN:
        full = dot()  # it may fit: the drawing with every label
        best, best_scale = full, page_scale(view, full, page)
        if best_scale >= 1.0 or len(view.boxes) < 4:
            return best
        lean = full if same else dot(lean=True)
    else:  # too long for one row even without labels: the labels would only be dropped again
        lean = dot(lean=True)
        best, best_scale = lean, page_scale(view, lean, page)
    for guess, make in _candidates(view, lean, page, lambda: dot("TB", True)):
        if guess <= best_scale * 1.05:  # even a guess that is a little off would not win
            continue
        lay = make()
        if lay is None:
            continue
        scale = page_scale(view, lay, page)
        if scale > best_scale * 1.05:
            best, best_scale = lay, scale
        if best_scale >= 1.0:
            break
    return best


def _top_down_first(view: View, page, dot) -> Layout | None:
    """The top-to-bottom drawing, from its one `dot` run, when the guessed drawings (`rank_drawing`)
    say it beats one row and every wrapping by the margin `compute_layout` asks; else None."""
    one_row = rank_drawing(view)
    best = page_scale(view, one_row, page)
    if best >= 1.0:
        return None
    for rows in range(2, MAX_ROWS + 1):
        if one_row.width / rows < page[0] / 4:  # as `_candidates`: such rows are not tried
            break
        row = row_of_boxes(view, one_row, rows)
        if len(set(row.values())) == rows:
            best = max(best, _scale_of(view, guess_rows(view, one_row, row, ROW_GAP), page))
    guessed = min(
        _scale_of(view, guess_top_down(view, one_row), page) * SLACK, page_scale(view, rank_drawing(view, "TB"), page)
    )
    if guessed <= best * 1.05:
        return None
    lay = dot("TB", True)
    return lay if page_scale(view, lay, page) > best * 1.05 else None


def _scale_of(view: View, size: tuple[float, float], page) -> float:
    return page_scale(view, Layout(size[0], size[1], {}, {}, {}), page)


def _narrowest_row(view: View) -> float:
    """A lower bound on the width of the one-row drawing: the boxes along the longest path,
    side by side with `dot`'s gap between ranks."""
    ins, feeds = adjacency(view)
    waiting = {b: len(into) for b, into in ins.items()}
    ready = [b for b, n in waiting.items() if n == 0]
    longest = {b: view.boxes[b].width for b in view.boxes}  # the widest path that ends at b
    while ready:
        u = ready.pop()
        for v in feeds[u]:
            longest[v] = max(longest[v], longest[u] + RANK_GAP + view.boxes[v].width)
            waiting[v] -= 1
            if waiting[v] == 0:
                ready.append(v)
    return max(longest.values(), default=0.0)


def _candidates(view: View, lean: Layout, page, top_down):
    """(optimistic guess of the scale, how to lay it out) of the drawings to try, in order of
    preference: one row, more rows, top to bottom (`top_down()` lays that out)."""

    def scale_of(size: tuple[float, float]) -> float:
        return _scale_of(view, size, page)

    yield page_scale(view, lean, page), lambda: lean
    for rows in range(2, MAX_ROWS + 1):
        if lean.width / rows < page[0] / 4:  # rows narrower than a quarter page: no better
            break
        row = row_of_boxes(view, lean, rows)
        guess = scale_of(guess_rows(view, lean, row, ROW_GAP)) * SLACK
        yield guess, lambda rows=rows: wrap_rows(view, lean, rows)
    yield scale_of(guess_top_down(view, lean)) * SLACK, top_down


def to_dot(view: View) -> str:
    """The DOT source ani-graph lays out (one row, left to right): ids and fixed sizes, no text of the user's."""
    A, _, _ = _build_agraph(view)
    return A.string()
