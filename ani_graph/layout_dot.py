"""One graphviz `dot` run, as text in and JSON out.

`dot_source` writes the DOT text of a view's boxes (our ids and fixed sizes only, never a
user string), creating nodes, edges and clusters in the same order as building the graph
object by object would, so `dot` places them the same way. `run_dot` hands that text to
the bundled graphviz once (one parse of one string instead of a Python call per node and
edge attribute, which was most of the layout time on a mid-sized graph) and reads the
positions back from the attributes `dot` writes onto the graph it laid out.

>>> text = dot_source({"n0": (1.0, 0.5), "n1": (1.0, 0.5)}, [("n0", "n1", None)], [], "LR")
>>> out = run_dot(text)
>>> sorted(out.centres), len(out.splines)
(['n0', 'n1'], 1)
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass

_ONE_AT_A_TIME = threading.Lock()

_HEAD = (
    "strict digraph {{\n"
    "graph [rankdir={rankdir}, nodesep=0.22, ranksep=0.32, splines=spline, outputorder=edgesfirst];\n"
    'node [shape=box, fixedsize=true, label="", margin=0];\n'
    "edge [arrowsize=0.6];\n"
)


@dataclass(frozen=True)
class Cluster:
    """A graphviz cluster: its subgraph name, its title's room (digits), and what is inside."""

    name: str
    label: str
    fontsize: str
    nodes: tuple[str, ...]
    children: tuple[Cluster, ...]


@dataclass(frozen=True)
class DotOut:
    """What one `dot` run gave back, in graphviz's own coordinates (y up)."""

    bb: tuple[float, float, float, float]
    centres: dict[str, str]  # node id -> "x,y"
    splines: dict[tuple[str, str], tuple[str, str | None]]  # (tail, head) -> (pos, lp)
    clusters: dict[str, str]  # cluster name -> "x0,y0,x1,y1"


def _cluster_text(c: Cluster, out: list[str]) -> None:
    out.append(f'subgraph {c.name} {{\ngraph [label="{c.label}", fontsize={c.fontsize}, labeljust=l, margin=10];\n')
    for child in c.children:
        _cluster_text(child, out)
    out.extend(f"{n};\n" for n in c.nodes)
    out.append("}\n")


def dot_source(
    nodes: dict[str, tuple[float, float]],
    edges: list[tuple[str, str, tuple[str, str] | None]],
    clusters: list[Cluster],
    rankdir: str,
) -> str:
    """DOT text: `nodes` id -> (width, height) in inches, `edges` (tail, head, (label, fontsize) or
    None), then the outermost `clusters`; ids and digit labels only, so nothing needs quoting."""
    out = [_HEAD.format(rankdir=rankdir)]
    out.extend(f"{n} [width={w:.3f}, height={h:.3f}];\n" for n, (w, h) in nodes.items())
    for u, v, label in edges:
        out.append(f"{u} -> {v};\n" if label is None else f'{u} -> {v} [label="{label[0]}", fontsize={label[1]}];\n')
    for c in clusters:
        _cluster_text(c, out)
    out.append("}\n")
    return "".join(out)


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


def run_dot(source: str) -> DotOut:
    """Lay `source` out with `dot` once and read back node centres, edge splines and cluster boxes.

    graphviz reads the text, lays it out and writes its results onto the graph's own
    attributes (the `dot` renderer with no output); they are read back object by object:
    for a drawing of a few dozen boxes that is a fraction of rendering and parsing JSON.
    """
    from pygraphviz import graphviz as gv

    # one layout at a time: graphviz keeps global state, and two threads swapping fd 2
    # could leave stderr pointing at /dev/null
    with _ONE_AT_A_TIME, _QuietStderr():
        graph = _read(source, gv)
        if graph is None:
            raise RuntimeError("graphviz could not read the drawing's DOT text; please report the graph")
        try:
            gvc = _context(gv)
            if gv.gvLayout(gvc, graph, b"dot") != 0:
                raise RuntimeError("graphviz's dot could not lay this drawing out; please report the graph")
            gv.gvRender(gvc, graph, b"dot", None)  # attach pos/lp/bb, write nothing
            out = _positions(graph, gv)
            gv.gvFreeLayout(gvc, graph)
        finally:
            gv.agclose(graph)
    return out


_SCRATCH: dict = {"pid": None}  # per process (a forked child shares its parent's file offset)


def _scratch(gv) -> dict:
    """This process's scratch file for graphviz to read the text from, and its graphviz context."""
    if _SCRATCH["pid"] != os.getpid():
        _SCRATCH.update(pid=os.getpid(), file=tempfile.TemporaryFile(), gvc=gv.gvContextWithBuiltins())
    return _SCRATCH


def _read(source: str, gv):
    fh = _scratch(gv)["file"]
    fh.seek(0)
    fh.truncate()
    fh.write(source.encode("utf-8"))
    fh.seek(0)
    return gv.agread(fh, None)


def _context(gv):
    return _scratch(gv)["gvc"]


def _text(obj, key: bytes, gv) -> str:
    value = gv.agget(obj, key)
    return value.decode() if value else ""


def _positions(graph, gv) -> DotOut:
    """Node centres, edge splines (pos, lp) and cluster boxes from a laid-out graph's attributes."""
    centres: dict[str, str] = {}
    splines: dict[tuple[str, str], tuple[str, str | None]] = {}
    clusters: dict[str, str] = {}
    node = gv.agfstnode(graph)
    while node is not None:
        name = gv.agnameof(node).decode()
        centres[name] = _text(node, b"pos", gv)
        edge = gv.agfstout(graph, node)
        while edge is not None:
            head = gv.agnameof(gv.aghead(edge)).decode()
            splines[(name, head)] = (_text(edge, b"pos", gv), _text(edge, b"lp", gv) or None)
            edge = gv.agnxtout(graph, edge)
        node = gv.agnxtnode(graph, node)
    subgraphs = [graph]
    while subgraphs:
        sub = gv.agfstsubg(subgraphs.pop())
        while sub is not None:
            if box := _text(sub, b"bb", gv):
                clusters[gv.agnameof(sub).decode()] = box
            subgraphs.append(sub)
            sub = gv.agnxtsubg(sub)
    x0, y0, x1, y1 = (float(v) for v in _text(graph, b"bb", gv).split(","))
    return DotOut((x0, y0, x1, y1), centres, splines, clusters)
