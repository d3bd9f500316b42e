"""Where every node goes: one graphviz `dot` layout per graph, cached, never moving.

The layout works on a *view* of the graph: modules nested deeper than `depth` fold
into one box each, and above `max_nodes` the depth is lowered until the drawing fits
(or, for a graph with no modules to fold, its middle is elided). Each node is sized for
the largest text it will ever show, value and gradient included, so every state of
the drawing and every animation frame uses the same positions.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x: torch.sin(2 * x), [1.0])
>>> lay = layout_of(g)
>>> sorted(lay.nodes) == sorted(g.nx.nodes)
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import networkx as nx

from .format import format_tensor
from .style import CHAR_WIDTH, FONT_SIZE, LINE_HEIGHT, math_to_text

PT_PER_INCH = 72.0
MAX_NODES = 300  # boxes drawn before modules fold
MAX_RANKS = 48  # boxes along the longest path before modules fold: a slide is only so wide


@dataclass
class NodeBox:
    id: str
    kind: str  # input/param/constant/intermediate/output/op/module/elided
    x: float  # centre, in points, y pointing down
    y: float
    w: float
    h: float
    members: list[str] = field(default_factory=list)  # graph nodes a folded box stands for


@dataclass
class EdgePath:
    id: str
    src: str
    dst: str
    points: list[tuple[float, float]]  # cubic Bézier control points: 1 + 3k of them
    tip: tuple[float, float] | None  # where the arrowhead points
    label_pos: tuple[float, float] | None = None
    members: list[tuple[str, str]] = field(default_factory=list)  # graph edges it stands for


@dataclass
class Cluster:
    module: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[str, NodeBox]
    edges: dict[tuple[str, str], EdgePath]
    clusters: list[Cluster]
    owner: dict[str, str]  # graph node -> the box that shows it (itself if not folded)
    caption: str = ""
    depth: int | None = None


# ----- the view: which nodes are shown, which fold into boxes --------------------------------


def _owner_module(G, n) -> str | None:
    a = G.nodes[n]
    if a["kind"] == "op":
        return a["module"]
    if a["kind"] in ("intermediate",):
        preds = list(G.predecessors(n))
        return G.nodes[preds[0]]["module"] if preds else None
    if a["kind"] in ("param", "constant"):
        mods = {G.nodes[s]["module"] for s in G.successors(n)}
        return mods.pop() if len(mods) == 1 else None
    return None  # inputs and outputs always stay visible


def _fold(module: str | None, depth: int | None) -> str | None:
    """The box a module folds into at this depth, or None when it stays open."""
    if module is None or depth is None:
        return None
    parts = module.split(".")
    return ".".join(parts[: depth + 1]) if len(parts) > depth else None


def _view(G, depth):
    owner = {}
    for n in G.nodes:
        box = _fold(_owner_module(G, n), depth)
        owner[n] = f"m:{box}" if box else n
    for n, a in G.nodes(data=True):
        # a named tensor that leaves its folded module stays visible: the user called it something
        if a["kind"] == "intermediate" and a.get("name") and owner[n] != n:
            if any(owner[s] != owner[n] for s in G.successors(n)):
                owner[n] = n
    return owner


def box_label(G, box: str) -> str:
    """A folded module's title: its path and its class, e.g. `layers.0 · TransformerEncoderLayer`."""
    path = box[2:]
    cls = G.graph.get("module_types", {}).get(path)
    return f"{path} · {cls}" if cls else path


def _size(G, owner) -> tuple[int, int]:
    """(boxes drawn, longest path in boxes) of a view: its area and its length."""
    boxes = set(owner.values())
    succ: dict[str, set] = {b: set() for b in boxes}
    for u, v in G.edges:
        if owner[u] != owner[v]:
            succ[owner[u]].add(owner[v])
    longest: dict[str, int] = {}
    for n in reversed(list(nx.topological_sort(G))):  # boxes keep the graph's order
        b = owner[n]
        longest[b] = max(longest.get(b, 1), 1 + max((longest.get(s, 1) for s in succ[b]), default=0))
    return len(boxes), max(longest.values(), default=0)


def _fits(G, owner, max_nodes) -> bool:
    count, length = _size(G, owner)
    return count <= max_nodes and length <= MAX_RANKS


def choose_view(G, depth=None, max_nodes=MAX_NODES):
    """(owner map, depth used, caption): fold modules until the drawing fits."""
    if depth is not None:
        owner = _view(G, depth)
        return owner, depth, ""
    owner = {n: n for n in G.nodes}
    if _fits(G, owner, max_nodes):
        return owner, None, ""
    modules = [a["module"] for _, a in G.nodes(data=True) if a["kind"] == "op" and a["module"]]
    deepest = max((m.count(".") for m in modules), default=-1)
    for d in range(deepest, -1, -1):
        owner = _view(G, d)
        if _fits(G, owner, max_nodes):
            return (
                owner,
                d,
                (
                    f"{G.number_of_nodes()} nodes: modules deeper than {d} are folded into boxes to keep "
                    "the drawing readable (pass depth= or max_nodes= to change this)."
                ),
            )
    # nothing left to fold: keep both ends of the graph and elide the middle
    order = list(nx.topological_sort(G))
    keep = min(max_nodes, MAX_RANKS) // 2
    head, tail = set(order[:keep]), set(order[-keep:])
    owner = {n: (n if n in head or n in tail else "elided") for n in order}
    hidden = sum(1 for v in owner.values() if v == "elided")
    return owner, None, f"{G.number_of_nodes()} nodes: {hidden} in the middle are hidden to keep the drawing readable."


# ----- node sizes ---------------------------------------------------------------------------------


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def display_names(G) -> dict[str, str]:
    """What the drawing and captions call each tensor: its name, a constant's value, else v1, v2, …"""
    cached = G.graph.get("_display_names")
    if cached is not None:
        return cached
    names, count = {}, 0
    for n, a in G.nodes(data=True):
        if a["kind"] == "op":
            continue
        if a.get("name"):
            names[n] = a["name"]
        elif a["kind"] == "constant":
            names[n] = format_tensor(a["value"])
        else:
            count += 1
            names[n] = f"v{count}"
    G.graph["_display_names"] = names
    return names


def tensor_texts(a: dict, name: str = "") -> tuple[str, str, str]:
    """(title, value text, gradient text) of a tensor node; empty strings where none."""
    value = format_tensor(a["value"])
    grad = format_tensor(a["grad"]) if a["grad"] is not None else ""
    shape = "×".join(map(str, a["shape"]))
    if a["kind"] == "constant":
        return (f"{a['name']} = {value}" if a.get("name") else value), "", ""
    name = a.get("name") or name
    title = f"{name} ({shape})" if name and shape else (name or shape)
    return title, value, grad


def tensor_rows(a: dict, name: str = "") -> list[str]:
    """The text rows a tensor node may ever show, with the prefixes the drawing uses."""
    title, value, grad = tensor_texts(a, name)
    rows = [title]
    if a["kind"] != "constant":
        rows.append(f"= {value}")
        if a["requires_grad"]:
            rows.append(f"∂ {grad}")
    return rows


def node_size(G, n) -> tuple[float, float]:
    """Width and height in points, for the largest content the node ever shows."""
    a = G.nodes[n]
    if a["kind"] == "op":
        w = max(34.0, text_width(math_to_text(a["label"]), FONT_SIZE + 2) + 18)
        return w, 34.0
    rows = [r for r in tensor_rows(a, display_names(G)[n]) if r]
    w = max(text_width(r) for r in rows) + 18
    return max(w, 40.0), LINE_HEIGHT * max(1, len(rows)) + 10


# ----- graphviz ----------------------------------------------------------------------------------


def _dot_id(n: str) -> str:
    return n.replace(":", "_").replace(".", "_")


def _build_agraph(G, owner, edge_labels: bool):
    import pygraphviz

    A = pygraphviz.AGraph(directed=True, strict=True)
    A.graph_attr.update(rankdir="LR", nodesep="0.22", ranksep="0.32", splines="spline", outputorder="edgesfirst")
    A.node_attr.update(shape="box", fixedsize="true", label="", margin="0")
    A.edge_attr.update(arrowsize="0.6")
    sizes, members = {}, {}
    for n in G.nodes:
        members.setdefault(owner[n], []).append(n)
    for box, inner in members.items():
        if box.startswith("m:") or box == "elided":
            label = box_label(G, box) if box.startswith("m:") else f"⋯ {len(inner)} nodes ⋯"
            w, h = max(70.0, text_width(label) + 20), 40.0
        else:
            w, h = node_size(G, box)
        sizes[box] = (w, h)
        A.add_node(_dot_id(box), width=f"{w / PT_PER_INCH:.3f}", height=f"{h / PT_PER_INCH:.3f}")
    edges = {}
    for u, v in G.edges:
        bu, bv = owner[u], owner[v]
        if bu == bv:
            continue
        edges.setdefault((bu, bv), []).append((u, v))
    for (bu, bv), inner in edges.items():
        attrs = {}
        if edge_labels and bu in G and G.nodes[bu]["kind"] != "op":
            grad = G.edges[inner[0]].get("grad")
            if grad is not None:
                # reserve room for the gradient text the edge may show
                attrs["label"] = "0" * min(40, len(format_tensor(grad)) + 2)
                attrs["fontsize"] = str(FONT_SIZE - 1)
        A.add_edge(_dot_id(bu), _dot_id(bv), **attrs)
    return A, sizes, members, edges


def _add_clusters(A, G, owner):
    """Nest graphviz clusters by module path, for the boxes that are not folded."""
    by_module: dict[str, list[str]] = {}
    folded = {b[2:] for b in set(owner.values()) if b.startswith("m:")}

    def outside_folds(mod):
        # a tensor that leaves a folded module sits next to its box, in the box's parent
        for f in folded:
            if mod == f or mod.startswith(f + "."):
                return f.rsplit(".", 1)[0] if "." in f else None
        return mod

    for n in G.nodes:
        if owner[n] != n:
            continue
        mod = _owner_module(G, n)
        mod = outside_folds(mod) if mod else None
        if mod:
            by_module.setdefault(mod, []).append(n)
    for box in folded:
        parent = box.rsplit(".", 1)[0] if "." in box else None
        if parent:
            by_module.setdefault(parent, []).append(f"m:{box}")
    paths = set()
    for mod in list(by_module):
        parts = mod.split(".")
        paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    subgraphs = {}
    for path in sorted(paths, key=lambda p: p.count(".")):
        parent = subgraphs.get(path.rsplit(".", 1)[0]) if "." in path else A
        if parent is None:
            parent = A
        sub = parent.add_subgraph(
            name=f"cluster_{_dot_id(path)}", label=path, fontsize=str(FONT_SIZE - 1), labeljust="l", margin="10"
        )
        subgraphs[path] = sub
    # a node goes into its own module's cluster; graphviz also adds it to the parents
    for mod, nodes in by_module.items():
        sub = subgraphs[mod]
        for n in nodes:
            sub.add_node(_dot_id(n))
    return subgraphs


def _quiet_stderr():
    """The bundled fontconfig warns on stderr ('reset-dirs'); keep it out of notebooks."""

    class Quiet:
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

    return Quiet()


def _parse_point(text, height):
    x, y = text.split(",")[:2]
    return float(x), height - float(y)


def check_view_options(depth, max_nodes):
    """Clear errors for the folding options, before any work is done."""
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be None or a whole number ≥ 0 (how many module levels stay open), not {depth!r}.")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 2:
        raise ValueError(f"max_nodes must be a whole number ≥ 2, not {max_nodes!r}.")


def layout_of(graph, depth=None, max_nodes=MAX_NODES, edge_labels: bool = True) -> Layout:
    """The cached layout of a TorchGraph (computed on first use)."""
    check_view_options(depth, max_nodes)
    key = ("layout", depth, max_nodes, edge_labels)
    cache = graph._cache
    if key not in cache:
        cache[key] = compute_layout(graph.nx, depth=depth, max_nodes=max_nodes, edge_labels=edge_labels)
    return cache[key]


def compute_layout(G, depth=None, max_nodes=MAX_NODES, edge_labels: bool = True) -> Layout:
    owner, used_depth, caption = choose_view(G, depth, max_nodes)
    A, sizes, members, edges = _build_agraph(G, owner, edge_labels)
    subgraphs = _add_clusters(A, G, owner)
    with _quiet_stderr():
        # layout() then reading positions: never layout() followed by draw(), which
        # crashes in this pygraphviz; labels never start with a newline either.
        A.layout(prog="dot")
    bb = [float(v) for v in A.graph_attr["bb"].split(",")]
    height = bb[3]
    nodes = {}
    for box, (w, h) in sizes.items():
        x, y = _parse_point(A.get_node(_dot_id(box)).attr["pos"], height)
        kind = "module" if box.startswith("m:") else ("elided" if box == "elided" else G.nodes[box]["kind"])
        nodes[box] = NodeBox(box, kind, x, y, w, h, members=members[box])
    paths = {}
    for (bu, bv), inner in edges.items():
        e = A.get_edge(_dot_id(bu), _dot_id(bv))
        points, end = [], None
        for part in e.attr["pos"].split():
            if part.startswith("e,"):
                end = _parse_point(part[2:], height)
            elif not part.startswith("s,"):
                points.append(_parse_point(part, height))
        lp = e.attr.get("lp")
        paths[(bu, bv)] = EdgePath(
            f"{bu}-{bv}", bu, bv, points, end, _parse_point(lp, height) if lp else None, members=inner
        )
    clusters = []
    for path, sub in subgraphs.items():
        b = sub.graph_attr.get("bb")
        if b:
            x0, y0, x1, y1 = (float(v) for v in b.split(","))
            clusters.append(Cluster(path, x0, height - y1, x1, height - y0))
    return Layout(bb[2], height, nodes, paths, clusters, owner, caption, used_depth)


def to_dot(graph, depth=None, max_nodes=MAX_NODES) -> str:
    """The DOT source ani-graph lays out (sizes fixed, labels drawn by ani-graph itself)."""
    check_view_options(depth, max_nodes)
    owner, _, _ = choose_view(graph.nx, depth, max_nodes)
    A, _, _, _ = _build_agraph(graph.nx, owner, edge_labels=True)
    _add_clusters(A, graph.nx, owner)
    return A.string()
