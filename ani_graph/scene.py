"""What the drawing shows, as plain data: positions from the layout, looks from the style.

Both renderers (SVG and matplotlib) draw a `Scene`, so the static plot, the notebook
display and every animation frame look alike. A scene can show a graph's full state
(`with_all=True`), just names, or one animation frame's state (`state=`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .format import format_tensor
from .layout import MAX_NODES, box_label, display_names, layout_of, tensor_texts
from .style import KIND_COLOURS, math_to_text

MARGIN = 14.0
CAPTION_HEIGHT = 22.0


@dataclass
class NodeItem:
    id: str  # the graph's node id, or a folded box's id
    dom_id: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    stroke: str
    fill: str
    title: str  # plain text (mathtext already turned into Unicode)
    math: str | None = None  # the op label as mathtext, for matplotlib
    value: str = ""
    grad: str = ""
    value_row: bool = False  # the node has a value row / gradient row at all
    grad_row: bool = False
    show_value: bool = False
    show_grad: bool = False
    lit: bool = False


@dataclass
class EdgeItem:
    id: str
    dom_id: str
    src: str
    dst: str
    points: list[tuple[float, float]]
    tip: tuple[float, float] | None
    label_pos: tuple[float, float] | None
    grad: str = ""
    show_grad: bool = False
    lit: bool = False


@dataclass
class ClusterItem:
    module: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Scene:
    width: float
    height: float
    nodes: list[NodeItem]
    edges: list[EdgeItem]
    clusters: list[ClusterItem] = field(default_factory=list)
    caption: str = ""
    phase: str = ""  # "forward" or "backward" for an animation frame: the colour of what is lit


def dom_id(node_id: str) -> str:
    """An id that is safe in SVG/HTML ids and CSS selectors."""
    return re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def build_scene(graph, with_all: bool = False, state: dict | None = None, depth=None, max_nodes=MAX_NODES) -> Scene:
    """The scene of a TorchGraph.

    `state`, if given, is an animation frame's accumulated state:
    `{"labels": {node: {"value": str, "grad": str}}, "edge_labels": {"u->v": str},
    "nodes_lit": [...], "edges_lit": [[u, v], ...], "caption": str}`.
    """
    G = graph.nx
    lay = layout_of(graph, depth=depth, max_nodes=max_nodes)
    dx, dy = MARGIN, MARGIN
    labels = (state or {}).get("labels", {})
    edge_labels = (state or {}).get("edge_labels", {})
    lit_nodes = set((state or {}).get("nodes_lit", []))
    lit_edges = {tuple(e) for e in (state or {}).get("edges_lit", [])}

    nodes = []
    for box in lay.nodes.values():
        stroke, fill = KIND_COLOURS.get(box.kind, KIND_COLOURS["intermediate"])
        item = NodeItem(box.id, dom_id(box.id), box.kind, box.x + dx, box.y + dy, box.w, box.h, stroke, fill, "")
        if box.kind == "op":
            label = G.nodes[box.id]["label"]
            item.title = math_to_text(label)
            item.math = label
        elif box.kind == "module":
            item.title = box_label(G, box.id)
        elif box.kind == "elided":
            item.title = f"⋯ {len(box.members)} nodes ⋯"
        else:
            a = G.nodes[box.id]
            title, value, grad = tensor_texts(a, display_names(G)[box.id])
            item.title = title
            item.value_row = a["kind"] != "constant"
            item.grad_row = item.value_row and a["requires_grad"]
            if state is not None:
                item.value = labels.get(box.id, {}).get("value", "")
                item.grad = labels.get(box.id, {}).get("grad", "")
            elif with_all:
                item.value, item.grad = value, grad
            item.show_value = item.value_row and bool(item.value)
            item.show_grad = item.grad_row and bool(item.grad)
        item.lit = box.id in lit_nodes
        nodes.append(item)

    edges = []
    for (u, v), path in lay.edges.items():
        item = EdgeItem(
            f"{u}-{v}",
            f"{dom_id(u)}-{dom_id(v)}",
            u,
            v,
            [(x + dx, y + dy) for x, y in path.points],
            None if path.tip is None else (path.tip[0] + dx, path.tip[1] + dy),
            None if path.label_pos is None else (path.label_pos[0] + dx, path.label_pos[1] + dy),
        )
        if path.label_pos is not None and len(path.members) == 1:
            grad = G.edges[path.members[0]].get("grad")
            if state is not None:
                item.grad = edge_labels.get(f"{u}->{v}", "")
            elif with_all and grad is not None:
                item.grad = format_tensor(grad)
            item.show_grad = bool(item.grad)
        item.lit = (u, v) in lit_edges
        edges.append(item)

    clusters = [ClusterItem(c.module, c.x0 + dx, c.y0 + dy, c.x1 + dx, c.y1 + dy) for c in lay.clusters]
    caption = (state or {}).get("caption") or lay.caption
    height = lay.height + 2 * MARGIN + (CAPTION_HEIGHT if caption else 0)
    return Scene(lay.width + 2 * MARGIN, height, nodes, edges, clusters, caption, (state or {}).get("phase", ""))
