"""Where every box goes: graphviz `dot` over a view, given ids and sizes only.

graphviz never sees a user string: node ids are our own (`t3`, `op5`, `m:layers.0` made
safe), boxes come with fixed sizes from the view, and clusters are named by their
position in the view's cluster list. The bundled graphviz crashes on some labels, and
we draw every text ourselves anyway. An edge that will carry a gradient label gets a
placeholder label of digits so `dot` leaves room for it.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import build_view
>>> view = build_view(TorchGraph(lambda x: torch.sin(2 * x), [1.0]).nx)
>>> lay = compute_layout(view)
>>> sorted(lay.centres) == sorted(view.boxes)
True
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .style import FONT_SIZE
from .view import View

PT_PER_INCH = 72.0
_ONE_AT_A_TIME = threading.Lock()
LABEL_RESERVE_MAX = 40  # characters of gradient label an edge makes room for


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


def _dot_ids(view: View) -> dict[str, str]:
    """Our own graphviz ids, one per box: n0, n1, … (never a user string)."""
    return {box: f"n{i}" for i, box in enumerate(view.boxes)}


def _build_agraph(view: View):
    import pygraphviz

    ids = _dot_ids(view)
    A = pygraphviz.AGraph(directed=True, strict=True)
    A.graph_attr.update(rankdir="LR", nodesep="0.22", ranksep="0.32", splines="spline", outputorder="edgesfirst")
    A.node_attr.update(shape="box", fixedsize="true", label="", margin="0")
    A.edge_attr.update(arrowsize="0.6")
    for box, b in view.boxes.items():
        A.add_node(ids[box], width=f"{b.width / PT_PER_INCH:.3f}", height=f"{b.height / PT_PER_INCH:.3f}")
    for (u, v), link in view.links.items():
        attrs = {}
        if link.grad:  # room for the gradient text the edge may show
            attrs = {"label": "0" * min(LABEL_RESERVE_MAX, len(link.grad) + 2), "fontsize": str(FONT_SIZE - 1)}
        A.add_edge(ids[u], ids[v], **attrs)
    subgraphs = {}
    cluster_ids = {path: f"cluster_{i}" for i, path in enumerate(view.clusters)}
    for path, parent in view.clusters.items():  # outermost first
        holder = subgraphs.get(parent, A) if parent else A
        # a label of digits as long as the path: graphviz keeps room for the title we draw
        room = "0" * len(path)
        subgraphs[path] = holder.add_subgraph(
            name=cluster_ids[path], label=room, fontsize=str(FONT_SIZE - 1), labeljust="l", margin="10"
        )
    for box, b in view.boxes.items():
        if b.cluster is not None:  # graphviz also adds it to the parent clusters
            subgraphs[b.cluster].add_node(ids[box])
    return A, ids, subgraphs


class _QuietStderr:
    """The bundled fontconfig warns on stderr ('reset-dirs'); keep it out of notebooks."""

    def __enter__(self):
        try:
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            self.saved = None

    def __exit__(self, *exc):
        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)


def _point(text: str, height: float) -> tuple[float, float]:
    x, y = text.split(",")[:2]
    return float(x), height - float(y)


def _spline(attr, height: float) -> Spline:
    points, end = [], None
    for part in attr["pos"].split():
        if part.startswith("e,"):
            end = _point(part[2:], height)
        elif not part.startswith("s,"):
            points.append(_point(part, height))
    lp = attr.get("lp")
    return Spline(tuple(points), end, _point(lp, height) if lp else None)


def compute_layout(view: View) -> Layout:
    """Run `dot` once over the view and read back centres, splines and cluster boxes."""
    A, ids, subgraphs = _build_agraph(view)
    # one layout at a time: graphviz keeps global state, and two threads swapping fd 2
    # could leave stderr pointing at /dev/null
    with _ONE_AT_A_TIME, _QuietStderr():
        # layout() then reading positions: never layout() followed by draw(), which
        # crashes in this pygraphviz
        A.layout(prog="dot")
    bb = [float(v) for v in A.graph_attr["bb"].split(",")]
    height = bb[3]
    centres = {box: _point(A.get_node(ids[box]).attr["pos"], height) for box in view.boxes}
    splines = {(u, v): _spline(A.get_edge(ids[u], ids[v]).attr, height) for u, v in view.links}
    clusters = {}
    for path, sub in subgraphs.items():
        b = sub.graph_attr.get("bb")
        if b:
            x0, y0, x1, y1 = (float(v) for v in b.split(","))
            clusters[path] = (x0, height - y1, x1, height - y0)
    return Layout(bb[2], height, centres, splines, clusters)


def to_dot(view: View) -> str:
    """The DOT source ani-graph lays out: ids and fixed sizes, no text of the user's."""
    A, _, _ = _build_agraph(view)
    return A.string()
